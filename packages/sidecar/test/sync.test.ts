// The sync loop and HTTP endpoint with a scripted source: only verified documents are
// written and served, errors keep the current file and are counted by reason, `[]` is
// written only when the verified document is `[]`, backoff grows with full jitter.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sumMetric, waitFor } from "../../../test/support/prometheus";
import {
  SourceError,
  backoffDelay,
  startSidecar,
  silentLogger,
  type AtomicFs,
  type FetchResult,
  type SidecarHandle,
  type Source,
  type SourceState,
} from "../src/index";

const DOC1 = '[{"labels":{"job":"a"},"targets":["10.0.0.1:9100"]}]';
const DOC2 = '[{"labels":{"job":"a"},"targets":["10.0.0.1:9100","10.0.0.2:9100"]}]';

type Step = string | Error | "unchanged";

/** A source that plays a script of documents, errors and "unchanged". */
function scripted(steps: Step[]): Source & { seen: SourceState[]; push(...s: Step[]): void; times: number[] } {
  const queue = [...steps];
  let last: Step = "unchanged";
  const src = {
    description: "scripted",
    seen: [] as SourceState[],
    times: [] as number[],
    push: (...s: Step[]) => void queue.push(...s),
    async fetch(previous: SourceState): Promise<FetchResult> {
      src.seen.push(previous);
      src.times.push(performance.now());
      const step = queue.length ? queue.shift()! : last === "unchanged" || typeof last === "string" ? "unchanged" : last;
      last = step;
      if (step instanceof Error) throw step;
      if (step === "unchanged") return { status: "unchanged" };
      return { status: "changed", body: Buffer.from(step), etag: `e${src.seen.length}` };
    },
  };
  return src;
}

let dir: string;
let out: string;
let handles: SidecarHandle[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sidecar-sync-"));
  out = join(dir, "ecs-services.json");
});
afterEach(async () => {
  await Promise.all(handles.map((h) => h.stop()));
  handles = [];
  rmSync(dir, { recursive: true, force: true });
});

async function sidecar(source: Source, opts: { listen?: boolean; fs?: AtomicFs; output?: boolean } = {}) {
  const h = await startSidecar(
    {
      source: { kind: "file", path: "unused" },
      ...(opts.output !== false ? { output: out } : {}),
      ...(opts.listen ? { listen: { host: "127.0.0.1", port: 0 } } : {}),
      intervalMs: 1000,
      maxBackoffMs: 60_000,
      logLevel: "error",
    },
    { source, loop: false, log: silentLogger, defaultMetrics: false, ...(opts.fs ? { fs: opts.fs } : {}) },
  );
  handles.push(h);
  return h;
}
const metricsText = (h: SidecarHandle) => h.metrics.registry.metrics();

