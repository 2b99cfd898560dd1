// Preparation and splitting (normalisation, validation, size-bounded batches, halving) and
// the small pure helpers: error-message parsing and the retry policy's arithmetic.
import { describe, expect, it } from "vitest";
import { namedSeries, parseLabelPairs, reasonFor } from "../src/errors";
import { encodeWriteRequest } from "../src/protobuf";
import { backoffDelay, isRetryableStatus, parseRetryAfter } from "../src/retry";
import { cutPieces, encodePieces, halve, packBatches, pieceWireSize, prepareSeries, type Series } from "../src/series";
import { decodeWriteRequest, labelRecord } from "./wire";

const T0 = 1_795_633_000_000;

function many(n: number, samples = 1): Series[] {
  return Array.from({ length: n }, (_, i) => ({
    labels: { __name__: "m", instance: `i-${String(i).padStart(4, "0")}` },
    samples: Array.from({ length: samples }, (_, j) => ({ value: i + j, timestamp: T0 + j * 60_000 })),
  }));
}

describe("prepareSeries", () => {
  it("sorts labels by name, removes empty values, sorts samples, merges equal label sets", () => {
    const { prepared, dropped } = prepareSeries([
      {
        labels: { z: "1", __name__: "m", a: "2", empty: "" },
        samples: [
          { value: 2, timestamp: T0 + 2 },
          { value: 1, timestamp: T0 + 1 },
        ],
      },
      { labels: { a: "2", __name__: "m", z: "1" }, samples: [{ value: 0, timestamp: T0 }] },
      { labels: { __name__: "nothing" }, samples: [] },
    ]);
    expect(dropped).toEqual([]);
    expect(prepared).toHaveLength(1);
    expect(prepared[0]!.labels.map((l) => l.name)).toEqual(["__name__", "a", "z"]);
    expect(prepared[0]!.samples.map((s) => s.timestamp)).toEqual([T0, T0 + 1, T0 + 2]);
    const wire = decodeWriteRequest(encodePieces([{ series: prepared[0]!, from: 0, to: 3 }]));
    expect(wire[0]!.labels.map((l) => l.name)).toEqual(["__name__", "a", "z"]);
    expect(wire[0]!.samples.map((s) => s.value)).toEqual([0, 1, 2]);
    // The piece encoding equals the reference encoding of the whole series.
    expect(encodePieces([{ series: prepared[0]!, from: 0, to: 3 }])).toEqual(
      encodeWriteRequest([{ labels: prepared[0]!.labels, samples: prepared[0]!.samples }]),
    );
  });

  it("sends one sample per timestamp: exact repeats collapse, a conflicting value is dropped and reported", () => {
    const { prepared, dropped } = prepareSeries([
      {
        labels: { __name__: "m" },
        samples: [
          { value: 1, timestamp: T0 },
          { value: 1, timestamp: T0 },
          { value: 2, timestamp: T0 + 1 },
        ],
      },
      {
        labels: { __name__: "m" },
        samples: [
          { value: 3, timestamp: T0 + 1 },
          { value: NaN, timestamp: T0 + 2 },
          { value: NaN, timestamp: T0 + 2 },
        ],
      },
    ]);
    expect(prepared[0]!.samples).toEqual([
      { value: 1, timestamp: T0 },
      { value: 2, timestamp: T0 + 1 },
      { value: NaN, timestamp: T0 + 2 },
    ]);
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({
      reason: "duplicate_sample",
      status: undefined,
      series: { labels: { __name__: "m" }, samples: [{ value: 3, timestamp: T0 + 1 }] },
    });
  });

  it("drops series with a bad label name, a bad or missing metric name, or a non-integer timestamp", () => {
    const { prepared, dropped } = prepareSeries([
      { labels: { __name__: "ok" }, samples: [{ value: 1, timestamp: T0 }] },
      { labels: { __name__: "x", "bad-name": "1" }, samples: [{ value: 1, timestamp: T0 }] },
      { labels: { __name__: "x", "1st": "1" }, samples: [{ value: 1, timestamp: T0 }] },
      { labels: { job: "no-name" }, samples: [{ value: 1, timestamp: T0 }] },
      { labels: { __name__: "a.b" }, samples: [{ value: 1, timestamp: T0 }] },
      { labels: { __name__: "t" }, samples: [{ value: 1, timestamp: T0 + 0.5 }] },
      { labels: { __name__: "ns:rule_total" }, samples: [{ value: NaN, timestamp: T0 }] },
    ]);
    expect(prepared.map((p) => p.key)).toEqual(["__name__=ok", "__name__=ns:rule_total"]);
    expect(dropped.map((d) => [d.series.labels.__name__ ?? d.series.labels.job, d.reason, d.status])).toEqual([
      ["x", "invalid_label_name", undefined],
      ["x", "invalid_label_name", undefined],
      ["no-name", "missing_metric_name", undefined],
      ["a.b", "invalid_metric_name", undefined],
      ["t", "invalid_sample", undefined],
    ]);
    expect(dropped[0]!.message).toContain('"bad-name"');
  });
});

