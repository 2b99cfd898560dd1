// End to end with the ssm: source (manifest in SSM, document in S3, both in the local
// simulator) and a real Prometheus: a document whose sha256 does not match the manifest,
// and a manifest whose generation went back, leave Prometheus' targets, the file and
// /targets untouched; the sidecar counts them. In the steady state only SSM is read.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMetricsServers, type MetricsServers } from "../../../test/support/metrics-server";
import { activeTargets, scrapeMetric, startPrometheus, sumMetric, waitFor, type PrometheusHandle } from "../../../test/support/prometheus";
import { silentLogger, startSidecar, type SidecarHandle } from "../src/index";
import { FILE_JOB, HTTP_JOB, instances, makeDocument, pollTargets, prometheusConfig, sameSet, serialize } from "./e2e-support";
import { simPublisher, type Publisher } from "./publishers";

let dir: string;
let servers: MetricsServers;
let prom: PrometheusHandle | undefined;
let sidecar: SidecarHandle | undefined;
let publisher: Publisher;
let output: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sidecar-ssm-e2e-"));
  mkdirSync(join(dir, "sd"));
  output = join(dir, "sd", "ecs-services.json");
  servers = await startMetricsServers(6);
  publisher = await simPublisher("ssm");
  sidecar = await startSidecar(
    { source: publisher.spec, output, listen: { host: "127.0.0.1", port: 0 }, intervalMs: 1000, maxBackoffMs: 2000, logLevel: "error" },
    { log: silentLogger, ...publisher.startOptions },
  );
  prom = await startPrometheus({ config: prometheusConfig({ fileGlob: join(dir, "sd", "*.json"), targetsUrl: `${sidecar.url}/targets` }) });
});

afterAll(async () => {
  await sidecar?.stop();
  await prom?.stop();
  await servers?.close();
  await publisher?.close();
  rmSync(dir, { recursive: true, force: true });
});

const metric = async (name: string, labels?: Record<string, string>) => sumMetric(await (await fetch(`${sidecar!.url}/metrics`)).text(), name, labels);

describe("sidecar + Prometheus (ssm source)", () => {
  it("applies a verified generation, then rejects a sha256 mismatch and ignores a stale manifest", async () => {
    const good = serialize(makeDocument(servers.targets.slice(0, 4)));
    await publisher.publish(good, { generation: 5 });
    await waitFor(
      async () => {
        const all = await activeTargets(prom!.url);
        return (
          sameSet(instances(all.filter((t) => t.scrapePool === FILE_JOB)), servers.targets.slice(0, 4)) &&
          sameSet(instances(all.filter((t) => t.scrapePool === HTTP_JOB)), servers.targets.slice(0, 4))
        );
      },
      20_000,
      100,
    );
    expect(await metric("scrape_reconciler_sidecar_document_generation")).toBe(5);

    // steady state: the manifest is read every interval, the document is not fetched again
    const sim = publisher.sim!;
    const s3Gets = () => sim.calls.get("s3:GetObject");
    const ssmGets = () => sim.calls.get("ssm:GetParameter");
    const [g0, p0] = [s3Gets(), ssmGets()];
    await new Promise((r) => setTimeout(r, 2500));
    expect(s3Gets()).toBe(g0);
    expect(ssmGets()).toBeGreaterThanOrEqual(p0 + 2);

    const st = statSync(output);
    const poll = pollTargets(prom!.url, [FILE_JOB, HTTP_JOB], 100);
    // generation 6: S3 holds a different document than the one the manifest describes
    await publisher.publish(serialize(makeDocument(servers.targets)), { generation: 6, sha256: "0".repeat(64) });
    await waitFor(async () => (await metric("scrape_reconciler_sidecar_sync_errors_total", { reason: "sha256_mismatch" })) >= 1, 10_000, 100);
    // a manifest that went back to generation 4 (a racing publisher) is ignored
    await publisher.publish(serialize(makeDocument(servers.targets.slice(0, 1))), { generation: 4 });
    await waitFor(async () => (await metric("scrape_reconciler_sidecar_stale_manifests_total")) >= 1, 10_000, 100);
    await new Promise((r) => setTimeout(r, 6000)); // past a discovery-manager batch
    const stats = await poll.stop();

    expect(readFileSync(output, "utf8")).toBe(good);
    expect(statSync(output).mtimeMs).toBe(st.mtimeMs);
    expect(await (await fetch(`${sidecar!.url}/targets`)).text()).toBe(good);
    expect(instances(await activeTargets(prom!.url, FILE_JOB))).toEqual([...servers.targets.slice(0, 4)].sort());
    expect(instances(await activeTargets(prom!.url, HTTP_JOB))).toEqual([...servers.targets.slice(0, 4)].sort());
    expect([stats.min[FILE_JOB], stats.max[FILE_JOB], stats.min[HTTP_JOB], stats.max[HTTP_JOB]]).toEqual([4, 4, 4, 4]);
    expect(await metric("scrape_reconciler_sidecar_document_generation")).toBe(5);
    expect(await metric("scrape_reconciler_sidecar_targets")).toBe(4);
    expect(await scrapeMetric(`${prom!.url}/metrics`, "prometheus_sd_file_read_errors_total")).toBe(0);

    // generation 7, verified: applied
    const next = serialize(makeDocument(servers.targets.slice(0, 5)));
    await publisher.publish(next, { generation: 7 });
    // the metrics are updated right after the file's rename
    await waitFor(async () => (await metric("scrape_reconciler_sidecar_document_generation")) === 7, 10_000, 50);
    expect(readFileSync(output, "utf8")).toBe(next);
    expect(await metric("scrape_reconciler_sidecar_consecutive_errors")).toBe(0);
  });
});
