// The one classifier of AWS SDK v3 (and network) errors: every package asks it what kind of
// failure an error is (absent, a lost conditional write, denied, throttled, unreachable...)
// instead of testing error names itself. Pure: it reads the error's name, code, HTTP status
// and message, following `cause` to the root (typed errors of this project wrap the SDK's).
// A GetObject answered 304 surfaces as an error named "Unknown": the status is what counts.

export type AwsErrorKind =
  | "not_modified"
  | "credentials_missing"
  | "region_missing"
  | "credentials_rejected"
  | "timeout"
  | "not_found"
  | "conflict"
  | "access_denied"
  | "throttled"
  | "unreachable"
  | "other";

interface ErrorLike {
  name?: string;
  code?: string;
  message?: string;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
}

const REJECTED = new Set([
  "UnrecognizedClientException",
  "InvalidClientTokenId",
  "ExpiredToken",
  "ExpiredTokenException",
  "InvalidSignatureException",
  "SignatureDoesNotMatch",
  "InvalidAccessKeyId",
]);
const DENIED = new Set(["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "Forbidden"]);
/** Names of "does not exist" across S3, SSM, Cloud Map, ECS, RDS and ElastiCache (RDS's end in "NotFoundFault"). */
const NOT_FOUND = /^(NoSuchKey|NoSuchBucket|NotFound|ResourceNotFoundException)$|NotFound(Fault)?$/;
const CONFLICT = new Set(["PreconditionFailed", "ConditionalRequestConflict"]);
const THROTTLED = /Throttl|SlowDown|TooManyRequests|RequestLimitExceeded/;
const UNREACHABLE_CODES = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EPIPE)$/;

/** The innermost `cause` (at most five levels down). */
export function rootCause(err: unknown): unknown {
  let e = err;
  for (let i = 0; i < 5 && (e as ErrorLike)?.cause; i++) e = (e as ErrorLike).cause;
  return e;
}

/** The HTTP status an SDK error carries, if any. */
export function httpStatusOf(err: unknown): number | undefined {
  return (err as ErrorLike)?.$metadata?.httpStatusCode;
}

/** What kind of failure `err` is; the first rule that matches wins, in the order of AwsErrorKind. */
export function awsErrorKind(err: unknown): AwsErrorKind {
  const e = (rootCause(err) ?? {}) as ErrorLike;
  const status = httpStatusOf(e);
  const name = e.name ?? "";
  const code = typeof e.code === "string" ? e.code : "";
  const message = e.message ?? "";
  if (status === 304) return "not_modified";
  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(message)) return "credentials_missing";
  if (/Region is missing/i.test(message)) return "region_missing";
  if (REJECTED.has(name)) return "credentials_rejected";
  if (name === "AbortError" || name === "TimeoutError" || name === "RequestTimeout" || code === "ETIMEDOUT") return "timeout";
  if (status === 404 || NOT_FOUND.test(name)) return "not_found";
  if (status === 412 || status === 409 || CONFLICT.has(name)) return "conflict";
  if (status === 403 || DENIED.has(name)) return "access_denied";
  if (status === 429 || status === 503 || THROTTLED.test(name)) return "throttled";
  if (UNREACHABLE_CODES.test(code) || /ECONNREFUSED|ENOTFOUND|socket hang up/.test(message)) return "unreachable";
  return "other";
}

/** Whether `err` says the thing asked for does not exist (404, NoSuchKey, ServiceNotFound, DBInstanceNotFoundFault...). */
export function isNotFound(err: unknown): boolean {
  return awsErrorKind(err) === "not_found";
}
