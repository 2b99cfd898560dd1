// End to end with a real Prometheus: the sidecar (in process) reads the published document,
// writes the file Prometheus' file_sd_configs watches and serves /targets for its
// http_sd_configs; real local /metrics servers are the targets.
//  - targets appear in /api/v1/targets and are up (delays logged);
//  - many rapid publications: the active-target count never drops below the floor and
//    prometheus_sd_file_read_errors_total stays 0;
//  - an invalid document leaves Prometheus' targets untouched; the error is counted by reason.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMetricsServers, type MetricsServers } from "../../../test/support/metrics-server";
import { activeTargets, scrapeMetric, startPrometheus, sumMetric, waitFor, type PrometheusHandle } from "../../../test/support/prometheus";
import { silentLogger, startSidecar, type SidecarHandle, type SyncOutcome } from "../src/index";
import { FILE_JOB, HTTP_JOB, instances, makeDocument, pollTargets, prometheusConfig, sameSet, serialize } from "./e2e-support";
import { openPublisher, type Publisher } from "./publishers";

const CHURN_PUBLICATIONS = Number(process.env.SIDECAR_CHURN_PUBLICATIONS ?? 1000);

let dir: string;
let servers: MetricsServers;
let prom: PrometheusHandle | undefined;
let sidecar: SidecarHandle | undefined;
let publisher: Publisher;
let output: string;
const outcomes: { at: number; outcome: SyncOutcome }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sidecar-e2e-"));
  output = join(dir, "sd", "ecs-services.json");
  mkdirSync(join(dir, "sd"));
  servers = await startMetricsServers(12);
  publisher = await openPublisher(dir);
  sidecar = await startSidecar(
    { source: publisher.spec, output, listen: { host: "127.0.0.1", port: 0 }, intervalMs: 1000, maxBackoffMs: 5000, logLevel: "error" },
    { log: silentLogger, onSync: (outcome) => outcomes.push({ at: performance.now(), outcome }), ...publisher.startOptions },
  );
  prom = await startPrometheus({
    config: prometheusConfig({ fileGlob: join(dir, "sd", "*.json"), targetsUrl: `${sidecar.url}/targets` }),
  });
});

afterAll(async () => {
  await sidecar?.stop();
  await prom?.stop();
  await servers?.close();
  await publisher?.close();
  rmSync(dir, { recursive: true, force: true });
});

const promUrl = () => prom!.url;

async function jobInstances(job: string): Promise<string[]> {
  return instances(await activeTargets(promUrl(), job));
}

