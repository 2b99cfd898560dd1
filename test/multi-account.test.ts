// One Prometheus over three AWS accounts, end to end: three simulated accounts (ids
// 111111111111, 222222222222, 333333333333, three regions), each with a document published
// by the project's full reconcile; one in-process sidecar with three sources given in the CLI
// syntax (A through its SSM manifest, B from S3, C from S3 through an assumed IAM role),
// writing one file per account into a folder; a real Prometheus reading `files: [DIR/*.json]`
// with the multi-account relabelling of the README.
//  1. Prometheus' active targets are every account's targets, each labelled with its source.
//  2. Account B throttles every call and account C's role is broken (its sessions revoked,
//     AssumeRole denied); a service of A scales out: A's new target appears, B's and C's
//     targets stay, and the sidecar's metrics and /healthz show the failures by source.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TargetDocument } from "@scrape-reconciler/core";
import { reconcile } from "@scrape-reconciler/reconcile";
import { simClientConfig, type ScenarioInput } from "@scrape-reconciler/sim";
import { SOURCE_LABEL, parseConfig, silentLogger, startSidecar, type SidecarHandle } from "@scrape-reconciler/sidecar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { activeTargets, startPrometheus, sumMetric, waitFor, type ActiveTarget, type PrometheusHandle } from "./support/prometheus";
import { BUCKET, startSimEnv, type SimEnv } from "./support/sim-env";

const KEY = "targets/ecs-services.json";
const MANIFEST = "/scrape-reconciler/targets/manifest";
const JOB = "ecs";
const ROLE_C = "arn:aws:iam::333333333333:role/prometheus-reader";

interface Account {
  id: string;
  region: string;
  /** Task addresses start after this (127.x: Prometheus' scrapes fail fast, the targets stay active). */
  ipBase: string;
  env?: SimEnv;
}
const A: Account = { id: "111111111111", region: "eu-west-1", ipBase: "127.0.11.0" };
const B: Account = { id: "222222222222", region: "us-east-1", ipBase: "127.0.22.0" };
const C: Account = { id: "333333333333", region: "ap-southeast-2", ipBase: "127.0.33.0" };
const ACCOUNTS = [A, B, C];

function scenario(a: Account): ScenarioInput {
  return {
    accountId: a.id,
    region: a.region,
    seed: `account-${a.id}`,
    ipBase: a.ipBase,
    namespaces: [{ name: "prod.local", type: "DNS_PRIVATE" }],
    clusters: [{ name: "prod" }],
    services: [
      {
        cluster: "prod",
        name: "api",
        namespace: "prod.local",
        tags: { METRICS_PORT: "8080" },
        taskDefinition: { family: "api", revision: 3, containers: [{ name: "api", ports: [8080] }] },
        desiredCount: 2,
      },
      {
        cluster: "prod",
        name: "worker",
        namespace: "prod.local",
        tags: { METRICS_PORT: "9102" },
        taskDefinition: { family: "worker", revision: 1, containers: [{ name: "worker", ports: [9102] }] },
        desiredCount: 1,
      },
    ],
  };
}

/** The project's full reconcile of one account; returns the published document. */
async function publish(a: Account): Promise<TargetDocument> {
  const env = a.env!;
  const s = await reconcile({ clients: env.clients, config: env.config, now: () => new Date() });
  expect(s.failed).toEqual([]);
  expect(s.written).toBe(true);
  const { GetObjectCommand } = await import("@aws-sdk/client-s3");
  const out = await env.clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }));
  return JSON.parse(await out.Body!.transformToString()) as TargetDocument;
}

const instancesOf = (doc: TargetDocument) => doc.flatMap((g) => g.targets).sort();
const sorted = (ts: ActiveTarget[]) => ts.map((t) => t.labels.instance ?? "").sort();

