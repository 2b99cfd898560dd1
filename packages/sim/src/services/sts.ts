// AWS STS (awsQuery, Version=2011-06-15): AssumeRole, temporary credentials from the
// account's session store (state/sts.ts). Any well-formed role ARN can be assumed; a test
// refuses one with the fault injector (`deny: { "sts:AssumeRole": "AccessDeniedException" }`
// answers 403 AccessDenied, throttling answers `Throttling`). The server refuses calls
// signed with a session that has expired or was revoked (state.sts.revokeSessions()).
import { AwsError } from "../errors";
import { defineQueryService } from "./aws-query";

/** AWS's default (and, without a raised MaxSessionDuration, largest) session length. */
const MAX_SESSION_SECONDS = 3600;
const MIN_SESSION_SECONDS = 900;

function validation(field: string, value: string, constraint: string): AwsError {
  return new AwsError("ValidationError", `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: ${constraint}`);
}

export const sts = defineQueryService({
  service: "sts",
  endpointEnvName: "STS",
  version: "2011-06-15",
  xmlns: "https://sts.amazonaws.com/doc/2011-06-15/",
  operations: {
    AssumeRole(params, ctx) {
      const roleArn = params.get("RoleArn") ?? "";
      const sessionName = params.get("RoleSessionName") ?? "";
      const externalId = params.get("ExternalId") ?? undefined;
      const rawDuration = params.get("DurationSeconds");
      if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(roleArn)) {
        throw validation("roleArn", roleArn, "Member must be the ARN of an IAM role (arn:aws:iam::ACCOUNT:role/NAME)");
      }
      if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
        throw validation("roleSessionName", sessionName, "Member must have length 2-64 and satisfy regular expression pattern: [\\w+=,.@-]*");
      }
      if (externalId !== undefined && !/^[\w+=,.@:/-]{2,1224}$/.test(externalId)) {
        throw validation("externalId", externalId, "Member must have length 2-1224 and satisfy regular expression pattern: [\\w+=,.@:\\/-]*");
      }
      const durationSeconds = rawDuration === null ? MAX_SESSION_SECONDS : Number(rawDuration);
      if (!Number.isInteger(durationSeconds) || durationSeconds < MIN_SESSION_SECONDS) {
        throw validation("durationSeconds", String(rawDuration), `Member must have value greater than or equal to ${MIN_SESSION_SECONDS}`);
      }
      if (durationSeconds > MAX_SESSION_SECONDS) {
        throw new AwsError("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
      }
      const s = ctx.state.sts.assumeRole({ roleArn, sessionName, durationSeconds, ...(externalId !== undefined ? { externalId } : {}) });
      return {
        Credentials: { AccessKeyId: s.accessKeyId, SecretAccessKey: s.secretAccessKey, SessionToken: s.sessionToken, Expiration: s.expiration },
        AssumedRoleUser: { AssumedRoleId: s.assumedRoleId, Arn: s.arn },
      };
    },
  },
});
