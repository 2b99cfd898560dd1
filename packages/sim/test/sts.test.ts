// STS AssumeRole through the real STSClient: temporary credentials that other clients sign
// with (the call log shows the key), validation, injected denials and throttling in the
// awsQuery shape, and sessions refused once expired or revoked.
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { beforeEach, describe, expect, it } from "vitest";
import { simClientConfig, startSimulator } from "../src/index";
import { failure, useSimulator } from "./helpers";

const ROLE = "arn:aws:iam::111122223333:role/prometheus-reader";
const env = useSimulator({ scenario: { accountId: "444455556666", buckets: ["targets"] } });
const sts = () => new STSClient({ ...simClientConfig(env.sim), maxAttempts: 1 });
const assume = (input: Partial<ConstructorParameters<typeof AssumeRoleCommand>[0]> = {}) =>
  sts().send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: "reader", ...input }));

beforeEach(() => {
  env.sim.setFaults(null);
  env.sim.calls.reset();
  env.sim.state.s3.put("targets", "k", Buffer.from("[]"));
});

describe("STS AssumeRole", () => {
  it("returns temporary credentials for the role, valid for an hour by default", async () => {
    const before = Date.now();
    const r = await assume({ ExternalId: "ext-123" });
    expect(r.Credentials!.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(r.Credentials!.SecretAccessKey).toHaveLength(40);
    expect(r.Credentials!.SessionToken!.length).toBeGreaterThan(40);
    const ttl = r.Credentials!.Expiration!.getTime() - before;
    expect(ttl).toBeGreaterThan(3590_000);
    expect(ttl).toBeLessThanOrEqual(3601_000);
    expect(r.AssumedRoleUser).toEqual({
      AssumedRoleId: expect.stringMatching(/^AROA[A-Z2-7]{17}:reader$/),
      Arn: "arn:aws:sts::111122223333:assumed-role/prometheus-reader/reader",
    });
    const again = await assume({ DurationSeconds: 900 });
    expect(again.Credentials!.AccessKeyId).not.toBe(r.Credentials!.AccessKeyId);
    expect(again.AssumedRoleUser!.AssumedRoleId!.split(":")[0]).toBe(r.AssumedRoleUser!.AssumedRoleId!.split(":")[0]);
    expect(env.sim.state.sts.sessions.get(r.Credentials!.AccessKeyId!)).toMatchObject({ roleArn: ROLE, externalId: "ext-123", revoked: false });
    expect(env.sim.calls.log.map((c) => [c.key, c.iamAction, c.status])).toEqual([
      ["sts:AssumeRole", "sts:AssumeRole", 200],
      ["sts:AssumeRole", "sts:AssumeRole", 200],
    ]);
  });

  it("validates the role ARN, session name, external id and duration", async () => {
    for (const [input, field] of [
      [{ RoleArn: "arn:aws:iam::1234:role/x" }, "roleArn"],
      [{ RoleArn: "arn:aws:iam::111122223333:user/x" }, "roleArn"],
      [{ RoleSessionName: "a" }, "roleSessionName"],
      [{ RoleSessionName: "bad name" }, "roleSessionName"],
      [{ ExternalId: "x" }, "externalId"],
      [{ DurationSeconds: 60 }, "durationSeconds"],
    ] as const) {
      const e = await failure(assume(input));
      expect(e.name).toBe("ValidationError");
      expect(e.message).toContain(`at '${field}'`);
      expect(e.$metadata?.httpStatusCode).toBe(400);
    }
    const long = await failure(assume({ DurationSeconds: 7200 }));
    expect(long.message).toMatch(/exceeds the MaxSessionDuration/);
  });

  it("honours injected denials and throttling", async () => {
    env.sim.setFaults({ deny: { "sts:AssumeRole": "AccessDeniedException" } });
    const denied = await failure(assume());
    expect(denied.name).toBe("AccessDenied");
    expect(denied.$metadata?.httpStatusCode).toBe(403);
    expect(denied.message).toMatch(/not authorized to perform: sts:AssumeRole/);
    env.sim.setFaults({ deny: { "sts:*": "ThrottlingException" } });
    expect((await failure(assume())).name).toBe("Throttling");
    expect(env.sim.calls.log.map((c) => [c.status, c.error, c.fault])).toEqual([
      [403, "AccessDenied", "deny"],
      [400, "Throttling", "deny"],
    ]);
  });

  it("the session's keys sign other calls; once revoked or expired they are refused", async () => {
    const { Credentials: c } = await assume();
    const creds = { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! };
    const s3 = new S3Client({ ...simClientConfig(env.sim), credentials: creds, maxAttempts: 1 });
    await s3.send(new GetObjectCommand({ Bucket: "targets", Key: "k" }));
    expect(env.sim.calls.log.at(-1)).toMatchObject({ key: "s3:GetObject", status: 200, accessKeyId: c!.AccessKeyId });
    expect(env.sim.calls.log[0]!.accessKeyId).toBe(simClientConfig(env.sim).credentials.accessKeyId);

    expect(env.sim.state.sts.revokeSessions("arn:aws:iam::111122223333:role/other")).toBe(0);
    expect(env.sim.state.sts.revokeSessions(ROLE)).toBeGreaterThanOrEqual(1);
    const revoked = await failure(s3.send(new GetObjectCommand({ Bucket: "targets", Key: "k" })));
    expect([revoked.name, revoked.$metadata?.httpStatusCode]).toEqual(["AccessDenied", 403]);
    // a session issued after the revocation works
    const { Credentials: fresh } = await assume();
    const s3b = new S3Client({
      ...simClientConfig(env.sim),
      credentials: { accessKeyId: fresh!.AccessKeyId!, secretAccessKey: fresh!.SecretAccessKey!, sessionToken: fresh!.SessionToken! },
      maxAttempts: 1,
    });
    await s3b.send(new GetObjectCommand({ Bucket: "targets", Key: "k" }));
  });
});

describe("STS sessions and the simulator's clock", () => {
  it("a call signed with an expired session is answered ExpiredToken", async () => {
    let now = Date.parse("2026-01-01T00:00:00Z");
    const sim = await startSimulator({ scenario: { buckets: ["targets"] }, clock: () => new Date(now) });
    try {
      expect(sim.endpointEnv().AWS_ENDPOINT_URL_STS).toBe(sim.url);
      sim.state.s3.put("targets", "k", Buffer.from("[]"));
      const client = new STSClient({ ...simClientConfig(sim), maxAttempts: 1 });
      const { Credentials: c } = await client.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: "reader", DurationSeconds: 900 }));
      expect(c!.Expiration!.toISOString()).toBe("2026-01-01T00:15:00.000Z");
      const s3 = new S3Client({
        ...simClientConfig(sim),
        credentials: { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! },
        maxAttempts: 1,
      });
      await s3.send(new GetObjectCommand({ Bucket: "targets", Key: "k" }));
      now += 900_000;
      const expired = await failure(s3.send(new GetObjectCommand({ Bucket: "targets", Key: "k" })));
      expect([expired.name, expired.$metadata?.httpStatusCode]).toEqual(["ExpiredToken", 400]);
      expect(expired.message).toMatch(/expired/);
    } finally {
      await sim.close();
    }
  });
});
