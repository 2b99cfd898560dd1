// What the demo's fake containers answer on their metrics port: a few realistic metric
// families in the Prometheus text format, chosen by the container's name (a web app, a
// Celery worker's statsd-exporter, the ECS task-metadata exporter, node-exporter, HAProxy,
// PgBouncer, a JVM service), with counters that grow with every scrape. Pure.

export type Flavor = "web" | "celery" | "ecs" | "node" | "haproxy" | "pgbouncer" | "jvm";

/** The kind of exporter a container runs, from its name. */
export function flavorOf(containerName: string): Flavor {
  const n = containerName.toLowerCase();
  if (n.includes("statsd")) return "celery";
  if (n.includes("ecs-exporter") || n.includes("ecs_exporter")) return "ecs";
  if (n.includes("node-exporter")) return "node";
  if (n.includes("haproxy")) return "haproxy";
  if (n.includes("pgbouncer")) return "pgbouncer";
  if (n.includes("billing") || n.includes("java") || n.includes("jvm")) return "jvm";
  return "web";
}

export interface PageInput {
  flavor: Flavor;
  /** Scrapes served so far (counters grow with it). */
  scrapes: number;
  /** Seconds since the endpoint started. */
  uptimeSeconds: number;
  /** A stable per-endpoint number, so that endpoints differ. */
  seed: number;
  /** Start time of the "process", epoch seconds. */
  startedAtSeconds: number;
}

const family = (name: string, type: string, help: string, samples: string[]) => [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples];

function web(p: PageInput): string[] {
  const base = 40 + (p.seed % 60);
  const ok = Math.round(base * p.uptimeSeconds);
  const err = Math.round(ok / 97);
  const buckets = [0.05, 0.1, 0.25, 0.5, 1];
  const share = [0.55, 0.8, 0.95, 0.99, 1];
  return [
    ...family("http_requests_total", "counter", "HTTP requests served.", [
      `http_requests_total{method="GET",code="200"} ${ok}`,
      `http_requests_total{method="POST",code="201"} ${Math.round(ok / 9)}`,
      `http_requests_total{method="GET",code="500"} ${err}`,
    ]),
    ...family("http_request_duration_seconds", "histogram", "HTTP request latency.", [
      ...buckets.map((le, i) => `http_request_duration_seconds_bucket{le="${le}"} ${Math.round(ok * share[i]!)}`),
      `http_request_duration_seconds_bucket{le="+Inf"} ${ok}`,
      `http_request_duration_seconds_sum ${(ok * 0.071).toFixed(3)}`,
      `http_request_duration_seconds_count ${ok}`,
    ]),
  ];
}

function celery(p: PageInput): string[] {
  const done = Math.round((3 + (p.seed % 5)) * p.uptimeSeconds);
  return [
    ...family("celery_tasks_total", "counter", "Celery tasks by state (statsd-exporter mapping).", [
      `celery_tasks_total{task="send_email",state="succeeded"} ${done}`,
      `celery_tasks_total{task="send_email",state="failed"} ${Math.floor(done / 151)}`,
      `celery_tasks_total{task="render_invoice",state="succeeded"} ${Math.round(done / 3)}`,
    ]),
    ...family("celery_task_runtime_seconds", "summary", "Celery task run time.", [
      `celery_task_runtime_seconds_sum ${(done * 0.42).toFixed(2)}`,
      `celery_task_runtime_seconds_count ${done}`,
    ]),
    ...family("celery_queue_length", "gauge", "Messages waiting in the broker queue.", [
      `celery_queue_length{queue="default"} ${(p.seed + p.scrapes * 7) % 23}`,
    ]),
    ...family("statsd_exporter_samples_total", "counter", "Samples received by the statsd exporter.", [`statsd_exporter_samples_total ${done * 4}`]),
  ];
}

function ecs(p: PageInput): string[] {
  return [
    ...family("ecs_cpu_seconds_total", "counter", "CPU time of the task's containers (task metadata endpoint).", [
      `ecs_cpu_seconds_total{container="app"} ${(p.uptimeSeconds * 0.23).toFixed(2)}`,
    ]),
    ...family("ecs_memory_bytes", "gauge", "Memory usage of the task's containers.", [
      `ecs_memory_bytes{container="app"} ${180_000_000 + (p.seed % 50) * 1_000_000}`,
    ]),
    ...family("ecs_network_receive_bytes_total", "counter", "Bytes received by the task.", [
      `ecs_network_receive_bytes_total{device="eth1"} ${Math.round(p.uptimeSeconds * 52_000)}`,
    ]),
  ];
}

function node(p: PageInput): string[] {
  return [
    ...family("node_load1", "gauge", "1m load average.", [`node_load1 ${(0.3 + (p.seed % 10) / 10).toFixed(2)}`]),
    ...family("node_cpu_seconds_total", "counter", "Seconds the CPUs spent in each mode.", [
      `node_cpu_seconds_total{cpu="0",mode="idle"} ${(p.uptimeSeconds * 0.8).toFixed(2)}`,
      `node_cpu_seconds_total{cpu="0",mode="user"} ${(p.uptimeSeconds * 0.15).toFixed(2)}`,
    ]),
  ];
}

function haproxy(p: PageInput): string[] {
  return [
    ...family("haproxy_frontend_current_sessions", "gauge", "Current sessions.", [
      `haproxy_frontend_current_sessions{proxy="https"} ${20 + ((p.seed + p.scrapes) % 15)}`,
    ]),
    ...family("haproxy_frontend_http_requests_total", "counter", "HTTP requests.", [
      `haproxy_frontend_http_requests_total{proxy="https"} ${Math.round(p.uptimeSeconds * 310)}`,
    ]),
  ];
}

function pgbouncer(p: PageInput): string[] {
  return [
    ...family("pgbouncer_pools_client_active_connections", "gauge", "Active client connections.", [
      `pgbouncer_pools_client_active_connections{database="app"} ${12 + (p.scrapes % 6)}`,
    ]),
    ...family("pgbouncer_stats_queries_pooled_total", "counter", "Queries pooled.", [
      `pgbouncer_stats_queries_pooled_total{database="app"} ${Math.round(p.uptimeSeconds * 95)}`,
    ]),
  ];
}

function jvm(p: PageInput): string[] {
  return [
    ...family("jvm_memory_used_bytes", "gauge", "JVM memory used.", [`jvm_memory_used_bytes{area="heap"} ${310_000_000 + (p.scrapes % 20) * 2_000_000}`]),
    ...family("http_server_requests_seconds", "summary", "Spring MVC requests.", [
      `http_server_requests_seconds_count{uri="/invoices",status="200"} ${Math.round(p.uptimeSeconds * 12)}`,
      `http_server_requests_seconds_sum{uri="/invoices",status="200"} ${(p.uptimeSeconds * 1.3).toFixed(2)}`,
    ]),
  ];
}

const PAGES: Record<Flavor, (p: PageInput) => string[]> = { web, celery, ecs, node, haproxy, pgbouncer, jvm };

export function metricsPage(p: PageInput): string {
  const lines = [
    ...PAGES[p.flavor](p),
    ...family("process_start_time_seconds", "gauge", "Start time of the process since the epoch.", [`process_start_time_seconds ${p.startedAtSeconds}`]),
  ];
  return `${lines.join("\n")}\n`;
}
