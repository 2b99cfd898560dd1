// A source read through an assumed IAM role: the credentials provider (cached, refreshed
// before the expiry, one AssumeRole for concurrent callers, the current credentials kept
// through a failed refresh while they are valid) and, against the simulator's STS, the
// sidecar signing with the session, re-assuming after a revoked session and reporting a
// denied AssumeRole as access_denied while keeping its file.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { AssumeRoleCommand, AssumeRoleCommandOutput } from "@aws-sdk/client-sts";
import { simClientConfig, startSimulator, type Simulator } from "@scrape-reconciler/sim";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AssumeRoleError, parseConfig, roleCredentials, sessionNameFor, silentLogger, startSidecar, type SidecarHandle } from "../src/index";
import { classifyAwsError } from "../src/sources";

const ROLE = "arn:aws:iam::333333333333:role/prometheus-reader";

/** A fake STS answering from a script; each answer expires `ttlMs` after the fake clock. */
function fakeSts(clock: { now: number }, ttlMs = 3600_000) {
  const calls: AssumeRoleCommand["input"][] = [];
  let n = 0;
  const sts = {
    calls,
    fail: undefined as Error | undefined,
    delayMs: 0,
    async send(cmd: AssumeRoleCommand): Promise<AssumeRoleCommandOutput> {
      calls.push(cmd.input);
      if (sts.delayMs) await new Promise((r) => setTimeout(r, sts.delayMs));
      if (sts.fail) throw sts.fail;
      n++;
      return {
        $metadata: {},
        Credentials: { AccessKeyId: `ASIA${n}`, SecretAccessKey: "s", SessionToken: `t${n}`, Expiration: new Date(clock.now + ttlMs) },
      };
    },
  };
  return sts;
}
const denied = () =>
  Object.assign(new Error("User is not authorized to perform: sts:AssumeRole"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } });

describe("role credentials", () => {
  it("assume once, refresh 5 minutes before the expiry, and share one AssumeRole between concurrent callers", async () => {
    const clock = { now: Date.parse("2026-01-01T00:00:00Z") };
    const sts = fakeSts(clock);
    const creds = roleCredentials({ sts, roleArn: ROLE, sessionName: sessionNameFor("c"), externalId: "ext-1", now: () => clock.now });
    expect(creds.memoized).toBe(true);
    sts.delayMs = 20;
    const [a, b] = await Promise.all([creds(), creds()]);
    expect(a).toBe(b);
    expect(a).toMatchObject({ accessKeyId: "ASIA1", sessionToken: "t1" });
    expect(sts.calls).toEqual([{ RoleArn: ROLE, RoleSessionName: "scrape-reconciler-sidecar-c", DurationSeconds: 3600, ExternalId: "ext-1" }]);
    sts.delayMs = 0;
    clock.now += 54 * 60_000; // 6 min left: still cached
    expect((await creds()).accessKeyId).toBe("ASIA1");
    clock.now += 2 * 60_000; // 4 min left: refreshed
    expect((await creds()).accessKeyId).toBe("ASIA2");
    expect(creds.assumed).toBe(2);
    creds.invalidate();
    expect((await creds()).accessKeyId).toBe("ASIA3");
  });

  it("keeps valid credentials through a failed refresh (retrying every 30 s), then fails with the AssumeRole error", async () => {
    const clock = { now: 0 };
    const sts = fakeSts(clock, 600_000);
    const creds = roleCredentials({ sts, roleArn: ROLE, sessionName: "s", now: () => clock.now, log: silentLogger });
    expect((await creds()).accessKeyId).toBe("ASIA1");
    sts.fail = denied();
    clock.now = 300_001; // inside the refresh window
    expect((await creds()).accessKeyId).toBe("ASIA1");
    expect(sts.calls).toHaveLength(2);
    clock.now += 10_000;
    expect((await creds()).accessKeyId).toBe("ASIA1");
    expect(sts.calls).toHaveLength(2); // not retried within 30 s
    clock.now = 600_000; // expired
    const err = await creds().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AssumeRoleError);
    expect((err as Error).message).toBe(`AssumeRole ${ROLE}: AccessDenied: User is not authorized to perform: sts:AssumeRole`);
    expect(classifyAwsError(err, "GetObject s3://b/k").reason).toBe("access_denied");
    sts.fail = Object.assign(new Error("Rate exceeded"), { name: "Throttling", $metadata: { httpStatusCode: 400 } });
    expect(classifyAwsError(await creds().catch((e: unknown) => e), "x").reason).toBe("throttled");
  });

  it("session names stay within STS's 64 characters and charset", () => {
    expect(sessionNameFor("111122223333")).toBe("scrape-reconciler-sidecar-111122223333");
    expect(sessionNameFor("x".repeat(80))).toHaveLength(64);
  });
});

