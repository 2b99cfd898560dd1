// The golden document: the exact bytes `scrape-reconciler reconcile` publishes for the
// sample scenario (packages/sim/scenarios/sample.json) on the local simulator, at the
// default TARGETS_KEY. Any change to what is published for the same AWS state (a label, the
// order, the serialization) shows here as a diff, and must be deliberate.
//
// Regenerate it, after a deliberate change, with:
//
//   UPDATE_GOLDEN=1 npx vitest run test/golden.test.ts
//
// which runs the reconcile twice, on two fresh simulators, and writes the file only when
// both gave the same bytes. No byte of the document depends on the time: the simulator's
// seeded resources take the scenario's startTime, ids come from the scenario's seed, and
// generated-at is object metadata, not part of the document (the simulator's clock is fixed
// anyway, so nothing it creates at run time moves either).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { main } from "@scrape-reconciler/cli";
import { BUCKET, startSimEnv } from "./support/sim-env";

const SCENARIO = fileURLToPath(new URL("../packages/sim/scenarios/sample.json", import.meta.url));
const GOLDEN = fileURLToPath(new URL("./fixtures/golden/ecs-services.json", import.meta.url));
/** TARGETS_KEY's default (not set here, so the CLI uses it). */
const DEFAULT_KEY = "targets/ecs-services.json";
const CLOCK = new Date("2026-01-01T00:00:00.000Z");

/** Runs `scrape-reconciler reconcile` in process on a fresh simulator; returns the published bytes. */
async function publishedBytes(): Promise<Buffer> {
  const env = await startSimEnv({ scenario: SCENARIO, clock: () => new Date(CLOCK) });
  try {
    expect(env.env.TARGETS_KEY).toBeUndefined();
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(["reconcile"], env.env, { out: (t) => out.push(t), err: (t) => err.push(t) });
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out.join("\n")).toMatch(/^published: generation 1 \(was 0\)/m);
    const obj = await env.clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: DEFAULT_KEY }));
    return Buffer.from(await obj.Body!.transformToByteArray());
  } finally {
    await env.sim.close();
  }
}

describe("golden document", () => {
  it("the full reconcile of the sample scenario publishes exactly the golden bytes", async () => {
    if (process.env.UPDATE_GOLDEN === "1") {
      const first = await publishedBytes();
      const second = await publishedBytes();
      expect(second.equals(first), "two runs published different bytes: the document is not deterministic").toBe(true);
      mkdirSync(dirname(GOLDEN), { recursive: true });
      writeFileSync(GOLDEN, first);
    }
    expect(existsSync(GOLDEN), `${GOLDEN} is missing: UPDATE_GOLDEN=1 npx vitest run test/golden.test.ts`).toBe(true);
    const golden = readFileSync(GOLDEN);
    const actual = await publishedBytes();
    // The text first, for a readable diff (one target group per line), then every byte.
    expect(actual.toString("utf8")).toBe(golden.toString("utf8"));
    expect(actual.equals(golden)).toBe(true);
  });
});