describe("splitting into requests", () => {
  it("packs series in order into requests no larger than the byte limit", () => {
    const { prepared } = prepareSeries(many(300));
    const { pieces, tooLarge } = cutPieces(prepared, 1000);
    expect(tooLarge).toEqual([]);
    const batches = packBatches(pieces, 1000, 10_000);
    expect(batches.length).toBeGreaterThan(5);
    for (const b of batches) expect(encodePieces(b).length).toBeLessThanOrEqual(1000);
    const seen = batches.flatMap((b) => decodeWriteRequest(encodePieces(b)).map((s) => labelRecord(s).instance));
    expect(seen).toEqual(many(300).map((s) => s.labels.instance));
  });

  it("computes wire sizes exactly", () => {
    const { prepared } = prepareSeries(many(3, 200));
    for (const s of prepared) {
      const p = { series: s, from: 3, to: 150 };
      expect(pieceWireSize(p)).toBe(encodePieces([p]).length);
    }
  });

  it("honours the series-per-request limit", () => {
    const { prepared } = prepareSeries(many(25));
    const batches = packBatches(cutPieces(prepared, 1 << 20).pieces, 1 << 20, 10);
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
  });

  it("cuts a series larger than the limit into consecutive sample ranges, earliest first", () => {
    const { prepared } = prepareSeries(many(1, 1000));
    const { pieces } = cutPieces(prepared, 2000);
    expect(pieces.length).toBeGreaterThan(5);
    expect(pieces[0]!.from).toBe(0);
    pieces.forEach((p, i) => {
      expect(pieceWireSize(p)).toBeLessThanOrEqual(2000);
      if (i > 0) expect(p.from).toBe(pieces[i - 1]!.to);
    });
    expect(pieces[pieces.length - 1]!.to).toBe(1000);
  });

  it("reports a series whose labels and one sample exceed the limit", () => {
    const { prepared } = prepareSeries([{ labels: { __name__: "m", big: "x".repeat(500) }, samples: [{ value: 1, timestamp: T0 }] }]);
    const { pieces, tooLarge } = cutPieces(prepared, 200);
    expect(pieces).toEqual([]);
    expect(tooLarge).toHaveLength(1);
  });

  it("halves by series, then by samples, and stops at one sample", () => {
    const { prepared } = prepareSeries(many(3, 5));
    const all = prepared.map((s) => ({ series: s, from: 0, to: 5 }));
    expect(halve(all)!.map((h) => h.length)).toEqual([2, 1]);
    const [a, b] = halve([all[0]!])!;
    expect([a![0]!.from, a![0]!.to, b![0]!.from, b![0]!.to]).toEqual([0, 3, 3, 5]);
    expect(halve([{ series: prepared[0]!, from: 4, to: 5 }])).toBeUndefined();
  });
});

describe("error messages", () => {
  it("finds series named the way Cortex-based receivers and newer Prometheus name them", () => {
    expect(namedSeries('err: out of order sample. timestamp=2024-01-01T00:00:00Z, series={__name__="x", a="b"}')).toEqual([{ __name__: "x", a: "b" }]);
    expect(namedSeries('out of order sample for series: {__name__="x", a="b, c=\\"d\\""}')).toEqual([{ __name__: "x", a: 'b, c="d"' }]);
    expect(namedSeries(`duplicate sample for timestamp; series: 'cpu_total{mode="idle"}'`)).toEqual([{ __name__: "cpu_total", mode: "idle" }]);
    expect(namedSeries("out of order sample")).toEqual([]);
    expect(parseLabelPairs('a="1",b="2",')).toEqual({ a: "1", b: "2" });
    expect(parseLabelPairs("a=1")).toBeUndefined();
  });

  it("maps Prometheus' bodies to drop reasons", () => {
    expect(reasonFor(400, "out of order sample")).toBe("out_of_order");
    expect(reasonFor(400, "duplicate sample for timestamp")).toBe("duplicate_sample");
    expect(reasonFor(400, "out of bounds")).toBe("out_of_bounds");
    expect(reasonFor(400, "snappy: corrupt input")).toBe("rejected");
    expect(reasonFor(413, "too big")).toBe("too_large");
  });
});

describe("retry arithmetic", () => {
  const policy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
  it("grows exponentially, caps, and applies full jitter", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, () => 0.999999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200);
  });
  it("retries 5xx and 429 only", () => {
    expect([500, 502, 503, 429].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 413].some(isRetryableStatus)).toBe(false);
  });
  it("reads Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:07 GMT", now)).toBe(7000);
    expect(parseRetryAfter("Thu, 01 Jan 2025 00:00:07 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
