// End to end against a real Prometheus (Debian's 2.42 here) with its remote-write receiver:
// exact values and timestamps read back, idempotent re-sends, a rejected series isolated
// while the others are stored, Prometheus' exact error bodies, and the 500 "too old sample"
// retry trap with out_of_order_time_window. Skips only when no prometheus binary exists.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRemoteWriteClient, type RemoteWriteClient } from "../src/client";
import { encodeWriteRequest } from "../src/protobuf";
import { snappyCompress } from "../src/snappy";
import { findPrometheus, querySamples, startPrometheus, type PrometheusHandle } from "../../../test/support/prometheus";

const binary = findPrometheus();
const title = binary
  ? "remote write into a real Prometheus"
  : "remote write into a real Prometheus (SKIPPED: no prometheus binary; install the prometheus package or set PROMETHEUS_BIN)";
if (!binary) console.warn(`[remote-write] ${title}`);

const fastRetry = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

/** POSTs one raw remote-write body and returns Prometheus' exact answer. */
async function rawPost(url: string, series: Array<{ name: string; labels?: Record<string, string>; t: number; v: number }>) {
  const body = snappyCompress(
    encodeWriteRequest(
      series.map((s) => ({
        labels: Object.entries({ __name__: s.name, ...s.labels })
          .map(([name, value]) => ({ name, value }))
          .sort((a, b) => (a.name < b.name ? -1 : 1)),
        samples: [{ value: s.v, timestamp: s.t }],
      })),
    ),
  );
  const res = await fetch(`${url}/api/v1/write`, { method: "POST", body, headers: { "Content-Encoding": "snappy", "Content-Type": "application/x-protobuf" } });
  return { status: res.status, body: await res.text() };
}

