// One clear line for the AWS failures people hit from a terminal: no credentials, no
// region, rejected credentials, denied permissions, an unreachable endpoint. Anything
// else keeps its own one-line message; a configuration error gives one line per problem.
// Never a stack trace.
import { ConfigError, DiscoveryError, errorLine, PublishError } from "@scrape-reconciler/core";
import { UsageError } from "./io";

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

function rootCause(err: unknown): unknown {
  let e = err;
  for (let i = 0; i < 5 && (e as { cause?: unknown })?.cause; i++) e = (e as { cause: unknown }).cause;
  return e;
}

/** What to print for a failure: `lines` (one per configuration problem, else one) and the exit code. */
export interface Failure {
  /** The whole failure on one line. */
  line: string;
  /** One line per problem, to print each on its own line. */
  lines: string[];
  code: number;
}

export function describeFailure(err: unknown): Failure {
  if (err instanceof ConfigError) {
    const lines = err.problems.map((p) => `configuration: ${p.message}`);
    return { line: `configuration: ${err.problems.map((p) => p.message).join("; ")}`, lines, code: 2 };
  }
  const { line, code } = describeOther(err);
  return { line, lines: [line], code };
}

function describeOther(err: unknown): { line: string; code: number } {
  if (err instanceof UsageError) return { line: err.message, code: 2 };
  const cause = rootCause(err);
  const name = (cause as Error)?.name ?? "";
  const message = (cause as Error)?.message ?? String(cause);
  const where = err instanceof DiscoveryError || err instanceof PublishError ? ` (${err.operation})` : "";
  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(message)) {
    return { line: "AWS credentials not found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with an IAM role", code: 1 };
  }
  if (/Region is missing/i.test(message)) return { line: "AWS region not set: set AWS_REGION (or a region in your AWS profile)", code: 1 };
  if (REJECTED.has(name)) return { line: `AWS rejected the credentials${where}: ${name}: ${message.split("\n")[0]}`, code: 1 };
  if (DENIED.has(name) || (cause as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 403) {
    return { line: `AWS denied the call${where}: ${message.split("\n")[0]} (check the IAM policy)`, code: 1 };
  }
  const code = (cause as { code?: string })?.code;
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "ECONNRESET") {
    return { line: `cannot reach the AWS endpoint${where}: ${code} ${message.split("\n")[0]}`, code: 1 };
  }
  return { line: errorLine(err), code: 1 };
}
