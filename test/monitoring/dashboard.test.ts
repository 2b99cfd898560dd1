// The Grafana dashboard: structurally valid (unique panel ids, no overlapping panels,
// datasource references to its own `${datasource}` / `${cloudwatch}` variables, CloudWatch
// queries on the metric names the functions emit), and every Prometheus panel query and
// variable query runs without error on a real Prometheus, against series shaped like the
// ones the sidecar, the scrapes and the forwarder produce (remote-written), each returning data.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUDIT_METRIC_NAMES } from "@scrape-reconciler/audit";
import { DEFAULT_METRIC_SET, metricName } from "@scrape-reconciler/forwarder";
import { createRemoteWriteClient, type Series } from "@scrape-reconciler/remote-write";
import { createMetrics } from "@scrape-reconciler/sidecar";
import { findPrometheus, startPrometheus, type PrometheusHandle } from "../support/prometheus";
import { allPanels, parseLabelValues, substitute, variableValues, type Dashboard } from "./grafana";

const dashboard = JSON.parse(readFileSync(new URL("../../monitoring/grafana/scrape-reconciler.json", import.meta.url), "utf8")) as Dashboard;
const panels = allPanels(dashboard).filter((p) => p.type !== "row");
const values = variableValues(dashboard);
const promQueries = panels.flatMap((p) =>
  (p.targets ?? []).filter((t) => t.datasource?.type === "prometheus").map((t) => ({ panel: p.title, refId: t.refId, expr: substitute(t.expr ?? "", values) })),
);

/** Every metric the forwarder's default set produces, by its YACE name. */
const forwarded = [
  ...DEFAULT_METRIC_SET.rdsInstance.flatMap((m) => m.statistics.map((s) => ({ name: metricName("AWS/RDS", m.name, s), kind: "rds" as const }))),
  ...DEFAULT_METRIC_SET.elastiCacheNode.flatMap((m) => m.statistics.map((s) => ({ name: metricName("AWS/ElastiCache", m.name, s), kind: "cache" as const }))),
];

