// The stack as deployed, upgraded from the single-object layout to the sharded publication
// (README "Sharded publication"): a bucket holding only the single document (no index, no
// shards, as the version before left it) gets its index and shards from the next reconcile
// without a new document: same generation, same bytes, no empty window for a sidecar of
// either kind; a sidecar following the index then writes exactly the single document, and
// follows the next event's change, which moves the index alone (and the manifest's pointer).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteObjectCommand, GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { indexKeyOf, parseIndex } from "@scrape-reconciler/core";
import { silentLogger, startSidecar } from "@scrape-reconciler/sidecar";
import { simClientConfig } from "@scrape-reconciler/sim";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { scenarioSuite, type ScenarioStack } from "../support/emulated-stack";
import { ACCOUNT_SCENARIO } from "./scenarios";

const suite = scenarioSuite({ region: ACCOUNT_SCENARIO.region!, accountId: ACCOUNT_SCENARIO.accountId! });
let s: ScenarioStack;
const dir = mkdtempSync(join(tmpdir(), "sharded-upgrade-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("upgrading a deployment of the single document", () => {
  it("gets its index without a new document, and a sidecar following it writes the same bytes", async () => {
    s = await suite.deploy({ sim: { scenario: ACCOUNT_SCENARIO } });
    const env = s.stack.model.functions.find((f) => f.name === s.reconcileFn)!.environment;
    const bucket = env.TARGETS_BUCKET!;
    const key = env.TARGETS_KEY ?? "targets/ecs-services.json";
    const s3 = new S3Client(simClientConfig(s.sim));
    const text = async (k: string) => {
      const o = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: k }));
      const raw = await o.Body!.transformToByteArray();
      return (o.ContentEncoding === "gzip" ? gunzipSync(raw) : Buffer.from(raw)).toString("utf8");
    };
    try {
      // As the version before the shards left the bucket: the single document only.
      const index = parseIndex(await text(indexKeyOf(key)));
      for (const k of [indexKeyOf(key), ...index.shards.map((x) => x.key)]) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: k }));
      const before = (await s.published())!;

      // The upgrade's first reconcile (the deploy runs one; here the schedule does).
      s.stack.fireSchedule("ReconcileSchedule");
      await s.stack.settle();
      const after = (await s.published())!;
      expect(after.manifest.generation).toBe(before.manifest.generation);
      expect(after.bytes).toBe(before.bytes);
      const upgraded = parseIndex(await text(indexKeyOf(key)));
      expect(upgraded.generation).toBe(before.manifest.generation);
      expect(upgraded.sha256).toBe(before.manifest.sha256);

      // A sidecar following the index: the single document's bytes.
      const out = join(dir, "ecs-services.json");
      const sidecar = await startSidecar(
        { source: { kind: "s3", bucket, key: indexKeyOf(key) }, output: out, intervalMs: 1000, maxBackoffMs: 60_000, logLevel: "error" },
        { s3Config: { ...simClientConfig(s.sim), maxAttempts: 1 }, loop: false, log: silentLogger, defaultMetrics: false },
      );
      try {
        await sidecar.syncAll();
        expect(readFileSync(out, "utf8")).toBe(after.bytes);
        // The next change reaches it through the index.
        s.sim.state.startTask("web", "frontend");
        s.flush();
        await s.stack.settle();
        const changed = (await s.published())!;
        // The event batch published the index alone (PUBLISH_SINGLE_DOCUMENT=full-reconcile):
        // the manifest points at it; the single document waits for the next full reconcile.
        expect(changed.manifest.index?.generation).toBe(after.manifest.generation + 1);
        expect(changed.manifest.generation).toBe(after.manifest.generation);
        await sidecar.syncAll();
        expect(readFileSync(out, "utf8")).toBe(changed.bytes);
        expect(changed.bytes).toBe(await s.expectedBytes());
      } finally {
        await sidecar.stop();
      }
    } finally {
      s3.destroy();
    }
  }, 180_000);
});