let dir: string;
let sd: string;
let sidecar: SidecarHandle | undefined;
let prom: PrometheusHandle | undefined;
const published = new Map<Account, TargetDocument>();
const started = performance.now();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "multi-account-"));
  sd = join(dir, "sd");
  mkdirSync(sd);
  for (const a of ACCOUNTS) {
    a.env = await startSimEnv({ scenario: scenario(a) });
    published.set(a, await publish(a));
    a.env.sim.calls.reset(); // from here on, each account's call log is the sidecar's calls
  }
  // The command line a Prometheus task would run, parsed by the sidecar's own parser.
  const parsed = parseConfig(
    [
      "--source",
      `ssm:${MANIFEST}?name=${A.id}&region=${A.region}`,
      "--source",
      `s3://${BUCKET}/${KEY}?name=${B.id}&region=${B.region}`,
      "--source",
      `s3://${BUCKET}/${KEY}?role=${ROLE_C}&region=${C.region}`,
      "--output-dir",
      sd,
      "--listen",
      "127.0.0.1:0",
      "--interval",
      "1s",
      "--max-backoff",
      "2s",
    ],
    {},
  );
  if (parsed.help) throw new Error("help");
  expect(parsed.config.sources?.map((s) => s.name)).toEqual([A.id, B.id, C.id]);
  // Every account is its own simulator: each source's clients (and C's STS) go to its account.
  const accountOf = (name: string) => ACCOUNTS.find((a) => a.id === name)!;
  sidecar = await startSidecar(parsed.config, {
    log: silentLogger,
    clientOptions: (source) => {
      const cfg = simClientConfig(accountOf(source.name).env!.sim);
      return { s3Config: cfg, ssmConfig: cfg, stsConfig: cfg };
    },
  });
  prom = await startPrometheus({
    config: `global:
  scrape_interval: 5s
  scrape_timeout: 1s
scrape_configs:
  - job_name: ${JOB}
    file_sd_configs:
      - files: ["${sd}/*.json"]
        refresh_interval: 1s
    relabel_configs:
      - source_labels: [__meta_cloudmap_account_id]
        target_label: account_id
      - source_labels: [__meta_cloudmap_region]
        target_label: region
      - source_labels: [${SOURCE_LABEL}]
        target_label: source
`,
  });
}, 45_000);

afterAll(async () => {
  await sidecar?.stop();
  await prom?.stop();
  for (const a of ACCOUNTS) await a.env?.sim.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  console.log(`multi-account test: ${((performance.now() - started) / 1000).toFixed(1)} s`);
});

/** With SHOW_TARGETS=1, prints Prometheus' active targets (account, region, source, instance, service): the note's evidence. */
function show(title: string, targets: ActiveTarget[]): void {
  if (!process.env.SHOW_TARGETS) return;
  const rows = targets
    .map((t) => [t.labels.account_id, t.labels.region, t.labels.source, t.labels.instance, t.labels.service].map((v) => v ?? "-").join("  "))
    .sort();
  console.log(`${title}\naccount_id    region     source        instance            service\n${rows.join("\n")}`);
}

