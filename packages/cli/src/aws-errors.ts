// One clear line for the AWS failures people hit from a terminal: no credentials, no
// region, rejected credentials, denied permissions, an unreachable endpoint. Anything
// else keeps its own one-line message; a configuration error gives one line per problem.
// Never a stack trace.
import { awsErrorKind, ConfigError, DiscoveryError, errorLine, PublishError, rootCause } from "@scrape-reconciler/core";
import { UsageError } from "./io";

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
  const cause = rootCause(err) as { name?: string; message?: string; code?: string } | undefined;
  const name = cause?.name ?? "";
  const message = (cause?.message ?? String(cause)).split("\n")[0];
  const where = err instanceof DiscoveryError || err instanceof PublishError ? ` (${err.operation})` : "";
  switch (awsErrorKind(err)) {
    case "credentials_missing":
      return { line: "AWS credentials not found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with an IAM role", code: 1 };
    case "region_missing":
      return { line: "AWS region not set: set AWS_REGION (or a region in your AWS profile)", code: 1 };
    case "credentials_rejected":
      return { line: `AWS rejected the credentials${where}: ${name}: ${message}`, code: 1 };
    case "access_denied":
      return { line: `AWS denied the call${where}: ${message} (check the IAM policy)`, code: 1 };
    case "unreachable":
      return { line: `cannot reach the AWS endpoint${where}: ${cause?.code ?? name} ${message}`, code: 1 };
    default:
      return { line: errorLine(err), code: 1 };
  }
}
