// The cycle's bookkeeping with a scripted remote-write client (CloudWatch, RDS,
// ElastiCache and S3 on the simulator): which marks move for which write outcome,
// batches after a failing receiver not attempted, series beyond the isolation budget
// written again one by one, and a configuration-type failure stopping the run.
import type { RemoteWriteClient, Series, WriteResult } from "@scrape-reconciler/remote-write";
import { RemoteWriteError } from "@scrape-reconciler/remote-write";
import type { Simulator } from "@scrape-reconciler/sim";
import { afterEach, describe, expect, it } from "vitest";
import { createForwarderClients } from "../src/clients";
import { parseForwardConfig } from "../src/config";
import { createForwarder } from "../src/forwarder";
import { seriesKey } from "../src/naming";
import { forwarderEnv, minuteAgo, startFleet } from "./helpers";

type Answer = (series: Series[], call: number) => WriteResult | Promise<WriteResult>;

function scripted(answer: Answer) {
  const calls: Series[][] = [];
  const client: RemoteWriteClient = {
    endpoint: "http://receiver/api/v1/write",
    write: async (series) => {
      calls.push(series);
      return answer(series, calls.length);
    },
  };
  return { client, calls };
}

const ok = (series: Series[]): WriteResult => ({
  requests: 1,
  seriesSent: series.length,
  samplesSent: series.reduce((n, s) => n + s.samples.length, 0),
  dropped: [],
  retries: 0,
});
const key = (s: Series) => seriesKey(s.labels);

describe("forwardOnce bookkeeping", () => {
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  async function setup(answer: Answer) {
    const clock = { now: minuteAgo(20) + 5_000 };
    sim = await startFleet(clock);
    const env = forwarderEnv(sim, { FORWARD_LOOKBACK: "10m", FORWARD_MAX_SERIES_PER_WRITE: "20" });
    const rw = scripted(answer);
    const forwarder = createForwarder({ config: parseForwardConfig(env), clients: createForwarderClients(env), remoteWrite: rw.client, now: () => clock.now });
    return { forwarder, rw, sim };
  }

  it("a receiver giving up on batch 2 of 3: batch 1's marks move and are saved, batch 2 and 3 wait for the next run", async () => {
    const { forwarder, rw, sim } = await setup((series, call) =>
      call === 2
        ? {
            requests: 2,
            seriesSent: 0,
            samplesSent: 0,
            retries: 1,
            dropped: series.map((s) => ({
              series: s,
              reason: "retries_exhausted" as const,
              status: 503,
              message: "Service Unavailable (gave up after 2 attempts)",
            })),
          }
        : ok(series),
    );
    const s = await forwarder.run();
    expect(rw.calls.map((c) => c.length)).toEqual([20, 20]);
    expect(s.errors).toEqual(["remote write: HTTP 503: Service Unavailable (gave up after 2 attempts)"]);
    expect(s).toMatchObject({ ok: false, series: 20, samplesSent: 20 * 6, samplesPending: 35 * 6, samplesDropped: {} });
    const moved = new Set(rw.calls[0]!.map(key));
    for (const series of rw.calls[1]!) expect(forwarder.marks.get(key(series))).toBeUndefined();
    expect(Object.keys(forwarder.marks.snapshot()).sort()).toEqual([...moved].sort());
    expect(sim.calls.get("s3:PutObject")).toBe(1);
  });

  it("refused-for-good samples move the mark; series beyond the isolation budget are written again one by one", async () => {
    let victims: Series[] = [];
    const { forwarder, rw } = await setup((series, call) => {
      if (call === 1) {
        const [a, b] = series;
        victims = [a!, b!];
        return {
          ...ok(series.slice(2)),
          dropped: [
            { series: { labels: a!.labels, samples: a!.samples.slice(0, 2) }, reason: "out_of_order", status: 400, message: "out of order sample" },
            { series: { labels: a!.labels, samples: a!.samples.slice(2) }, reason: "isolation_limit", status: undefined, message: "budget spent" },
            { series: b!, reason: "isolation_limit", status: undefined, message: "budget spent" },
          ],
        };
      }
      return ok(series);
    });
    const s = await forwarder.run();
    const [a, b] = victims;
    // Call 2: a's isolated samples alone, call 3: b alone; then the other two batches.
    expect(rw.calls.slice(1, 3)).toEqual([[{ labels: a!.labels, samples: a!.samples.slice(2) }], [b]]);
    expect(rw.calls).toHaveLength(5);
    expect(s).toMatchObject({ ok: true, samplesDropped: { out_of_order: 2 }, samplesPending: 0, series: 55 });
    expect(forwarder.marks.get(key(a!))).toBe(a!.samples.at(-1)!.timestamp);
    expect(forwarder.marks.get(key(b!))).toBe(b!.samples.at(-1)!.timestamp);
  });

  it("a configuration-type failure (403) moves nothing and stops the run", async () => {
    const { forwarder, rw, sim } = await setup(() => {
      throw new RemoteWriteError("http://receiver/api/v1/write", 403, "User is not authorized to perform: aps:RemoteWrite");
    });
    const s = await forwarder.run();
    expect(rw.calls).toHaveLength(1);
    expect(s.errors).toEqual([expect.stringMatching(/^remote write to http:\/\/receiver\/api\/v1\/write failed: HTTP 403: .*aps:RemoteWrite/)]);
    expect(s).toMatchObject({ ok: false, samplesSent: 0, series: 0, samplesPending: 55 * 6 });
    expect(forwarder.marks.snapshot()).toEqual({});
    expect(sim.calls.get("s3:PutObject")).toBe(0);
  });

  it("a dry run queries CloudWatch and writes nothing", async () => {
    const { forwarder, rw, sim } = await setup(ok);
    const s = await forwarder.run({ dryRun: true });
    expect(rw.calls).toHaveLength(0);
    expect(s.preview).toHaveLength(55);
    expect(s.preview!.every((p) => p.samples.length === 6)).toBe(true);
    expect(forwarder.marks.snapshot()).toEqual({});
    expect(sim.calls.get("s3:PutObject")).toBe(0);
  });
});