describe.skipIf(!binary)(title, () => {
  let prom: PrometheusHandle;
  let client: RemoteWriteClient;
  const now = Date.now();

  beforeAll(async () => {
    prom = await startPrometheus({ args: ["--web.enable-remote-write-receiver"] });
    client = createRemoteWriteClient({ url: `${prom.url}/api/v1/write`, retry: fastRetry });
  });
  afterAll(async () => {
    await prom?.stop();
  });

  it("stores exact values and timestamps, read back through the query API", async () => {
    const samples = [
      { value: 0.125, timestamp: now - 120_000 },
      { value: -42.5, timestamp: now - 60_000 },
      { value: 1.5e300, timestamp: now - 1_001 },
      { value: NaN, timestamp: now },
    ];
    const r = await client.write([
      { labels: { __name__: "rw_e2e_values", db: "orders", region: "eu-west-1", empty: "" }, samples: [...samples].reverse() },
      { labels: { __name__: "rw_e2e_other", unicode: "héllo ✓" }, samples: [{ value: 7, timestamp: now }] },
    ]);
    expect(r).toEqual({ requests: 1, seriesSent: 2, samplesSent: 5, dropped: [], retries: 0 });
    const got = await querySamples(prom.url, 'rw_e2e_values{db="orders",region="eu-west-1"}');
    expect(got.map((s) => s.t)).toEqual(samples.map((s) => s.timestamp));
    expect(got.slice(0, 3).map((s) => s.v)).toEqual([0.125, -42.5, 1.5e300]);
    expect(Number.isNaN(got[3]!.v)).toBe(true);
    expect(await querySamples(prom.url, 'rw_e2e_other{unicode="héllo ✓"}')).toEqual([{ t: now, v: 7 }]);
  });

  it("accepts a re-send of each series' newest sample (204); older re-sent samples are 'out of order'", async () => {
    const series = [
      { labels: { __name__: "rw_e2e_resend", a: "b" }, samples: [{ value: 4, timestamp: now }] },
      {
        labels: { __name__: "rw_e2e_resend", a: "c" },
        samples: [
          { value: 3, timestamp: now - 5_000 },
          { value: 5, timestamp: now },
        ],
      },
    ];
    expect((await client.write(series)).dropped).toEqual([]);
    const newest = series.map((s) => ({ labels: s.labels, samples: s.samples.slice(-1) }));
    expect(await client.write(newest)).toEqual({ requests: 1, seriesSent: 2, samplesSent: 2, dropped: [], retries: 0 });
    // Measured: 2.42 compares with the series' newest sample, so a re-sent older sample is
    // rejected like any late one (the data is already there; the client reports the drop).
    const again = await client.write(series);
    expect(again.dropped.map((d) => [d.series.labels.a, d.reason, d.series.samples])).toEqual([["c", "out_of_order", [{ value: 3, timestamp: now - 5_000 }]]]);
    expect(again.samplesSent).toBe(2);
    expect(await querySamples(prom.url, 'rw_e2e_resend{a="b"}')).toEqual([{ t: now, v: 4 }]);
    expect(await querySamples(prom.url, 'rw_e2e_resend{a="c"}')).toEqual([
      { t: now - 5_000, v: 3 },
      { t: now, v: 5 },
    ]);
  });

  it("drops a series with an older sample (400) and stores the others sent with it", async () => {
    await client.write([{ labels: { __name__: "rw_e2e_ooo", id: "late" }, samples: [{ value: 1, timestamp: now }] }]);
    const r = await client.write([
      { labels: { __name__: "rw_e2e_ooo", id: "good1" }, samples: [{ value: 10, timestamp: now }] },
      { labels: { __name__: "rw_e2e_ooo", id: "late" }, samples: [{ value: 2, timestamp: now - 30_000 }] },
      { labels: { __name__: "rw_e2e_ooo", id: "dup" }, samples: [{ value: 5, timestamp: now }] },
      {
        labels: { __name__: "rw_e2e_ooo", id: "good2" },
        samples: [
          { value: 20, timestamp: now - 1 },
          { value: 21, timestamp: now },
        ],
      },
      { labels: { __name__: "rw_e2e_ooo", id: "good3" }, samples: [{ value: 30, timestamp: now }] },
    ]);
    expect(r.dropped).toEqual([
      {
        series: { labels: { __name__: "rw_e2e_ooo", id: "late" }, samples: [{ value: 2, timestamp: now - 30_000 }] },
        reason: "out_of_order",
        status: 400,
        message: "out of order sample",
      },
    ]);
    // Two values at one timestamp in one write: 2.42 would keep the first and silently
    // discard the second (measured), so the client reports it before sending.
    const dup = await client.write([
      {
        labels: { __name__: "rw_e2e_dup" },
        samples: [
          { value: 5, timestamp: now },
          { value: 6, timestamp: now },
        ],
      },
    ]);
    expect(dup.dropped.map((d) => [d.reason, d.status, d.series.samples])).toEqual([["duplicate_sample", undefined, [{ value: 6, timestamp: now }]]]);
    expect(await querySamples(prom.url, "rw_e2e_dup")).toEqual([{ t: now, v: 5 }]);
    expect(r).toMatchObject({ seriesSent: 4, samplesSent: 5, retries: 0 });
    expect(await querySamples(prom.url, 'rw_e2e_ooo{id="good1"}')).toEqual([{ t: now, v: 10 }]);
    expect(await querySamples(prom.url, 'rw_e2e_ooo{id="good2"}')).toEqual([
      { t: now - 1, v: 20 },
      { t: now, v: 21 },
    ]);
    expect(await querySamples(prom.url, 'rw_e2e_ooo{id="good3"}')).toEqual([{ t: now, v: 30 }]);
    expect(await querySamples(prom.url, 'rw_e2e_ooo{id="dup"}')).toEqual([{ t: now, v: 5 }]);
    expect(await querySamples(prom.url, 'rw_e2e_ooo{id="late"}')).toEqual([{ t: now, v: 1 }]);
  });

  it("drops a sample far behind the head as out_of_bounds", async () => {
    await client.write([{ labels: { __name__: "rw_e2e_head" }, samples: [{ value: 1, timestamp: now }] }]); // the head's max time
    const r = await client.write([
      {
        labels: { __name__: "rw_e2e_oob" },
        samples: [
          { value: 1, timestamp: now - 3 * 3600_000 },
          { value: 2, timestamp: now },
        ],
      },
    ]);
    expect(r.dropped.map((d) => [d.reason, d.status, d.message, d.series.samples.length])).toEqual([["out_of_bounds", 400, "out of bounds", 1]]);
    expect(await querySamples(prom.url, "rw_e2e_oob")).toEqual([{ t: now, v: 2 }]);
  });

  it("pins Prometheus 2.42's bare error bodies: the series is not named, the good series is not stored", async () => {
    const t = now + 10;
    expect(await rawPost(prom.url, [{ name: "rw_e2e_raw", t, v: 1 }])).toEqual({ status: 204, body: "" });
    expect(await rawPost(prom.url, [{ name: "rw_e2e_raw", t, v: 1 }])).toEqual({ status: 204, body: "" });
    expect(await rawPost(prom.url, [{ name: "rw_e2e_raw", t, v: 2 }])).toEqual({ status: 400, body: "duplicate sample for timestamp\n" });
    const mixed = await rawPost(prom.url, [
      { name: "rw_e2e_raw_good", t, v: 1 },
      { name: "rw_e2e_raw", t: t - 1000, v: 1 },
    ]);
    expect(mixed).toEqual({ status: 400, body: "out of order sample\n" });
    expect(await querySamples(prom.url, "rw_e2e_raw_good")).toEqual([]);
    expect(await rawPost(prom.url, [{ name: "rw_e2e_raw_old", t: now - 3 * 3600_000, v: 1 }])).toEqual({ status: 400, body: "out of bounds\n" });
    // The series is named only in Prometheus' own log.
    expect(prom.logs()).toContain('series="{__name__=\\"rw_e2e_raw\\"}"');
  });
});

