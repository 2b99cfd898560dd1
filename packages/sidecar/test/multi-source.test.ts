// Several sources in one sidecar, with scripted sources: one file per source (each group
// labelled with its source), their union on --output and /targets (deterministic), a failing
// source keeping its last document everywhere without touching the others (own polling and
// backoff), per-source metrics, /healthz, and a restart carrying every source's groups over.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { serializeDocument, type TargetDocument } from "@scrape-reconciler/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { freePort } from "../../../test/support/free-port";
import { sumMetric, waitFor } from "../../../test/support/prometheus";
import {
  SOURCE_LABEL,
  SourceError,
  silentLogger,
  startSidecar,
  type FetchResult,
  type SidecarConfig,
  type SidecarHandle,
  type Source,
  type SourceConfig,
} from "../src/index";

const doc = (...targets: string[]) => JSON.stringify(targets.map((t) => ({ labels: { job: "app", instance: t }, targets: [t] })));
const A1 = doc("10.1.0.1:9100");
const A2 = doc("10.1.0.1:9100", "10.1.0.2:9100");
const B1 = doc("10.2.0.1:9100", "10.2.0.2:9100");
const C1 = doc("10.3.0.1:9100");
/** The same group in two accounts (overlapping VPC ranges): kept apart by the source label. */
const SAME = doc("10.9.0.1:9100");

type Step = string | Error | "unchanged";

/** A source that plays a script; after the script it repeats "unchanged" (or the last error). */
function scripted(...steps: Step[]): Source & { push(...s: Step[]): void; times: number[] } {
  const queue = [...steps];
  let last: Step = "unchanged";
  const src = {
    description: "scripted",
    times: [] as number[],
    push: (...s: Step[]) => void queue.push(...s),
    async fetch(): Promise<FetchResult> {
      src.times.push(performance.now());
      const step = queue.length ? queue.shift()! : last instanceof Error ? last : "unchanged";
      last = step;
      if (step instanceof Error) throw step;
      if (step === "unchanged") return { status: "unchanged" };
      return { status: "changed", body: Buffer.from(step), etag: `e${src.times.length}` };
    },
  };
  return src;
}

const labelled = (name: string, text: string): TargetDocument =>
  (JSON.parse(text) as TargetDocument).map((g) => ({ targets: g.targets, labels: { ...g.labels, [SOURCE_LABEL]: name } }));
const union = (...parts: [string, string][]) => serializeDocument(parts.flatMap(([n, t]) => labelled(n, t)));
const throttled = () => new SourceError("throttled", "GetObject: SlowDown: Please reduce your request rate.");

let dir: string;
let handles: SidecarHandle[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sidecar-multi-"));
});
afterEach(async () => {
  await Promise.all(handles.map((h) => h.stop()));
  handles = [];
  rmSync(dir, { recursive: true, force: true });
});

const sourceConfig = (name: string): SourceConfig => ({ name, spec: { kind: "s3", bucket: `targets-${name}`, key: "k" } });

async function start(sources: Record<string, Source>, config: Partial<SidecarConfig> = {}, loop = false) {
  const list = Object.keys(sources).map(sourceConfig);
  const h = await startSidecar(
    {
      source: list[0]!.spec,
      sources: list,
      outputDir: dir,
      output: join(dir, "all", "targets.json"),
      listen: { host: "127.0.0.1", port: 0 },
      intervalMs: 1000,
      maxBackoffMs: 60_000,
      logLevel: "error",
      ...config,
    },
    { sources, loop, log: silentLogger, defaultMetrics: false },
  );
  handles.push(h);
  return h;
}
const read = (name: string) => readFileSync(join(dir, name), "utf8");
const metrics = (h: SidecarHandle) => h.metrics.registry.metrics();

