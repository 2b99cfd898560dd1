// The state object is never overwritten when this version cannot read it: an unknown
// schemaVersion or a body that is not JSON is a ReconcilerStateError naming the object.
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { ReconcilerStateError } from "@scrape-reconciler/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUCKET, startSimEnv, type SimEnv } from "../../../test/support/sim-env";
import { readState } from "../src";

let env: SimEnv;
beforeAll(async () => {
  env = await startSimEnv({ scenario: { buckets: [] } });
});
afterAll(async () => env?.sim.close());

const put = (body: string) => env.clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "targets/state.json", Body: body }));
const target = () => ({ s3: env.clients.s3, bucket: BUCKET, stateKey: "targets/state.json" });

describe("readState", () => {
  it("gives an empty state, and no ETag, when there is no object", async () => {
    const stored = await readState(target(), new Date("2026-12-05T00:00:00Z"));
    expect(stored.etag).toBeUndefined();
    expect(stored.state.schemaVersion).toBe(1);
    expect(stored.state.generation).toBe(0);
  });

  it("refuses a state of an unknown schemaVersion with a ReconcilerStateError naming the object", async () => {
    await put(JSON.stringify({ schemaVersion: 3 }));
    const err = await readState(target(), new Date()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReconcilerStateError);
    expect((err as Error).message).toBe(`s3://${BUCKET}/targets/state.json: unknown schemaVersion 3; this version reads 1 and 2`);
  });

  it("refuses a body that is not JSON", async () => {
    await put("{not json");
    const err = await readState(target(), new Date()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReconcilerStateError);
    expect((err as Error).message).toMatch(/^s3:\/\/targets-test\/targets\/state\.json: not JSON \(SyntaxError: /);
  });
});