describe(`sidecar + Prometheus (${process.env.SIDECAR_E2E_SOURCE ?? "s3"} source)`, () => {
  it("targets appear in Prometheus through file_sd and http_sd and are up", async () => {
    const targets = servers.targets.slice(0, 6);
    const body = serialize(makeDocument(targets));
    const t0 = performance.now();
    await publisher.publish(body);
    const file = await waitFor(() => outcomes.find((o) => o.at >= t0 && o.outcome.result === "changed"), 10_000, 10);
    const tFile = file.at - t0;
    const tServed = performance.now() - t0;
    let tPromFile = 0;
    let tPromHttp = 0;
    await waitFor(
      async () => {
        const all = await activeTargets(promUrl());
        const now = performance.now() - t0;
        const f = all.filter((t) => t.scrapePool === FILE_JOB);
        const h = all.filter((t) => t.scrapePool === HTTP_JOB);
        if (!tPromFile && sameSet(instances(f), targets)) tPromFile = now;
        if (!tPromHttp && sameSet(instances(h), targets)) tPromHttp = now;
        return tPromFile && tPromHttp;
      },
      20_000,
      50,
    );
    await waitFor(
      async () => {
        const all = await activeTargets(promUrl());
        return all.length === 12 && all.every((t) => t.health === "up");
      },
      15_000,
      100,
    );
    const tUp = performance.now() - t0;
    console.log(
      `publish -> sidecar file ${tFile.toFixed(0)} ms (served at /targets by ${tServed.toFixed(0)} ms); ` +
        `-> Prometheus active targets: file_sd ${tPromFile.toFixed(0)} ms, http_sd ${tPromHttp.toFixed(0)} ms; all up ${tUp.toFixed(0)} ms`,
    );
    expect(readFileSync(output, "utf8")).toBe(body);
    const t = (await activeTargets(promUrl(), FILE_JOB))[0]!;
    expect(t.labels).toMatchObject({ job: FILE_JOB, cluster: "main", service: "web", availability_zone: expect.stringMatching(/^eu-west-1[ab]$/) });
    expect(t.discoveredLabels.__meta_ecs_launch_type).toBe("FARGATE");
    expect(tFile).toBeLessThan(3000);
    const sim = publisher.sim;
    if (sim) {
      // the steady state is conditional GETs answered 304 (no body)
      const gets = () => sim.calls.log.filter((c) => c.key === "s3:GetObject");
      await waitFor(() => gets().filter((c) => c.status === 304).length >= 2, 5000, 100);
      expect(gets().filter((c) => c.status === 200)).toHaveLength(1);
    }
  });

  it(`keeps the active-target floor through ${CHURN_PUBLICATIONS} rapid publications, with no file_sd read error`, async () => {
    const stable = servers.targets.slice(0, 6);
    const rotating = servers.targets.slice(6);
    const poll = pollTargets(promUrl(), [FILE_JOB, HTTP_JOB], 25);
    const started = performance.now();
    let last = "";
    const from = outcomes.length;
    for (let i = 0; i < CHURN_PUBLICATIONS; i++) {
      const extra = rotating.filter((_, j) => ((i + 1) >> j) & 1);
      last = serialize(makeDocument([...stable, ...extra], { rev: String(i), service: (t) => (stable.includes(t) ? "web" : "worker") }));
      await publisher.publish(last);
      await sidecar!.syncer.syncOnce(); // the 1 s loop runs too; each publication is applied exactly once
    }
    const elapsed = performance.now() - started;
    const changed = outcomes.slice(from).filter((o) => o.outcome.result === "changed").length;
    const finalSet = (JSON.parse(last) as { targets: string[] }[]).flatMap((g) => g.targets);
    await waitFor(async () => sameSet(await jobInstances(FILE_JOB), finalSet) && sameSet(await jobInstances(HTTP_JOB), finalSet), 20_000, 100);
    const stats = await poll.stop();
    console.log(
      `churn: ${CHURN_PUBLICATIONS} publications (${changed} applied) in ${(elapsed / 1000).toFixed(1)} s; ` +
        `${stats.polls} polls; min active file_sd ${stats.min[FILE_JOB]}, http_sd ${stats.min[HTTP_JOB]} (floor ${stable.length}); max ${stats.max[FILE_JOB]}/${stats.max[HTTP_JOB]}`,
    );
    expect(changed).toBe(CHURN_PUBLICATIONS);
    expect(stats.polls).toBeGreaterThan(10);
    expect(stats.min[FILE_JOB]).toBeGreaterThanOrEqual(stable.length);
    expect(stats.min[HTTP_JOB]).toBeGreaterThanOrEqual(stable.length);
    expect(await scrapeMetric(`${promUrl()}/metrics`, "prometheus_sd_file_read_errors_total")).toBe(0);
    expect(prom!.logs()).not.toMatch(/Error reading file|file_sd.*(error|fail)/i);
    expect(readFileSync(output, "utf8")).toBe(last);
  });

  it("an invalid document leaves Prometheus' targets untouched and is counted by reason", async () => {
    const before = { file: await jobInstances(FILE_JOB), http: await jobInstances(HTTP_JOB) };
    const bytes = readFileSync(output, "utf8");
    const poll = pollTargets(promUrl(), [FILE_JOB, HTTP_JOB], 100);
    await publisher.publish('[{"targets":["127.0.0.1:9100"],"labels":{"job":"x"}},');
    expect(await sidecar!.syncer.syncOnce()).toMatchObject({ result: "error", reason: "invalid_json" });
    await publisher.publish('[{"targets":["not a target"]}]');
    expect(await sidecar!.syncer.syncOnce()).toMatchObject({ result: "error", reason: "bad_target" });
    await publisher.publish('{"targets":[]}');
    expect(await sidecar!.syncer.syncOnce()).toMatchObject({ result: "error", reason: "not_array" });
    // past one discovery-manager batch (5 s) and several refreshes
    await new Promise((r) => setTimeout(r, 6500));
    const stats = await poll.stop();
    expect(readFileSync(output, "utf8")).toBe(bytes);
    expect(await jobInstances(FILE_JOB)).toEqual(before.file);
    expect(await jobInstances(HTTP_JOB)).toEqual(before.http);
    expect(stats.min[FILE_JOB]).toBe(before.file.length);
    expect(stats.min[HTTP_JOB]).toBe(before.http.length);
    const m = await (await fetch(`${sidecar!.url}/metrics`)).text();
    expect(sumMetric(m, "scrape_reconciler_sidecar_sync_errors_total", { reason: "invalid_json" })).toBeGreaterThanOrEqual(1);
    expect(sumMetric(m, "scrape_reconciler_sidecar_sync_errors_total", { reason: "bad_target" })).toBeGreaterThanOrEqual(1);
    expect(sumMetric(m, "scrape_reconciler_sidecar_sync_errors_total", { reason: "not_array" })).toBeGreaterThanOrEqual(1);
    expect(await scrapeMetric(`${promUrl()}/metrics`, "prometheus_sd_file_read_errors_total")).toBe(0);
  });
});