describe("several sources", () => {
  beforeEach(() => rmSync(join(dir, "all"), { recursive: true, force: true }));

  it("writes one labelled file per source and their union; a failing source keeps its last document and leaves the others alone", async () => {
    mkdirSync(join(dir, "all"));
    const a = scripted(A1, A2);
    const b = scripted(B1, throttled());
    const c = scripted(C1);
    const h = await start({ a, b, c });
    expect((await fetch(`${h.url}/targets`)).status).toBe(503);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(503);
    await h.syncAll();
    expect(read("a.json")).toBe(serializeDocument(labelled("a", A1)));
    expect(read("b.json")).toBe(serializeDocument(labelled("b", B1)));
    expect(read("c.json")).toBe(serializeDocument(labelled("c", C1)));
    const first = union(["a", A1], ["b", B1], ["c", C1]);
    expect(read("all/targets.json")).toBe(first);
    const served = await fetch(`${h.url}/targets`);
    expect(served.headers.get("content-type")).toBe("application/json");
    expect(await served.text()).toBe(first);
    expect(await (await fetch(`${h.url}/healthz`)).json()).toMatchObject({ status: "ok", waiting: [], stale: [], targets: 4 });

    const bFile = statSync(join(dir, "b.json"));
    const outcomes = await h.syncAll();
    expect(outcomes.map((o) => o.result)).toEqual(["changed", "error", "unchanged"]);
    expect(read("b.json")).toBe(serializeDocument(labelled("b", B1)));
    expect(statSync(join(dir, "b.json")).mtimeMs).toBe(bFile.mtimeMs);
    const second = union(["a", A2], ["b", B1], ["c", C1]);
    expect(read("all/targets.json")).toBe(second);
    expect(await (await fetch(`${h.url}/targets`)).text()).toBe(second);
    const health = await fetch(`${h.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: "degraded",
      waiting: [],
      stale: ["b"],
      targets: 5,
      sources: {
        a: { status: "ok", targets: 2, consecutiveErrors: 0 },
        b: { status: "stale", targets: 2, consecutiveErrors: 1, lastError: { reason: "throttled" } },
        c: { status: "ok", targets: 1 },
      },
    });
    const m = await metrics(h);
    expect(sumMetric(m, "scrape_reconciler_sidecar_sync_errors_total", { source: "b", reason: "throttled" })).toBe(1);
    expect(sumMetric(m, "scrape_reconciler_sidecar_sync_errors_total", { source: "a" })).toBe(0);
    expect(sumMetric(m, "scrape_reconciler_sidecar_consecutive_errors", { source: "b" })).toBe(1);
    expect(sumMetric(m, "scrape_reconciler_sidecar_consecutive_errors", { source: "a" })).toBe(0);
    expect(sumMetric(m, "scrape_reconciler_sidecar_targets", { source: "a" })).toBe(2);
    expect(sumMetric(m, "scrape_reconciler_sidecar_targets", { source: "b" })).toBe(2);
    expect(sumMetric(m, "scrape_reconciler_sidecar_syncs_total", { source: "a", result: "changed" })).toBe(2);
    expect(sumMetric(m, "scrape_reconciler_sidecar_file_writes_total", { source: "a" })).toBe(2);
    // every per-source series carries the label; only the combined file's series have none
    const unlabelled = m
      .split("\n")
      .filter((l) => l.startsWith("scrape_reconciler_sidecar_") && !l.includes('source="'))
      .map((l) => l.replace(/ \S+$/, ""));
    expect(unlabelled).toEqual(['scrape_reconciler_sidecar_sync_errors_total{reason="write_error"}', "scrape_reconciler_sidecar_file_writes_total"]);
    // the combined file: rewritten as each source's document arrived
    expect(Number(/^scrape_reconciler_sidecar_file_writes_total (\d+)$/m.exec(m)?.[1])).toBeGreaterThanOrEqual(2);
  });

  it("keeps the same group of two sources apart, and the union does not depend on the order of the sources", async () => {
    const one = await start({ x: scripted(SAME), y: scripted(SAME), z: scripted(B1) }, { outputDir: undefined, output: join(dir, "one.json") });
    await one.syncAll();
    const two = await start({ z: scripted(B1), y: scripted(SAME), x: scripted(SAME) }, { outputDir: undefined, output: join(dir, "two.json") });
    await two.syncAll();
    expect(read("one.json")).toBe(read("two.json"));
    const groups = JSON.parse(read("one.json")) as TargetDocument;
    expect(groups.filter((g) => g.targets[0] === "10.9.0.1:9100").map((g) => g.labels[SOURCE_LABEL])).toEqual(["x", "y"]);
  });

  it("is unhealthy while a source has no document; after a restart each source's last groups are carried over", async () => {
    const output = join(dir, "targets.json");
    const first = await start({ a: scripted(A1), b: scripted(throttled()) }, { outputDir: undefined, output });
    await first.syncAll();
    // b has never had a document: 503, but /targets and the file serve what there is
    const h1 = await fetch(`${first.url}/healthz`);
    expect(h1.status).toBe(503);
    expect(await h1.json()).toMatchObject({ status: "waiting_for_first_document", waiting: ["b"], sources: { b: { status: "waiting_for_first_document" } } });
    expect(await (await fetch(`${first.url}/targets`)).text()).toBe(union(["a", A1]));
    expect(read("targets.json")).toBe(union(["a", A1]));
    await first.stop();

    writeFileSync(output, union(["a", A1], ["b", B1]));
    const second = await start({ a: scripted(A2), b: scripted(throttled()) }, { outputDir: undefined, output });
    expect((await fetch(`${second.url}/healthz`)).status).toBe(200); // both have a document from the file
    await second.syncAll();
    expect(read("targets.json")).toBe(union(["a", A2], ["b", B1]));
    const h2 = await fetch(`${second.url}/healthz`);
    expect(h2.status).toBe(200);
    expect(await h2.json()).toMatchObject({ status: "degraded", stale: ["b"], sources: { b: { status: "stale", documentFrom: "combined_file" } } });

    // per-source files win over the combined file at start
    writeFileSync(join(dir, "b.json"), serializeDocument(labelled("b", C1)));
    const third = await start({ a: scripted(A2), b: scripted(throttled()) }, { outputDir: dir, output });
    await third.syncAll();
    expect(read("targets.json")).toBe(union(["a", A2], ["b", C1]));
    expect(await (await fetch(`${third.url}/healthz`)).json()).toMatchObject({ sources: { b: { documentFrom: "file" } } });
  });

  it("polls each source on its own timer: one failing backs off while the others keep their interval", async () => {
    const a = scripted(A1);
    const b = scripted(throttled());
    const h = await start({ a, b }, { intervalMs: 40, maxBackoffMs: 640, outputDir: undefined, output: join(dir, "t.json") }, true);
    await waitFor(() => a.times.length >= 12, 10_000, 10);
    await h.stop();
    const gaps = (t: number[]) => t.slice(1).map((x, i) => x - t[i]!);
    // a: every 40 ms (slack for a loaded machine); b: full-jitter backoff with a floor, capped at 640 ms
    expect(Math.max(...gaps(a.times).slice(0, 10))).toBeLessThan(200);
    // b: 40, 80, 160, then 200-320, 200-640 ms... (a loaded machine only slows a down further)
    expect(b.times.length).toBeLessThanOrEqual(7);
    expect(Math.max(...gaps(b.times))).toBeGreaterThanOrEqual(150);
    expect(read("t.json")).toBe(union(["a", A1]));
  });
});

describe("one source with --output-dir", () => {
  it("writes the source's bytes to DIR/NAME.json and to --output, with the single-source metrics", async () => {
    const h = await startSidecar(
      {
        source: { kind: "s3", bucket: "bkt", key: "k" },
        outputDir: dir,
        output: join(dir, "..", `${dir.split("/").pop()}-all.json`),
        intervalMs: 1000,
        maxBackoffMs: 60_000,
        logLevel: "error",
      },
      { source: scripted(A1, throttled()), loop: false, log: silentLogger, defaultMetrics: false },
    );
    handles.push(h);
    expect(h.sources.map((s) => s.output)).toEqual([join(dir, "bkt.json")]);
    await h.syncAll();
    expect(read("bkt.json")).toBe(A1);
    expect(readFileSync(h.config.output!, "utf8")).toBe(A1);
    await h.syncAll();
    expect(readFileSync(h.config.output!, "utf8")).toBe(A1);
    const m = await metrics(h);
    expect(m).not.toContain('source="');
    expect(sumMetric(m, "scrape_reconciler_sidecar_sync_errors_total", { reason: "throttled" })).toBe(1);
    rmSync(h.config.output!, { force: true });
  });
});

describe("the bin with SIDECAR_SOURCE holding several sources", () => {
  it("writes one file per source, serves their union and exits 0 on SIGTERM", async () => {
    writeFileSync(join(dir, "a-src.json"), A1);
    writeFileSync(join(dir, "b-src.json"), B1);
    mkdirSync(join(dir, "sd"));
    const port = await freePort();
    const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "sidecar.mjs");
    const child = spawn(process.execPath, [bin, "--listen", `127.0.0.1:${port}`], {
      env: {
        ...process.env,
        SIDECAR_SOURCE: `file:${join(dir, "a-src.json")}?name=a\nfile:${join(dir, "b-src.json")}?name=b\n`,
        SIDECAR_OUTPUT_DIR: join(dir, "sd"),
        SIDECAR_INTERVAL: "1s",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let logs = "";
    child.stderr.on("data", (d: Buffer) => (logs += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const health = await waitFor(
        async () => {
          const r = await fetch(`http://127.0.0.1:${port}/healthz`);
          return r.status === 200 && ((await r.json()) as { status: string });
        },
        20_000,
        50,
      );
      expect(health.status).toBe("ok");
      expect(read("sd/a.json")).toBe(serializeDocument(labelled("a", A1)));
      expect(read("sd/b.json")).toBe(serializeDocument(labelled("b", B1)));
      expect(await (await fetch(`http://127.0.0.1:${port}/targets`)).text()).toBe(union(["a", A1], ["b", B1]));
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    const started = logs
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { msg: string; sources?: string[] })
      .find((l) => l.msg === "sidecar started");
    expect(started?.sources).toEqual([`a=file:${join(dir, "a-src.json")}`, `b=file:${join(dir, "b-src.json")}`]);
  });
});
