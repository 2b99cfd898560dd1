// Shared pieces of the sidecar's end-to-end tests and benchmarks: realistic target
// documents (one group per target, the labels the publisher writes), the Prometheus
// configuration that reads the sidecar's file and endpoint, and a poller that records
// the lowest active-target count Prometheus reported.
import type { TargetDocument } from "@scrape-reconciler/core";
import { activeTargets, type ActiveTarget } from "../../../test/support/prometheus";

export const FILE_JOB = "ecs-file";
export const HTTP_JOB = "ecs-http";

/** One target group per target, sorted, with the labels the publisher produces. */
export function makeDocument(targets: string[], opts: { service?: (t: string, i: number) => string; rev?: string } = {}): TargetDocument {
  return [...targets].sort().map((t, i) => {
    const service = opts.service?.(t, i) ?? "web";
    const labels: Record<string, string> = {
      __meta_cloudmap_namespace_name: "prod.local",
      __meta_cloudmap_service_name: service,
      __meta_ecs_availability_zone: i % 2 ? "eu-west-1b" : "eu-west-1a",
      __meta_ecs_launch_type: "FARGATE",
      __meta_ecs_task_definition_family: service,
      __metrics_path__: "/metrics",
      __scheme__: "http",
      cluster: "main",
      instance: t,
      namespace: "prod.local",
      service,
      taskdefinition: `${service}:${opts.rev ?? "1"}`,
      taskid: `task${i}`,
    };
    return { targets: [t], labels };
  });
}

export const serialize = (doc: TargetDocument) => JSON.stringify(doc);

/** The relabelling shown in the README, applied to both jobs. */
export const RELABEL = `
    relabel_configs:
      - source_labels: [__meta_ecs_availability_zone]
        target_label: availability_zone
      - source_labels: [__meta_ecs_launch_type]
        regex: EXTERNAL
        action: drop`;

export function prometheusConfig(opts: { fileGlob?: string; targetsUrl?: string; sdRefresh?: string }): string {
  const refresh = opts.sdRefresh ?? "1s";
  let cfg = `global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 15s
scrape_configs:
`;
  if (opts.fileGlob) {
    cfg += `  - job_name: ${FILE_JOB}
    file_sd_configs:
      - files: ["${opts.fileGlob}"]
        refresh_interval: ${refresh}
${RELABEL}
`;
  }
  if (opts.targetsUrl) {
    cfg += `  - job_name: ${HTTP_JOB}
    http_sd_configs:
      - url: ${opts.targetsUrl}
        refresh_interval: ${refresh}
${RELABEL}
`;
  }
  return cfg;
}

export const instances = (ts: ActiveTarget[]) => ts.map((t) => t.labels.instance ?? "").sort();

export function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
}

export interface PollStats {
  polls: number;
  min: Record<string, number>;
  max: Record<string, number>;
  errors: number;
}

/** Polls Prometheus' active targets until stopped and keeps the lowest count per job. */
export function pollTargets(url: string, jobs: string[], everyMs = 50): { stop(): Promise<PollStats> } {
  const stats: PollStats = { polls: 0, min: {}, max: {}, errors: 0 };
  for (const j of jobs) {
    stats.min[j] = Number.POSITIVE_INFINITY;
    stats.max[j] = 0;
  }
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const all = await activeTargets(url);
        stats.polls++;
        for (const j of jobs) {
          const n = all.filter((t) => t.scrapePool === j).length;
          stats.min[j] = Math.min(stats.min[j]!, n);
          stats.max[j] = Math.max(stats.max[j]!, n);
        }
      } catch {
        stats.errors++;
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return stats;
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}