describe("sync", () => {
  it("writes and serves only verified documents; errors keep the current file and are counted by reason", async () => {
    const src = scripted([DOC1, "{broken", '[{"targets":["no-port"]}]', new SourceError("sha256_mismatch", "bad sha"), DOC2]);
    const h = await sidecar(src);
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "changed", targets: 1, written: true });
    expect(readFileSync(out, "utf8")).toBe(DOC1);
    const st = statSync(out);
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "error", reason: "invalid_json" });
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "error", reason: "bad_target" });
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "error", reason: "sha256_mismatch" });
    expect(readFileSync(out, "utf8")).toBe(DOC1);
    expect(statSync(out).mtimeMs).toBe(st.mtimeMs);
    expect(h.syncer.applied?.bytes.toString()).toBe(DOC1);
    // a rejected document does not move the source's state: it is asked again from the applied one
    expect(src.seen[3]).toEqual(src.seen[1]);
    const m = await metricsText(h);
    expect(sumMetric(m, "scrape_reconciler_sidecar_sync_errors_total", { reason: "invalid_json" })).toBe(1);
    expect(sumMetric(m, "scrape_reconciler_sidecar_sync_errors_total", { reason: "bad_target" })).toBe(1);
    expect(sumMetric(m, "scrape_reconciler_sidecar_sync_errors_total", { reason: "sha256_mismatch" })).toBe(1);
    expect(sumMetric(m, "scrape_reconciler_sidecar_consecutive_errors")).toBe(3);
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "changed", targets: 2 });
    expect(readFileSync(out, "utf8")).toBe(DOC2);
    const m2 = await metricsText(h);
    expect(sumMetric(m2, "scrape_reconciler_sidecar_targets")).toBe(2);
    expect(sumMetric(m2, "scrape_reconciler_sidecar_syncs_total", { result: "changed" })).toBe(2);
    expect(sumMetric(m2, "scrape_reconciler_sidecar_syncs_total", { result: "error" })).toBe(3);
    expect(sumMetric(m2, "scrape_reconciler_sidecar_last_success_timestamp_seconds")).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(sumMetric(m2, "scrape_reconciler_sidecar_consecutive_errors")).toBe(0);
  });

  it("leaves an existing output untouched until a verified document arrives; writes [] only when verified", async () => {
    writeFileSync(out, DOC2);
    const before = statSync(out);
    const src = scripted([new SourceError("unreachable", "down"), new SourceError("unreachable", "down"), DOC2, "[]"]);
    const h = await sidecar(src);
    expect(h.syncer.outputValidAtStart).toBe(true);
    await h.syncer.syncOnce();
    await h.syncer.syncOnce();
    expect(readFileSync(out, "utf8")).toBe(DOC2);
    // the same bytes verified: no write, same inode and mtime
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "changed", written: false });
    const after = statSync(out);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "changed", targets: 0, written: true });
    expect(readFileSync(out, "utf8")).toBe("[]");
  });

  it("reports a failed write and keeps both the file and the served document", async () => {
    let failRename = false;
    const fs: AtomicFs = { ...fsp, rename: (a, b) => (failRename ? Promise.reject(new Error("EIO injected")) : fsp.rename(a, b)) };
    const h = await sidecar(scripted([DOC1, DOC2, "unchanged"]), { fs });
    await h.syncer.syncOnce();
    failRename = true;
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "error", reason: "write_error" });
    expect(readFileSync(out, "utf8")).toBe(DOC1);
    expect(h.syncer.applied?.bytes.toString()).toBe(DOC1);
    expect(sumMetric(await metricsText(h), "scrape_reconciler_sidecar_sync_errors_total", { reason: "write_error" })).toBe(1);
  });

  it("restores the output when something else removes or replaces it", async () => {
    const h = await sidecar(scripted([DOC1]));
    await h.syncer.syncOnce();
    unlinkSync(out);
    expect(await h.syncer.syncOnce()).toMatchObject({ result: "unchanged" });
    expect(readFileSync(out, "utf8")).toBe(DOC1);
    writeFileSync(out, "[]");
    await h.syncer.syncOnce();
    expect(readFileSync(out, "utf8")).toBe(DOC1);
  });

  it("loops every interval, backs off exponentially after errors, and stops cleanly", async () => {
    const src = scripted([DOC1, "unchanged"]);
    for (let i = 0; i < 5; i++) src.push(new SourceError("unreachable", "down"));
    src.push(DOC2);
    // The config parser enforces >= 1 s; the loop itself takes any interval, which keeps this test short.
    const h = await startSidecar(
      { source: { kind: "file", path: "x" }, output: out, intervalMs: 40, maxBackoffMs: 320, logLevel: "error" },
      { source: src, log: silentLogger, defaultMetrics: false, random: () => 0.999 },
    );
    handles.push(h);
    await waitFor(() => existsSync(out) && readFileSync(out, "utf8") === DOC2, 5000, 10);
    await h.stop();
    const gaps = src.times.slice(1, 8).map((t, i) => t - src.times[i]!);
    // DOC1 -> 40 -> unchanged -> 40 -> err1 -> ~40 -> err2 -> ~80 -> err3 -> ~160 -> err4 -> ~320 -> err5 -> 320 (cap) -> DOC2
    const expected = [40, 40, 40, 80, 160, 320, 320];
    gaps.forEach((g, i) => {
      expect(g).toBeGreaterThanOrEqual(expected[i]! - 2);
      expect(g).toBeLessThan(expected[i]! + Math.max(80, expected[i]! / 2)); // slack for a loaded machine
    });
    const n = src.times.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(src.times).toHaveLength(n);
  });
});