describe("a source behind a role, on the simulator", () => {
  let sim: Simulator;
  let dir: string;
  let sidecar: SidecarHandle;
  const DOC = '[{"labels":{"job":"c"},"targets":["10.3.0.1:9100"]}]';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "sidecar-role-"));
    sim = await startSimulator({ scenario: { accountId: "333333333333", region: "ap-southeast-2", buckets: ["targets-c"] } });
    const s3 = new S3Client(simClientConfig(sim));
    await s3.send(new PutObjectCommand({ Bucket: "targets-c", Key: "targets/ecs-services.json", Body: DOC }));
    s3.destroy();
    sim.calls.reset();
    const parsed = parseConfig(
      ["--source", `s3://targets-c/targets/ecs-services.json?role=${ROLE}&region=ap-southeast-2`, "--output", join(dir, "c.json")],
      {},
    );
    if (parsed.help) throw new Error("help");
    const config = simClientConfig(sim);
    sidecar = await startSidecar(parsed.config, {
      loop: false,
      log: silentLogger,
      defaultMetrics: false,
      s3Config: { ...config, maxAttempts: 1 },
      stsConfig: { ...config, maxAttempts: 1 },
    });
  });
  afterAll(async () => {
    await sidecar?.stop();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("signs with the assumed session, assumes once, re-assumes after a revoked session, and reports a denied AssumeRole", async () => {
    expect(await sidecar.syncer.syncOnce()).toMatchObject({ result: "changed", targets: 1 });
    expect(await sidecar.syncer.syncOnce()).toMatchObject({ result: "unchanged" });
    const log = () => sim.calls.log;
    expect(log().map((c) => c.key)).toEqual(["sts:AssumeRole", "s3:GetObject", "s3:GetObject"]);
    const session = [...sim.state.sts.sessions.values()][0]!;
    expect(session).toMatchObject({ roleArn: ROLE, sessionName: "scrape-reconciler-sidecar-333333333333" });
    expect(
      log()
        .filter((c) => c.key === "s3:GetObject")
        .map((c) => c.accessKeyId),
    ).toEqual([session.accessKeyId, session.accessKeyId]);
    expect(log()[0]!.accessKeyId).toBe(simClientConfig(sim).credentials.accessKeyId);

    // the role is broken: its sessions revoked, AssumeRole denied
    sim.state.sts.revokeSessions(ROLE);
    sim.setFaults({ deny: { "sts:AssumeRole": "AccessDeniedException" } });
    expect(await sidecar.syncer.syncOnce()).toMatchObject({ result: "error", reason: "access_denied" });
    const second = await sidecar.syncer.syncOnce();
    expect(second).toMatchObject({ result: "error", reason: "access_denied" });
    expect(second.result === "error" && second.message).toMatch(/AssumeRole arn:aws:iam::333333333333:role\/prometheus-reader: AccessDenied/);
    expect(
      log()
        .slice(3)
        .map((c) => [c.key, c.status]),
    ).toEqual([
      ["s3:GetObject", 403],
      ["sts:AssumeRole", 403],
    ]);
    expect(readFileSync(join(dir, "c.json"), "utf8")).toBe(DOC);

    // fixed: a new session, and the document is still current (304)
    sim.setFaults(null);
    expect(await sidecar.syncer.syncOnce()).toMatchObject({ result: "unchanged" });
    expect(
      log()
        .slice(5)
        .map((c) => [c.key, c.status]),
    ).toEqual([
      ["sts:AssumeRole", 200],
      ["s3:GetObject", 304],
    ]);
  });
});
