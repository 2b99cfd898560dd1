// Remote-write failures: the typed error, the drop reason a 4xx answer maps to, and
// finding the series a receiver's error message names. Prometheus 2.42 answers a bad
// sample with a bare body ("out of order sample", "duplicate sample for timestamp",
// "out of bounds") and names the series only in its own log; Cortex-based receivers
// (AMP, Mimir) add `series={__name__="x", a="b"}` or `series: 'x{a="b"}'` to the body.
import type { DropReason, WriteResult } from "./series";

export class RemoteWriteError extends Error {
  override readonly name = "RemoteWriteError";
  /** What the failed `write()` had done before this error (set when thrown from `write`). */
  partial?: WriteResult;
  constructor(
    /** The remote-write URL (without query string). */
    readonly endpoint: string,
    /** HTTP status, or undefined when no response arrived (network error, signing failure). */
    readonly status: number | undefined,
    /** The receiver's answer or the underlying error, reduced to one line. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`remote write to ${endpoint} failed: ${status === undefined ? "no response" : `HTTP ${status}`}: ${detail}`, options);
  }
}

/** One line, at most `max` characters, of a response body or error message. */
export function oneLine(text: string, max = 300): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export function endpointOf(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

/** The drop reason for a rejected (non-retryable) answer. */
export function reasonFor(status: number, message: string): DropReason {
  const m = message.toLowerCase();
  if (status === 413) return "too_large";
  if (m.includes("out of order")) return "out_of_order";
  if (m.includes("duplicate sample")) return "duplicate_sample";
  if (m.includes("out of bounds") || m.includes("too old")) return "out_of_bounds";
  return "rejected";
}

const LABEL_PAIR_RE = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;

/** Parses a Prometheus label-set body `a="b", c="d"` (without braces); undefined if malformed. */
export function parseLabelPairs(body: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  LABEL_PAIR_RE.lastIndex = 0;
  while (LABEL_PAIR_RE.lastIndex < body.length) {
    const at = LABEL_PAIR_RE.lastIndex;
    const m = LABEL_PAIR_RE.exec(body);
    if (!m || m.index !== at) return body.slice(at).trim() === "" ? out : undefined;
    out[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    if (m[3] === "") break;
  }
  return out;
}

/**
 * The label sets named as `series` in an error message, in the forms receivers use:
 * `series={...}`, `series: {...}`, `series '{...}'`, `for series {...}`, optionally with the
 * metric name before the braces (`series: 'up{job="x"}'`).
 */
export function namedSeries(message: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  const re = /series\s*[=:]?\s*['"`]?([a-zA-Z_:][a-zA-Z0-9_:]*)?\{((?:[^}"]|"(?:[^"\\]|\\.)*")*)\}/g;
  for (const m of message.matchAll(re)) {
    const labels = parseLabelPairs(m[2] ?? "");
    if (!labels) continue;
    if (m[1]) labels.__name__ = m[1];
    out.push(labels);
  }
  return out;
}

export function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}
