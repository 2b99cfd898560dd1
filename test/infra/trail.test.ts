// The optional CloudTrail trail (infra/trail.ts, infra/trail-policy.ts): off by default, a boolean in the stage
// file; management write events of this region only; a log bucket policy that lets only
// this trail write, only under AWSLogs/<account>/, only over TLS.
import { describe, expect, it } from "vitest";
import { ConfigError, parseStageConfig } from "../../infra/config";
import { TRAIL_EVENT_SELECTORS, trailArn, trailBucketPolicy, trailName } from "../../infra/trail-policy";

const parse = (raw: unknown) => parseStageConfig(raw, { app: "scrape-reconciler", stage: "dev", source: "infra/stages/dev.json" });

describe("the trail option", () => {
  it("is off by default and a boolean", () => {
    expect(parse({}).trail).toBe(false);
    expect(parse({ trail: true }).trail).toBe(true);
    const err = (() => {
      try {
        parse({ trail: "yes" });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toBe("infra/stages/dev.json: trail: expected true or false");
  });

  it("records management write events only (what the Cloud Map rule matches), no data events", () => {
    expect(TRAIL_EVENT_SELECTORS).toEqual([{ readWriteType: "WriteOnly", includeManagementEvents: true }]);
    expect(trailName({ app: "scrape-reconciler", stage: "prod" })).toBe("scrape-reconciler-prod-management-events");
    expect(trailArn("aws", "eu-west-1", "123456789012", "t")).toBe("arn:aws:cloudtrail:eu-west-1:123456789012:trail/t");
  });

  it("lets only this trail write its logs, over TLS", () => {
    const source = "arn:aws:cloudtrail:eu-west-1:123456789012:trail/t";
    const p = trailBucketPolicy("arn:aws:s3:::logs", source, "123456789012");
    const [deny, acl, write] = p.Statement;
    expect(deny).toMatchObject({ Effect: "Deny", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    expect(acl).toMatchObject({ Effect: "Allow", Action: "s3:GetBucketAcl", Resource: "arn:aws:s3:::logs" });
    expect(write).toMatchObject({ Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::logs/AWSLogs/123456789012/*" });
    for (const s of [acl, write]) {
      expect(s!.Principal).toEqual({ Service: "cloudtrail.amazonaws.com" });
      expect((s!.Condition as { StringEquals: Record<string, string> }).StringEquals["aws:SourceArn"]).toBe(source);
    }
  });
});