/** What the reconcile function emits (packages/reconcile/src/metrics.ts) and the audit emits. */
function cloudWatchMetricNames(): Set<string> {
  const src = readFileSync(new URL("../../packages/reconcile/src/metrics.ts", import.meta.url), "utf8");
  return new Set(
    [...src.matchAll(/addMetric\(\s*(?:s\.written \? )?"(\w+)"(?: : "(\w+)")?/g)]
      .flatMap((m) => [m[1]!, m[2]].filter((x): x is string => !!x))
      .concat(AUDIT_METRIC_NAMES),
  );
}

describe("Grafana dashboard structure", () => {
  it("is a schema-39 dashboard with a uid, a title and both datasource variables", () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.schemaVersion).toBeLessThanOrEqual(41);
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
    expect(dashboard.title).toBeTruthy();
    const vars = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]));
    expect(vars.datasource).toMatchObject({ type: "datasource", query: "prometheus" });
    expect(vars.cloudwatch).toMatchObject({ type: "datasource", query: "cloudwatch" });
    expect(new Set(dashboard.templating.list.map((v) => v.name)).size).toBe(dashboard.templating.list.length);
  });

  it("panel ids are unique and panels do not overlap on the 24-column grid", () => {
    const all = allPanels(dashboard);
    expect(new Set(all.map((p) => p.id)).size).toBe(all.length);
    for (const p of all) {
      expect(p.title, `panel ${p.id}`).toBeTruthy();
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
    for (const a of all) {
      for (const b of all) {
        if (a.id >= b.id) continue;
        const apart =
          a.gridPos.x + a.gridPos.w <= b.gridPos.x ||
          b.gridPos.x + b.gridPos.w <= a.gridPos.x ||
          a.gridPos.y + a.gridPos.h <= b.gridPos.y ||
          b.gridPos.y + b.gridPos.h <= a.gridPos.y;
        expect(apart, `${a.title} overlaps ${b.title}`).toBe(true);
      }
    }
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variable, literal
  it("every panel and query uses the ${datasource} (prometheus) or ${cloudwatch} variable, with unique refIds", () => {
    const refs = new Map([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variable, literal
      ["prometheus", "${datasource}"],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variable, literal
      ["cloudwatch", "${cloudwatch}"],
    ]);
    for (const p of panels) {
      expect(p.datasource, p.title).toBeDefined();
      expect(refs.get(p.datasource!.type), p.title).toBe(p.datasource!.uid);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      const ids = p.targets!.map((t) => t.refId);
      expect(new Set(ids).size, p.title).toBe(ids.length);
      for (const t of p.targets!) expect(t.datasource, `${p.title} ${t.refId}`).toEqual(p.datasource);
    }
  });

  it("has Prometheus panels on the health, sync and forwarded metrics, and CloudWatch panels on metrics the functions emit", () => {
    const exprs = promQueries.map((q) => q.expr).join("\n");
    for (const name of [
      "scrape_reconciler_sidecar_document_generation",
      "scrape_reconciler_sidecar_targets",
      "count by (namespace, service) (up",
      "scrape_reconciler_sidecar_last_success_timestamp_seconds",
      "scrape_reconciler_sidecar_sync_errors_total",
      "aws_rds_",
      "aws_elasticache_",
    ]) {
      expect(exprs).toContain(name);
    }
    const emitted = cloudWatchMetricNames();
    const cw = panels.flatMap((p) => (p.targets ?? []).filter((t) => t.datasource?.type === "cloudwatch"));
    expect(cw.length).toBeGreaterThan(0);
    for (const t of cw) {
      expect(t.statistic, t.metricName).toMatch(/^(Sum|Maximum|Minimum|Average|SampleCount)$/);
      expect(Object.keys(t.dimensions ?? {}).length, t.metricName).toBeGreaterThan(0);
      if (t.namespace === "ScrapeReconciler") expect(emitted, t.metricName).toContain(t.metricName);
      else expect(t.namespace).toBe("AWS/Lambda");
      for (const v of Object.values(t.dimensions ?? {})) expect(() => substitute(v, values)).not.toThrow();
    }
    for (const name of ["StaleTargets", "MissingTargets", "DocumentAgeSeconds", "ReconcileAgeSeconds", "DocumentWrites", "Drift"]) {
      expect(cw.map((t) => t.metricName)).toContain(name);
    }
  });

  it("queries only metric names the sidecar and the forwarder produce", () => {
    const sidecar = new Set(
      createMetrics({ defaultMetrics: false })
        .registry.getMetricsAsArray()
        .flatMap((m) => (String(m.type) === "histogram" ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name])),
    );
    const names = new Set(promQueries.flatMap((q) => [...q.expr.matchAll(/\b(scrape_reconciler_sidecar_\w+|aws_\w+)/g)].map((m) => m[1]!)));
    expect(names.size).toBeGreaterThan(10);
    for (const n of names) {
      if (n.startsWith("aws_"))
        expect(
          forwarded.map((f) => f.name),
          n,
        ).toContain(n);
      else expect(sidecar, n).toContain(n);
    }
  });
});

const binary = findPrometheus();
if (!binary)
  console.warn("test/monitoring/dashboard.test.ts: PromQL checks skipped: no prometheus binary (install the prometheus package or set PROMETHEUS_BIN)");