describe("one Prometheus, three accounts, one sidecar", () => {
  it("Prometheus' active targets are every account's targets, each labelled with its account", async () => {
    const expected = ACCOUNTS.flatMap((a) => instancesOf(published.get(a)!)).sort();
    expect(expected).toHaveLength(9);
    const targets = await waitFor(
      async () => {
        const ts = await activeTargets(prom!.url, JOB);
        return JSON.stringify(sorted(ts)) === JSON.stringify(expected) && ts;
      },
      25_000,
      200,
    );
    show("active targets, every account healthy:", targets);
    for (const a of ACCOUNTS) {
      const mine = targets.filter((t) => t.labels.source === a.id);
      expect(sorted(mine)).toEqual(instancesOf(published.get(a)!));
      expect(mine.every((t) => t.labels.cluster === "prod")).toBe(true);
      // the document's __meta_cloudmap_account_id / __meta_cloudmap_region, relabelled
      expect(mine.map((t) => t.labels.account_id)).toEqual(mine.map(() => a.id));
      expect(mine.map((t) => t.labels.region)).toEqual(mine.map(() => a.region));
    }
    // C's document was read with the assumed role's session, from C's account
    const simC = C.env!.sim;
    const session = [...simC.state.sts.sessions.values()][0]!;
    expect(session.roleArn).toBe(ROLE_C);
    expect(simC.calls.log[0]).toMatchObject({ key: "sts:AssumeRole", status: 200 });
    const gets = simC.calls.log.filter((c) => c.key === "s3:GetObject");
    expect(gets.length).toBeGreaterThanOrEqual(1);
    expect(gets.every((c) => c.accessKeyId === session.accessKeyId)).toBe(true);
    const health = await fetch(`${sidecar!.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", stale: [], targets: 9 });
  });

  it("with B throttled and C's role denied, A's targets still follow A; B and C keep their last targets; the metrics name the failing sources", async () => {
    const bFile = readFileSync(join(sd, `${B.id}.json`), "utf8");
    const cFile = readFileSync(join(sd, `${C.id}.json`), "utf8");
    B.env!.sim.setFaults({ rate: 1, errors: ["ThrottlingException"] });
    // C's role breaks: its trust policy no longer allows the sidecar, its active sessions are revoked.
    C.env!.sim.setFaults({ deny: { "sts:AssumeRole": "AccessDeniedException" } });
    C.env!.sim.state.sts.revokeSessions(ROLE_C);

    A.env!.sim.state.setDesiredCount("prod", "api", 3);
    const a2 = await publish(A);
    const added = instancesOf(a2).filter((t) => !instancesOf(published.get(A)!).includes(t));
    expect(added).toHaveLength(1);
    const expected = [...instancesOf(a2), ...instancesOf(published.get(B)!), ...instancesOf(published.get(C)!)].sort();
    await waitFor(async () => JSON.stringify(sorted(await activeTargets(prom!.url, JOB))) === JSON.stringify(expected), 25_000, 200);
    const newTarget = (await activeTargets(prom!.url, JOB)).find((t) => t.labels.instance === added[0]);
    expect(newTarget?.labels).toMatchObject({ source: A.id, account_id: A.id, region: A.region, service: "api" });

    const metrics = await waitFor(
      async () => {
        const m = await (await fetch(`${sidecar!.url}/metrics`)).text();
        const failing = (id: string, reason: string) => sumMetric(m, "scrape_reconciler_sidecar_sync_errors_total", { source: id, reason }) >= 1;
        return failing(B.id, "throttled") && failing(C.id, "access_denied") && m;
      },
      20_000,
      200,
    );
    expect(sumMetric(metrics, "scrape_reconciler_sidecar_sync_errors_total", { source: A.id })).toBe(0);
    expect(sumMetric(metrics, "scrape_reconciler_sidecar_consecutive_errors", { source: A.id })).toBe(0);
    expect(sumMetric(metrics, "scrape_reconciler_sidecar_consecutive_errors", { source: B.id })).toBeGreaterThanOrEqual(1);
    expect(sumMetric(metrics, "scrape_reconciler_sidecar_consecutive_errors", { source: C.id })).toBeGreaterThanOrEqual(1);
    expect(sumMetric(metrics, "scrape_reconciler_sidecar_targets", { source: A.id })).toBe(4);
    expect(sumMetric(metrics, "scrape_reconciler_sidecar_targets", { source: B.id })).toBe(3);
    expect(sumMetric(metrics, "scrape_reconciler_sidecar_targets", { source: C.id })).toBe(3);
    // C's sidecar tried to assume the role again and was refused
    expect(C.env!.sim.calls.log.some((c) => c.key === "sts:AssumeRole" && c.status === 403)).toBe(true);
    // after those failures, Prometheus still has every target
    const after = await activeTargets(prom!.url, JOB);
    show("active targets, B throttled and C's role denied, A scaled api to 3:", after);
    expect(sorted(after)).toEqual(expected);

    const health = await fetch(`${sidecar!.url}/healthz`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as {
      status: string;
      stale: string[];
      sources: Record<string, { status: string; lastError: { reason: string } | null }>;
    };
    expect(body.status).toBe("degraded");
    expect(body.stale.sort()).toEqual([B.id, C.id]);
    expect(body.sources[B.id]!.lastError?.reason).toBe("throttled");
    expect(body.sources[C.id]!.lastError?.reason).toBe("access_denied");
    expect(body.sources[A.id]!.status).toBe("ok");
    // B's and C's files are untouched; the union on /targets still holds them
    expect(readFileSync(join(sd, `${B.id}.json`), "utf8")).toBe(bFile);
    expect(readFileSync(join(sd, `${C.id}.json`), "utf8")).toBe(cFile);
    const union = JSON.parse(await (await fetch(`${sidecar!.url}/targets`)).text()) as TargetDocument;
    expect(instancesOf(union)).toEqual(expected);
  });
});
