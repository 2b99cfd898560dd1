// The client against a fake fetch: headers and body, splitting, the retry policy
// (5xx/429/network retried with backoff, other 4xx final), and isolation of bad series.
import { describe, expect, it } from "vitest";
import { createRemoteWriteClient, type RemoteWriteClientOptions } from "../src/client";
import { RemoteWriteError } from "../src/errors";
import type { Series } from "../src/series";
import { fakeFetch, prometheusLike, status, type Answer, type Captured } from "./fake-receiver";
import { labelRecord } from "./wire";

const URL_ = "http://127.0.0.1:9/api/v1/write?tenant=x";
const T0 = 1_795_633_000_000;

function setup(answer: (req: Captured, i: number) => Answer | Promise<Answer>, opts: Partial<RemoteWriteClientOptions> = {}) {
  const f = fakeFetch(answer);
  const sleeps: number[] = [];
  const client = createRemoteWriteClient({
    url: URL_,
    fetch: f.fetch,
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    now: () => Date.parse("2026-01-01T00:00:00Z"),
    retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000 },
    ...opts,
  });
  return { client, calls: f.calls, sleeps };
}

const series = (n: number, name = "m"): Series[] =>
  Array.from({ length: n }, (_, i) => ({ labels: { __name__: name, i: String(i) }, samples: [{ value: i, timestamp: T0 }] }));

describe("requests", () => {
  it("sends remote-write 1.0 headers and a normalised body", async () => {
    const { client, calls } = setup(() => status(204), { userAgent: "test-agent/1" });
    const r = await client.write([
      {
        labels: { zone: "a", __name__: "cpu", empty: "" },
        samples: [
          { value: 2, timestamp: T0 + 1000 },
          { value: NaN, timestamp: T0 },
        ],
      },
    ]);
    expect(r).toEqual({ requests: 1, seriesSent: 1, samplesSent: 2, dropped: [], retries: 0 });
    const h = calls[0]!.headers;
    expect(h["content-encoding"]).toBe("snappy");
    expect(h["content-type"]).toBe("application/x-protobuf");
    expect(h["user-agent"]).toBe("test-agent/1");
    expect(h["x-prometheus-remote-write-version"]).toBe("0.1.0");
    expect(h.authorization).toBeUndefined();
    expect(calls[0]!.url).toBe(URL_);
    const s = calls[0]!.series[0]!;
    expect(s.labels).toEqual([
      { name: "__name__", value: "cpu" },
      { name: "zone", value: "a" },
    ]);
    expect(s.samples[0]!.timestamp).toBe(String(T0));
    expect(Number.isNaN(s.samples[0]!.value)).toBe(true);
    expect(s.samples[1]).toEqual({ value: 2, timestamp: String(T0 + 1000) });
  });

  it("drops a series with an invalid label name with a clear reason and sends the rest", async () => {
    const { client, calls } = setup(() => status(204));
    const r = await client.write([...series(2), { labels: { __name__: "m", "pod-name": "x" }, samples: [{ value: 1, timestamp: T0 }] }]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.series).toHaveLength(2);
    expect(r.seriesSent).toBe(2);
    expect(r.dropped).toHaveLength(1);
    expect(r.dropped[0]).toMatchObject({ reason: "invalid_label_name", status: undefined, series: { labels: { "pod-name": "x" } } });
    expect(r.dropped[0]!.message).toMatch(/"pod-name".*\[a-zA-Z_\]/);
  });

  it("splits a large write into several requests under maxBytesPerRequest", async () => {
    const { client, calls } = setup(() => status(204), { maxBytesPerRequest: 4096 });
    const input = Array.from({ length: 400 }, (_, i) => ({
      labels: { __name__: "aws_rds_cpu", db: `db-${i}` },
      samples: Array.from({ length: 5 }, (_, j) => ({ value: j, timestamp: T0 + j * 60_000 })),
    }));
    const r = await client.write(input);
    expect(calls.length).toBeGreaterThan(5);
    expect(r.requests).toBe(calls.length);
    expect(r).toMatchObject({ seriesSent: 400, samplesSent: 2000, dropped: [] });
    const dbs = calls.flatMap((c) => c.series.map((s) => labelRecord(s).db));
    expect(dbs).toEqual(input.map((s) => s.labels.db));
  });
});