describe.skipIf(!binary)("Grafana dashboard queries on a real Prometheus", () => {
  let prom: PrometheusHandle;
  const end = Math.floor(Date.now() / 1000);
  const start = end - 600;

  /** Ten minutes of samples every 15 s: sidecar metrics, target `up`s, forwarded CloudWatch metrics. */
  function series(): Series[] {
    const times = Array.from({ length: 41 }, (_, i) => (start + i * 15) * 1000);
    const s = (labels: Record<string, string>, f: (t: number, i: number) => number): Series => ({
      labels,
      samples: times.map((t, i) => ({ timestamp: t, value: f(t, i) })),
    });
    const sidecar = { job: "sidecar", instance: "10.0.0.5:9099" };
    const out: Series[] = [
      s({ __name__: "scrape_reconciler_sidecar_document_generation", ...sidecar }, () => 7),
      s({ __name__: "scrape_reconciler_sidecar_targets", ...sidecar }, () => 3),
      s({ __name__: "scrape_reconciler_sidecar_last_success_timestamp_seconds", ...sidecar }, (t) => t / 1000),
      s({ __name__: "scrape_reconciler_sidecar_sync_errors_total", reason: "throttled", ...sidecar }, (_t, i) => i),
      s({ __name__: "scrape_reconciler_sidecar_syncs_total", result: "unchanged", ...sidecar }, (_t, i) => 3 * i),
      s({ __name__: "scrape_reconciler_sidecar_consecutive_errors", ...sidecar }, () => 0),
      s({ __name__: "scrape_reconciler_sidecar_file_writes_total", ...sidecar }, (_t, i) => i),
      s({ __name__: "scrape_reconciler_sidecar_stale_manifests_total", ...sidecar }, (_t, i) => Math.floor(i / 10)),
      ...["0.05", "0.1", "+Inf"].map((le, k) =>
        s({ __name__: "scrape_reconciler_sidecar_fetch_duration_seconds_bucket", le, result: "unchanged", ...sidecar }, (_t, i) => i * (k + 1)),
      ),
      s({ __name__: "up", job: "ecs", instance: "10.0.1.1:8080", namespace: "apps", service: "web" }, () => 1),
      s({ __name__: "up", job: "ecs", instance: "10.0.1.2:8080", namespace: "apps", service: "web" }, () => 0),
      s({ __name__: "up", job: "ecs", instance: "10.0.2.1:8080", namespace: "internal", service: "api" }, () => 1),
    ];
    for (const f of forwarded) {
      const dims: Record<string, string> =
        f.kind === "rds"
          ? { dimension_DBInstanceIdentifier: "orders", name: "arn:aws:rds:eu-west-1:123456789012:db:orders" }
          : { dimension_CacheClusterId: "sessions-001", name: "arn:aws:elasticache:eu-west-1:123456789012:cluster:sessions-001" };
      out.push(s({ __name__: f.name, job: "cloudwatch", region: "eu-west-1", account_id: "123456789012", ...dims }, (_t, i) => 10 + i));
    }
    return out;
  }

  async function api(path: string, params: Record<string, string>): Promise<{ http: number; status: string; error?: string; data: unknown }> {
    const res = await fetch(`${prom.url}${path}?${new URLSearchParams(params)}`);
    const body = (await res.json()) as { status: string; error?: string; data: unknown };
    return { http: res.status, ...body };
  }

  beforeAll(async () => {
    prom = await startPrometheus({ args: ["--web.enable-remote-write-receiver"] });
    const written = await createRemoteWriteClient({ url: `${prom.url}/api/v1/write`, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 } }).write(
      series(),
    );
    expect(written.dropped).toEqual([]);
  });
  afterAll(async () => {
    await prom?.stop();
  });

  it("every Prometheus panel query runs (range and instant) without error and returns data", async () => {
    expect(promQueries.length).toBeGreaterThan(25);
    for (const q of promQueries) {
      const what = `${q.panel} ${q.refId}: ${q.expr}`;
      const range = await api("/api/v1/query_range", { query: q.expr, start: String(start), end: String(end), step: "30" });
      expect({ http: range.http, status: range.status, error: range.error }, what).toEqual({ http: 200, status: "success", error: undefined });
      expect((range.data as { result: unknown[] }).result.length, `${what} returned no series`).toBeGreaterThan(0);
      const instant = await api("/api/v1/query", { query: q.expr, time: String(end) });
      expect({ http: instant.http, status: instant.status }, what).toEqual({ http: 200, status: "success" });
    }
  });

  it("every variable query runs and finds values", async () => {
    const queryVars = dashboard.templating.list.filter((v) => v.type === "query");
    expect(queryVars.length).toBeGreaterThan(0);
    for (const v of queryVars) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variable, literal
      expect(v.datasource).toEqual({ type: "prometheus", uid: "${datasource}" });
      const text = typeof v.query === "string" ? v.query : v.query.query;
      const lv = parseLabelValues(text);
      expect(lv, `${v.name}: ${text}`).toBeDefined();
      const r = await api(`/api/v1/label/${lv!.label}/values`, { "match[]": substitute(lv!.selector, values), start: String(start), end: String(end) });
      expect({ http: r.http, status: r.status }, v.name).toEqual({ http: 200, status: "success" });
      expect((r.data as string[]).length, `${v.name} found no values`).toBeGreaterThan(0);
    }
  });
});
