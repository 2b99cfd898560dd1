// Typed errors raised at the edges. Each carries what a person needs to act on it in a
// one-line message: the variable, the AWS operation and the service or namespace named.

/** A bad or missing setting; `variable` names the environment variable or flag. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

/** An AWS discovery call failed in a way that stops the reconcile (e.g. listing namespaces). */
export class DiscoveryError extends Error {
  override name = "DiscoveryError";
  constructor(
    readonly operation: string,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** A conditional write lost a race (S3 412 PreconditionFailed / 409 ConditionalRequestConflict). */
export class ConflictError extends Error {
  override name = "ConflictError";
  constructor(message: string) {
    super(message);
  }
}

/** Publishing failed for a reason other than a lost race. */
export class PublishError extends Error {
  override name = "PublishError";
  constructor(
    readonly operation: string,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** The one-line text of any error, with the AWS error name when there is one. */
export function errorLine(err: unknown): string {
  if (err instanceof Error) {
    const name = err.name && err.name !== "Error" ? `${err.name}: ` : "";
    return `${name}${err.message}`.split("\n")[0] as string;
  }
  return String(err);
}