describe("retry policy", () => {
  it("retries 5xx with capped, jittered exponential backoff, then succeeds", async () => {
    const { client, calls, sleeps } = setup((_, i) => (i < 3 ? status(i === 1 ? 502 : 503, "busy") : status(204)));
    const r = await client.write(series(3));
    expect(calls).toHaveLength(4);
    expect(sleeps).toEqual([50, 100, 200]); // random 0.5 × min(1000, 100·2^(n-1))
    expect(r).toMatchObject({ requests: 4, retries: 3, seriesSent: 3, samplesSent: 3, dropped: [] });
    expect(calls.every((c) => c.series.length === 3)).toBe(true);
  });

  it("does not retry other 4xx: throws RemoteWriteError naming the endpoint, with the partial result", async () => {
    const { client, calls } = setup((_, i) => (i === 0 ? status(204) : status(403, "User is not authorized\nto perform aps:RemoteWrite")), {
      maxSeriesPerRequest: 2,
    });
    const err = await client.write(series(4)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteWriteError);
    const e = err as RemoteWriteError;
    expect(e.status).toBe(403);
    expect(e.message).toBe("remote write to http://127.0.0.1:9/api/v1/write failed: HTTP 403: User is not authorized to perform aps:RemoteWrite");
    expect(calls).toHaveLength(2);
    expect(e.partial).toMatchObject({ requests: 2, seriesSent: 2, samplesSent: 2, retries: 0 });
  });

  it("waits for Retry-After (seconds or date) on 429 instead of the backoff", async () => {
    const { client, calls, sleeps } = setup((_, i) =>
      i === 0 ? status(429, "slow down", { "retry-after": "3" }) : i === 1 ? status(429, "", { "retry-after": "Thu, 01 Jan 2026 00:00:02 GMT" }) : status(204),
    );
    const r = await client.write(series(1));
    expect(sleeps).toEqual([3000, 2000]);
    expect(calls).toHaveLength(3);
    expect(r).toMatchObject({ retries: 2, samplesSent: 1 });
  });

  it("gives up when Retry-After exceeds maxRetryAfterMs, dropping as retries_exhausted", async () => {
    const { client, calls, sleeps } = setup(() => status(429, "quota", { "retry-after": "3600" }), {
      retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 10_000 },
    });
    const r = await client.write(series(2));
    expect(calls).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(r.dropped.map((d) => [d.reason, d.status])).toEqual([
      ["retries_exhausted", 429],
      ["retries_exhausted", 429],
    ]);
    expect(r.dropped[0]!.message).toMatch(/Retry-After 3600000 ms exceeds 10000 ms/);
  });

  it("after maxAttempts answers of 500 drops the request's samples as retries_exhausted and goes on", async () => {
    const { client, calls } = setup((req) => (labelRecord(req.series[0]!).__name__ === "bad" ? status(500, "too old sample") : status(204)), {
      maxSeriesPerRequest: 2,
    });
    const r = await client.write([...series(2, "bad"), ...series(2, "good")]);
    expect(calls).toHaveLength(5); // 4 attempts for the first request, 1 for the second
    expect(r).toMatchObject({ requests: 5, retries: 3, seriesSent: 2, samplesSent: 2 });
    expect(r.dropped.map((d) => [d.series.labels.__name__, d.reason, d.status])).toEqual([
      ["bad", "retries_exhausted", 500],
      ["bad", "retries_exhausted", 500],
    ]);
    expect(r.dropped[0]!.message).toBe("too old sample (gave up after 4 attempts)");
  });

  it("aborts a hanging request after timeoutMs and retries it", async () => {
    const f = fakeFetch(() => status(204));
    let attempts = 0;
    const hanging: typeof fetch = (input, init) => {
      attempts++;
      if (attempts > 2) return f.fetch(input, init);
      return new Promise((_, reject) => init!.signal!.addEventListener("abort", () => reject(init!.signal!.reason)));
    };
    const client = createRemoteWriteClient({ url: URL_, fetch: hanging, timeoutMs: 5, sleep: async () => {}, retry: { maxAttempts: 3 } });
    const r = await client.write(series(1));
    expect(attempts).toBe(3);
    expect(r).toMatchObject({ requests: 3, retries: 2, samplesSent: 1, dropped: [] });
    const gaveUp = createRemoteWriteClient({
      url: URL_,
      fetch: (_, init) => new Promise((__, reject) => init!.signal!.addEventListener("abort", () => reject(init!.signal!.reason))),
      timeoutMs: 5,
      sleep: async () => {},
      retry: { maxAttempts: 2 },
    });
    const r2 = await gaveUp.write(series(1));
    expect(r2.dropped.map((d) => [d.reason, d.status])).toEqual([["retries_exhausted", undefined]]);
    expect(r2.dropped[0]!.message).toMatch(/^TimeoutError: .*\(gave up after 2 attempts\)$/);
  });

  it("retries network failures", async () => {
    const { client, calls } = setup((_, i) => (i === 0 ? new TypeError("fetch failed", { cause: new Error("ECONNRESET") }) : status(204)));
    const r = await client.write(series(1));
    expect(calls).toHaveLength(2);
    expect(r).toMatchObject({ retries: 1, samplesSent: 1, dropped: [] });
  });
});