describe("backoffDelay", () => {
  it("grows exponentially up to the cap, with full jitter and a small floor", () => {
    const max = (n: number) => backoffDelay(n, 1000, 30_000, () => 0.999999);
    expect([1, 2, 3, 4, 5, 6, 7].map(max)).toEqual([999, 1999, 3999, 7999, 15_999, 29_999, 29_999]);
    expect(backoffDelay(50, 1000, 30_000, () => 0.5)).toBe(15_000);
    expect(backoffDelay(3, 1000, 30_000, () => 0)).toBe(200);
    const samples = Array.from({ length: 2000 }, () => backoffDelay(4, 1000, 30_000));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(200);
    expect(Math.max(...samples)).toBeLessThan(8000);
    expect(new Set(samples.map((s) => Math.floor(s / 1000))).size).toBe(8); // spread over the whole range
  });
});

describe("HTTP endpoint", () => {
  it("serves /targets (503 before the first success), /metrics and /healthz", async () => {
    const src = scripted([new SourceError("unreachable", "down"), DOC1]);
    const h = await sidecar(src, { listen: true, output: false });
    const get = (p: string) => fetch(`${h.url}${p}`);
    await h.syncer.syncOnce();
    expect((await get("/targets")).status).toBe(503);
    expect((await get("/healthz")).status).toBe(503);
    await h.syncer.syncOnce();
    const t = await get("/targets");
    expect(t.status).toBe(200);
    expect(t.headers.get("content-type")).toBe("application/json");
    expect(await t.text()).toBe(DOC1);
    const health = await get("/healthz");
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", synced: true, targets: 1 });
    const m = await get("/metrics");
    expect(m.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await m.text();
    for (const name of [
      "scrape_reconciler_sidecar_sync_errors_total",
      "scrape_reconciler_sidecar_last_success_timestamp_seconds",
      "scrape_reconciler_sidecar_targets",
      "scrape_reconciler_sidecar_document_generation",
      "scrape_reconciler_sidecar_fetch_duration_seconds_bucket",
      "scrape_reconciler_sidecar_syncs_total",
    ]) {
      expect(text).toContain(`\n${name}`);
    }
    expect(sumMetric(text, "scrape_reconciler_sidecar_sync_errors_total", { reason: "unreachable" })).toBe(1);
    expect((await get("/nope")).status).toBe(404);
    expect((await fetch(`${h.url}/targets`, { method: "POST" })).status).toBe(405);
  });

  it("is healthy at start when a valid output file already exists", async () => {
    writeFileSync(out, DOC1);
    const h = await sidecar(scripted([new SourceError("unreachable", "down")]), { listen: true });
    await h.syncer.syncOnce();
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${h.url}/targets`)).status).toBe(503);
  });

  it("includes the default process metrics", async () => {
    const h = await startSidecar(
      { source: { kind: "file", path: "x" }, listen: { host: "127.0.0.1", port: 0 }, intervalMs: 1000, maxBackoffMs: 1000, logLevel: "error" },
      { source: scripted([]), loop: false, log: silentLogger },
    );
    handles.push(h);
    const text = await (await fetch(`${h.url}/metrics`)).text();
    expect(text).toContain("process_resident_memory_bytes");
    expect(text).toContain("process_cpu_seconds_total");
  });
});
