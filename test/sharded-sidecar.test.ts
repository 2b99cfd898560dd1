// The sharded publication end to end, with the parts as deployed: the reconciler (a full
// reconcile, then an event batch through the function's router) publishes on the
// simulator, and a sidecar following the index (s3://BUCKET/KEY.index.json) writes the same
// bytes as the single document, fetching after a one-service scale-out the index and that
// one service's shard only. At 200 services x 50 tasks (10,000 targets) the change moves at
// most 100 KB to the sidecar, where the single document is megabytes. The batch leaves the
// single document alone (PUBLISH_SINGLE_DOCUMENT=full-reconcile); the next full reconcile
// writes into it exactly the bytes the sidecar wrote.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { indexKeyOf } from "@scrape-reconciler/core";
import { reconcile } from "@scrape-reconciler/reconcile";
import { readPublishedTargets } from "@scrape-reconciler/store";
import { silentLogger, startSidecar } from "@scrape-reconciler/sidecar";
import { EventBridgeEmitter, generateScenario, simClientConfig } from "@scrape-reconciler/sim";
import { afterAll, describe, expect, it } from "vitest";
import { captureLogger, deliver, routed } from "./support/events";
import { sumMetric } from "./support/prometheus";
import { BUCKET, startSimEnv, type SimEnv } from "./support/sim-env";

let env: SimEnv | undefined;
const dir = mkdtempSync(join(tmpdir(), "sharded-sidecar-"));
afterAll(async () => {
  await env?.sim.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("sharded publication, reconciler to sidecar", () => {
  it("gives the sidecar the single document's bytes, and a one-service change moves under 100 KB", async () => {
    env = await startSimEnv({ scenario: generateScenario({ services: 200, tasksPerService: 50, namespaces: 4, clusters: 4, ec2Every: 10, seed: "sharded" }) });
    const capture = captureLogger();
    const deps = { clients: env.clients, config: env.config, now: () => new Date(), logger: capture.logger };
    const out = join(dir, "ecs-services.json");
    const shardDir = join(dir, "shards");
    mkdirSync(shardDir);
    const sidecar = await startSidecar(
      {
        source: { kind: "s3", bucket: BUCKET, key: indexKeyOf(env.config.key) },
        output: out,
        shardDir,
        intervalMs: 1000,
        maxBackoffMs: 60_000,
        logLevel: "error",
      },
      { s3Config: { ...simClientConfig(env.sim), maxAttempts: 1 }, loop: false, log: silentLogger, defaultMetrics: false },
    );
    const single = async () => (await env!.clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: env!.config.key }))).Body!.transformToString("utf8");
    // The newest publication: the index's after an event batch (PUBLISH_SINGLE_DOCUMENT=full-reconcile).
    const published = async () => (await readPublishedTargets({ s3: env!.clients.s3, bucket: BUCKET, key: env!.config.key }))!;
    const shardBytes = async () => sumMetric(await sidecar.metrics.registry.metrics(), "scrape_reconciler_sidecar_shard_bytes_total");
    const shardFetches = async () => sumMetric(await sidecar.metrics.registry.metrics(), "scrape_reconciler_sidecar_shard_fetches_total");
    try {
      const emitter = new EventBridgeEmitter(env.sim.state, { seed: "sharded" });
      const first = await reconcile(deps);
      expect(first.targets).toBeGreaterThanOrEqual(10_000);
      emitter.drain();
      await sidecar.syncAll();
      const document = await single();
      expect(readFileSync(out, "utf8")).toBe(document);
      expect(await shardFetches()).toBe(200);

      // One service scales out by one task: the events go through the function's router.
      const svc = env.sim.scenario.services[17]!;
      env.sim.state.setDesiredCount(svc.cluster, svc.name, 51);
      const r = await deliver(deps, routed([...emitter.drain(), ...emitter.flush()]));
      emitter.close();
      expect(r.summary.documentWritten).toBe(true);
      env.sim.calls.reset();
      const bytesBefore = await shardBytes();
      await sidecar.syncAll();
      // What the sidecar downloaded: the index and one shard (as stored, gzip).
      const gets = env.sim.calls.log.filter((c) => c.key === "s3:GetObject" && c.status === 200 && /\.index\.json$|\.shards\//.test(c.path ?? ""));
      const latest = await published();
      expect(latest.source).toBe("index");
      const after = latest.text;
      expect(after).not.toBe(document);
      expect(readFileSync(out, "utf8")).toBe(after);
      // The batch left the single document alone; the next full reconcile writes exactly the
      // sidecar's bytes into it.
      expect(await single()).toBe(document);
      expect(await shardFetches()).toBe(201);
      expect(gets).toHaveLength(2);
      const moved = await shardBytes();
      expect(moved - bytesBefore).toBeGreaterThan(0);
      const storedSizes = await Promise.all(
        gets.map(async (c) => {
          const key = c.path!.slice(`/${BUCKET}/`.length);
          const o = await env!.clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
          return (await o.Body!.transformToByteArray()).byteLength;
        }),
      );
      const movedOnTheWire = storedSizes.reduce((a, b) => a + b, 0);
      console.log(
        `one-service change: the sidecar moved ${movedOnTheWire} bytes (index and one shard, gzip); the single document is ${Buffer.byteLength(after)} bytes`,
      );
      expect(movedOnTheWire).toBeLessThan(100 * 1024);
      // One file per shard beside it, each a document of one service.
      const firstGroup = JSON.parse(after)[0] as { labels: Record<string, string> };
      const shardFile = JSON.parse(readFileSync(join(shardDir, `${firstGroup.labels.__meta_cloudmap_service_id}.json`), "utf8")) as {
        labels: Record<string, string>;
      }[];
      expect(shardFile.every((g) => g.labels.__meta_cloudmap_service_id === firstGroup.labels.__meta_cloudmap_service_id)).toBe(true);
      const full = await reconcile(deps);
      expect(full.written).toBe(true);
      expect(await single()).toBe(after);
    } finally {
      capture.restore();
      await sidecar.stop();
    }
  }, 240_000);
});