describe("isolating rejected series", () => {
  it("drops the series a 400 names and resends the others alone", async () => {
    const { client, calls } = setup((req) =>
      req.series.some((s) => labelRecord(s).i === "3")
        ? status(400, 'err: out of order sample. timestamp=2026-11-25T19:00:00Z, series={__name__="m", i="3"}')
        : status(204),
    );
    const r = await client.write(series(6));
    expect(calls).toHaveLength(2);
    expect(calls[1]!.series.map((s) => labelRecord(s).i)).toEqual(["0", "1", "2", "4", "5"]);
    expect(r).toMatchObject({ requests: 2, seriesSent: 5, samplesSent: 5, retries: 0 });
    expect(r.dropped).toEqual([
      {
        series: { labels: { __name__: "m", i: "3" }, samples: [{ value: 3, timestamp: T0 }] },
        reason: "out_of_order",
        status: 400,
        message: 'err: out of order sample. timestamp=2026-11-25T19:00:00Z, series={__name__="m", i="3"}',
      },
    ]);
  });

  it("bisects when the 400 names no series (Prometheus 2.42), storing every good sample", async () => {
    const prom = prometheusLike();
    for (const i of [5, 11]) prom.seed({ __name__: "m", i: String(i) }, T0 + 60_000, 1);
    const { client, calls } = setup(prom.answer);
    const r = await client.write(series(16));
    expect(r.dropped.map((d) => [d.series.labels.i, d.reason, d.status, d.message])).toEqual([
      ["5", "out_of_order", 400, "out of order sample"],
      ["11", "out_of_order", 400, "out of order sample"],
    ]);
    for (let i = 0; i < 16; i++) if (i !== 5 && i !== 11) expect(prom.get({ __name__: "m", i: String(i) })).toEqual([{ t: T0, v: i }]);
    expect(r).toMatchObject({ seriesSent: 14, samplesSent: 14, requests: calls.length });
    expect(calls.length).toBeLessThanOrEqual(1 + 2 * 2 * Math.log2(16));
  });

  it("isolates a bad sample inside one series and keeps its other samples", async () => {
    const prom = prometheusLike();
    const labels = { __name__: "cw_metric", db: "orders" };
    prom.seed(labels, T0 + 3 * 60_000, 42); // the receiver already has another value at t3
    const { client } = setup(prom.answer);
    const samples = Array.from({ length: 8 }, (_, j) => ({ value: j, timestamp: T0 + j * 60_000 }));
    const r = await client.write([{ labels, samples }]);
    expect(r.dropped).toHaveLength(2);
    expect(r.dropped.map((d) => [d.reason, d.series.samples.map((s) => s.timestamp)])).toEqual([
      ["out_of_order", [T0, T0 + 60_000, T0 + 120_000]],
      ["duplicate_sample", [T0 + 180_000]],
    ]);
    expect(prom.get(labels).map((x) => x.t)).toEqual([3, 4, 5, 6, 7].map((j) => T0 + j * 60_000));
    expect(r.samplesSent).toBe(4);
  });

  it("bounds isolation by maxIsolationRequests", async () => {
    const { client, calls } = setup(() => status(400, "bad request"), { maxIsolationRequests: 2 });
    const r = await client.write(series(8));
    // 1 request + 2 isolation requests ([0..3], then [0,1]); the rest is not sent.
    expect(calls.map((c) => c.series.length)).toEqual([8, 4, 2]);
    expect(r.dropped.map((d) => d.reason)).toEqual(Array(8).fill("isolation_limit"));
    expect(r.dropped[0]!.message).toBe("isolation budget of 2 requests spent; not sent");
    expect(r.dropped.flatMap((d) => d.series.labels.i)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7"]);
    // A second write gets a fresh budget and, with enough of it, drops each series as rejected.
    const big = setup(() => status(400, "bad request"), { maxIsolationRequests: 100 });
    const r2 = await big.client.write(series(8));
    expect(r2.dropped.map((d) => d.reason)).toEqual(Array(8).fill("rejected"));
    expect(big.calls).toHaveLength(15); // full binary tree over 8 leaves
  });

  it("splits on 413 and drops what cannot fit as too_large", async () => {
    const { client, calls } = setup((req) => (req.series.length > 2 ? status(413, "request entity too large") : status(204)));
    const r = await client.write(series(8));
    expect(r).toMatchObject({ seriesSent: 8, samplesSent: 8, dropped: [] });
    expect(calls.filter((c) => c.series.length <= 2)).toHaveLength(4);
  });
});
