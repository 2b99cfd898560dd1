// Test helper: a fetch stand-in that records every request (headers and decoded body) and
// answers through a script, plus an in-memory receiver that behaves like Prometheus 2.42's
// (all-or-nothing per request; bare 400 bodies "out of order sample" etc.).
import { decodeBody, labelRecord, type DecodedSeries } from "./wire";

export interface Captured {
  url: string;
  headers: Record<string, string>;
  body: Uint8Array;
  series: DecodedSeries[];
}

export type Answer = Response | Error;

export function fakeFetch(answer: (req: Captured, index: number) => Answer | Promise<Answer>) {
  const calls: Captured[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => {
      headers[k] = v;
    });
    const body = init?.body as Uint8Array;
    const req: Captured = { url: String(input), headers, body, series: decodeBody(body) };
    calls.push(req);
    const a = await answer(req, calls.length - 1);
    if (a instanceof Error) throw a;
    return a;
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

export function status(code: number, body = "", headers: Record<string, string> = {}): Response {
  return new Response(code === 204 ? null : body, { status: code, headers });
}

function key(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort());
}

/** Prometheus-2.42-like storage: validates a whole request, then commits it or nothing. */
export function prometheusLike() {
  const stored = new Map<string, Array<{ t: number; v: number }>>();
  const answer = (req: Captured): Answer => {
    const pending = new Map<string, Array<{ t: number; v: number }>>();
    for (const s of req.series) {
      const k = key(labelRecord(s));
      const list = pending.get(k) ?? [...(stored.get(k) ?? [])];
      for (const x of s.samples) {
        const t = Number(x.timestamp);
        const last = list[list.length - 1];
        if (last && t < last.t) return status(400, "out of order sample\n");
        if (last && t === last.t) {
          if (last.v !== x.value) return status(400, "duplicate sample for timestamp\n");
          continue;
        }
        list.push({ t, v: x.value });
      }
      pending.set(k, list);
    }
    for (const [k, v] of pending) stored.set(k, v);
    return status(204);
  };
  const get = (labels: Record<string, string>) => stored.get(key(labels)) ?? [];
  return { answer, stored, get, seed: (labels: Record<string, string>, t: number, v: number) => stored.set(key(labels), [{ t, v }]) };
}
