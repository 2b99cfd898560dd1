// AWS SDK v3 client settings read from a given environment (the SDK itself would read
// process.env only): region, endpoint and static keys when they are set, otherwise the
// SDK's default chain. AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_<SERVICE> work as everywhere. Pure: the callers create the clients.

type Env = Record<string, string | undefined>;

export interface ClientOptions {
  /** Attempts per call including the first (SDK retry with backoff). */
  maxAttempts?: number;
  /** "adaptive" adds client-side rate limiting once AWS throttles (the throttle buckets). */
  retryMode?: "standard" | "adaptive";
}

/** The endpoint set for one service (`AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`). */
export function endpointOf(env: Env, service: string): string | undefined {
  return env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL || undefined;
}

/** The settings of one service's client: 6 attempts in adaptive mode unless told otherwise. */
export function clientConfig(env: Env, service: string, options: ClientOptions = {}) {
  const endpoint = endpointOf(env, service);
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN }
      : undefined;
  return {
    maxAttempts: options.maxAttempts ?? 6,
    retryMode: options.retryMode ?? "adaptive",
    ...(env.AWS_REGION || env.AWS_DEFAULT_REGION ? { region: env.AWS_REGION || env.AWS_DEFAULT_REGION } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(credentials ? { credentials } : {}),
  };
}
