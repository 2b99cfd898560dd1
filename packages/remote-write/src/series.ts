// Turning caller series into what goes on the wire: validation (label and metric names),
// normalisation (empty-valued labels removed, labels sorted by name, samples sorted by
// timestamp, series with the same label set merged), per-series encoding done once, and
// packing into request-sized batches of "pieces" (a series with a range of its samples).
import { byText } from "@scrape-reconciler/core";
import { encodeTimeSeries, encodeWriteRequestFromEncoded, framedSize, type Label, type Sample } from "./protobuf";

/** A series as callers give it: labels (including `__name__`) and samples. */
export interface Series {
  labels: Record<string, string>;
  samples: Sample[];
}

export type DropReason =
  | "invalid_label_name"
  | "missing_metric_name"
  | "invalid_metric_name"
  | "invalid_sample"
  | "too_large"
  | "out_of_order"
  | "duplicate_sample"
  | "out_of_bounds"
  | "rejected"
  | "retries_exhausted"
  | "isolation_limit";

export interface DroppedSeries {
  /** The normalised series, carrying only the samples that were dropped. */
  series: Series;
  reason: DropReason;
  /** HTTP status that caused the drop; undefined when the client dropped it before sending. */
  status: number | undefined;
  message: string;
}

/** What one `write()` call did. */
export interface WriteResult {
  /** HTTP POSTs made, retries and isolation resends included. */
  requests: number;
  /** Distinct series with at least one sample accepted. */
  seriesSent: number;
  /** Samples in accepted (2xx) requests. */
  samplesSent: number;
  dropped: DroppedSeries[];
  /** POSTs that repeated a request after a 5xx, 429 or network failure. */
  retries: number;
}

/** A validated, normalised series with its wire encoding precomputed. */
export interface PreparedSeries {
  /** Canonical label-set key: sorted `name=value` pairs joined by NUL bytes. */
  key: string;
  labels: Label[];
  samples: Sample[];
  labelBytes: Uint8Array;
  sampleBytes: Uint8Array[];
  /** offsets[i] = bytes of samples [0, i); length samples.length + 1. */
  offsets: number[];
}

/** The samples [from, to) of one prepared series. */
export interface Piece {
  series: PreparedSeries;
  from: number;
  to: number;
}

export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export function labelSetKey(labels: Label[]): string {
  return labels.map((l) => `${l.name}=${l.value}`).join("\u0000");
}

export function labelsToRecord(labels: Label[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) out[l.name] = l.value;
  return out;
}

export interface PrepareResult {
  prepared: PreparedSeries[];
  dropped: DroppedSeries[];
}

/** Validates and normalises every series; invalid ones come back as drops with a reason. */
export function prepareSeries(input: Series[]): PrepareResult {
  const dropped: DroppedSeries[] = [];
  const byKey = new Map<string, { labels: Label[]; samples: Sample[] }>();
  for (const s of input) {
    const labels = Object.entries(s.labels)
      .filter(([, v]) => v !== "")
      .map(([name, value]) => ({ name, value }))
      .sort(byText((l) => l.name));
    const samples = [...s.samples];
    const fail = (reason: DropReason, message: string) =>
      dropped.push({ series: { labels: labelsToRecord(labels), samples }, reason, status: undefined, message });
    const badName = labels.find((l) => !LABEL_NAME_RE.test(l.name));
    if (badName) {
      fail("invalid_label_name", `label name ${JSON.stringify(badName.name)} does not match [a-zA-Z_][a-zA-Z0-9_]*`);
      continue;
    }
    const metric = labels.find((l) => l.name === "__name__");
    if (!metric) {
      fail("missing_metric_name", "series has no __name__ label");
      continue;
    }
    if (!METRIC_NAME_RE.test(metric.value)) {
      fail("invalid_metric_name", `metric name ${JSON.stringify(metric.value)} does not match [a-zA-Z_:][a-zA-Z0-9_:]*`);
      continue;
    }
    const badSample = samples.find((x) => typeof x.value !== "number" || !Number.isSafeInteger(x.timestamp));
    if (badSample) {
      fail("invalid_sample", `sample timestamp ${String(badSample.timestamp)} is not an integer of milliseconds`);
      continue;
    }
    if (samples.length === 0) continue;
    const key = labelSetKey(labels);
    const existing = byKey.get(key);
    if (existing) existing.samples.push(...samples);
    else byKey.set(key, { labels, samples });
  }
  const prepared: PreparedSeries[] = [];
  for (const [key, { labels, samples: all }] of byKey) {
    all.sort((a, b) => a.timestamp - b.timestamp); // stable: equal timestamps keep input order
    // Prometheus 2.42 keeps the first of two samples with one timestamp in a request and
    // silently discards the other: drop exact repeats, report conflicting ones.
    const samples: Sample[] = [];
    const conflicts: Sample[] = [];
    for (const x of all) {
      const last = samples[samples.length - 1];
      if (!last || last.timestamp !== x.timestamp) samples.push(x);
      else if (!Object.is(last.value, x.value)) conflicts.push(x); // bitwise-like, as Prometheus compares
    }
    if (conflicts.length > 0) {
      dropped.push({
        series: { labels: labelsToRecord(labels), samples: conflicts },
        reason: "duplicate_sample",
        status: undefined,
        message: "another sample of this series in the same write has the same timestamp and a different value (the first one is sent)",
      });
    }
    const labelBytes = encodeTimeSeries({ labels, samples: [] });
    const sampleBytes = samples.map((x) => encodeTimeSeries({ labels: [], samples: [x] }));
    const offsets = [0];
    for (const b of sampleBytes) offsets.push(offsets[offsets.length - 1]! + b.length);
    prepared.push({ key, labels, samples, labelBytes, sampleBytes, offsets });
  }
  return { prepared, dropped };
}

