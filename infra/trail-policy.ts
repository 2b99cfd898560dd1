// Pure parts of the optional CloudTrail trail (infra/trail.ts declares it): its name and
// ARN, the events it records and its log bucket's policy. No SST or Pulumi globals, so the
// tests import it.
import type { StageConfig } from "./config";

/** Management write events only, no data events: what the Cloud Map API-call rule matches. */
export const TRAIL_EVENT_SELECTORS = [{ readWriteType: "WriteOnly", includeManagementEvents: true }];

/** `<app>-<stage>-management-events` (trail names: 3-128 characters). */
export function trailName(cfg: Pick<StageConfig, "app" | "stage">): string {
  return `${cfg.app}-${cfg.stage}-management-events`;
}

export function trailArn(partition: string, region: string, account: string, name: string): string {
  return `arn:${partition}:cloudtrail:${region}:${account}:trail/${name}`;
}

/**
 * The log bucket's policy: CloudTrail may read the bucket ACL and write log files under
 * AWSLogs/<account>/, for this trail only (aws:SourceArn); nothing arrives without TLS.
 */
export function trailBucketPolicy(bucketArn: string, sourceTrailArn: string, account: string) {
  const service = { Service: "cloudtrail.amazonaws.com" };
  const fromTrail = { StringEquals: { "aws:SourceArn": sourceTrailArn } };
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      { Sid: "CloudTrailAclCheck", Effect: "Allow", Principal: service, Action: "s3:GetBucketAcl", Resource: bucketArn, Condition: fromTrail },
      {
        Sid: "CloudTrailWrite",
        Effect: "Allow",
        Principal: service,
        Action: "s3:PutObject",
        Resource: `${bucketArn}/AWSLogs/${account}/*`,
        Condition: { StringEquals: { ...fromTrail.StringEquals, "s3:x-amz-acl": "bucket-owner-full-control" } },
      },
    ],
  };
}