describe.skipIf(!binary)(`${title}, with out_of_order_time_window`, () => {
  let prom: PrometheusHandle;
  const now = Date.now();

  beforeAll(async () => {
    const config = "global:\n  scrape_interval: 1h\nstorage:\n  tsdb:\n    out_of_order_time_window: 10m\n";
    prom = await startPrometheus({ args: ["--web.enable-remote-write-receiver"], config });
  });
  afterAll(async () => {
    await prom?.stop();
  });

  it("gets 500 'too old sample', retries a bounded number of times, then drops as retries_exhausted", async () => {
    const sleeps: number[] = [];
    const client = createRemoteWriteClient({ url: `${prom.url}/api/v1/write`, retry: fastRetry, sleep: async (ms) => void sleeps.push(ms) });
    expect((await client.write([{ labels: { __name__: "rw_e2e_ooo_window" }, samples: [{ value: 1, timestamp: now }] }])).dropped).toEqual([]);
    // Within the window an older sample is accepted.
    const inWindow = await client.write([{ labels: { __name__: "rw_e2e_ooo_window" }, samples: [{ value: 0, timestamp: now - 60_000 }] }]);
    expect(inWindow.dropped).toEqual([]);
    const r = await client.write([
      { labels: { __name__: "rw_e2e_ooo_window" }, samples: [{ value: -1, timestamp: now - 30 * 60_000 }] },
      { labels: { __name__: "rw_e2e_ooo_window_neighbour" }, samples: [{ value: 5, timestamp: now }] },
    ]);
    expect(r.requests).toBe(3);
    expect(r.retries).toBe(2);
    expect(sleeps).toHaveLength(2);
    expect(r.samplesSent).toBe(0);
    expect(r.dropped.map((d) => [d.series.labels.__name__, d.reason, d.status, d.message])).toEqual([
      ["rw_e2e_ooo_window", "retries_exhausted", 500, "too old sample (gave up after 3 attempts)"],
      ["rw_e2e_ooo_window_neighbour", "retries_exhausted", 500, "too old sample (gave up after 3 attempts)"],
    ]);
    expect(await querySamples(prom.url, "rw_e2e_ooo_window")).toEqual([
      { t: now - 60_000, v: 0 },
      { t: now, v: 1 },
    ]);
    expect(await querySamples(prom.url, "rw_e2e_ooo_window_neighbour")).toEqual([]);
  });
});