export function pieceSamples(p: Piece): number {
  return p.to - p.from;
}

/** Bytes this piece takes inside a WriteRequest. */
export function pieceWireSize(p: Piece): number {
  return framedSize(p.series.labelBytes.length + p.series.offsets[p.to]! - p.series.offsets[p.from]!);
}

export function pieceToSeries(p: Piece): Series {
  return { labels: labelsToRecord(p.series.labels), samples: p.series.samples.slice(p.from, p.to) };
}

/** Uncompressed WriteRequest bytes for these pieces. */
export function encodePieces(pieces: Piece[]): Uint8Array {
  return encodeWriteRequestFromEncoded(
    pieces.map((p) => {
      const s = p.series;
      const body = new Uint8Array(s.labelBytes.length + s.offsets[p.to]! - s.offsets[p.from]!);
      body.set(s.labelBytes, 0);
      let at = s.labelBytes.length;
      for (let i = p.from; i < p.to; i++) {
        body.set(s.sampleBytes[i]!, at);
        at += s.sampleBytes[i]!.length;
      }
      return body;
    }),
  );
}

/**
 * Cuts each series into pieces whose wire size fits `maxBytes` (most series are one piece).
 * A series whose labels and a single sample do not fit is returned in `tooLarge`.
 */
export function cutPieces(series: PreparedSeries[], maxBytes: number): { pieces: Piece[]; tooLarge: Piece[] } {
  const pieces: Piece[] = [];
  const tooLarge: Piece[] = [];
  for (const s of series) {
    const whole: Piece = { series: s, from: 0, to: s.samples.length };
    if (pieceWireSize(whole) <= maxBytes) {
      pieces.push(whole);
      continue;
    }
    let from = 0;
    while (from < s.samples.length) {
      let to = from + 1;
      if (pieceWireSize({ series: s, from, to }) > maxBytes) {
        tooLarge.push({ series: s, from, to: s.samples.length });
        break;
      }
      while (to < s.samples.length && pieceWireSize({ series: s, from, to: to + 1 }) <= maxBytes) to++;
      pieces.push({ series: s, from, to });
      from = to;
    }
  }
  return { pieces, tooLarge };
}

/** Packs pieces, in order, into batches of at most `maxBytes` wire bytes and `maxSeries` pieces. */
export function packBatches(pieces: Piece[], maxBytes: number, maxSeries: number): Piece[][] {
  const batches: Piece[][] = [];
  let current: Piece[] = [];
  let bytes = 0;
  for (const p of pieces) {
    const size = pieceWireSize(p);
    if (current.length > 0 && (bytes + size > maxBytes || current.length >= maxSeries)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(p);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * Splits a batch in two for isolation, earlier samples first: several pieces split by
 * piece count; a single piece splits its samples. Returns undefined for one sample.
 */
export function halve(batch: Piece[]): [Piece[], Piece[]] | undefined {
  if (batch.length > 1) {
    const mid = Math.ceil(batch.length / 2);
    return [batch.slice(0, mid), batch.slice(mid)];
  }
  const p = batch[0];
  if (!p || pieceSamples(p) < 2) return undefined;
  const mid = p.from + Math.ceil(pieceSamples(p) / 2);
  return [[{ series: p.series, from: p.from, to: mid }], [{ series: p.series, from: mid, to: p.to }]];
}
