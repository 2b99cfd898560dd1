// The published document under relabel rules written for Prometheus' own ECS discovery
// (`aws_sd_configs` with `role: ecs`, Prometheus 3.8+): the document of a full reconcile of
// a simulated account is written as a file_sd file, and a real Prometheus (Debian's
// package) applies the rules an ECS-SD user would write: keep by __meta_ecs_cluster,
// `service` from __meta_ecs_service, `az` from __meta_ecs_availability_zone, the task
// definition's name from the ARN in __meta_ecs_task_definition, `team` from the Cloud Map
// service's `team` tag (__meta_cloudmap_service_tag_team), and the account and region
// (__meta_cloudmap_account_id, __meta_cloudmap_region), the EC2 host's IP and instance type
// (__meta_ecs_ec2_instance_private_ip, __meta_ecs_ec2_instance_type). /api/v1/targets must show exactly
// the labels those rules give, and the targets of the other cluster (and the one that is
// not an ECS task) among the dropped targets. Skips only when no prometheus binary exists.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { DescribeServicesCommand } from "@aws-sdk/client-ecs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reconcile } from "@scrape-reconciler/reconcile";
import { readPublished } from "@scrape-reconciler/store";
import type { ScenarioInput } from "@scrape-reconciler/sim";
import type { TargetDocument } from "@scrape-reconciler/core";
import { startSimEnv, type SimEnv } from "./support/sim-env";
import { findPrometheus, startPrometheus, waitFor, type ActiveTarget, type PrometheusHandle } from "./support/prometheus";

const ACCOUNT = "210987654321";
const REGION = "eu-west-1";
const JOB = "ecs";

const scenario: ScenarioInput = {
  region: REGION,
  accountId: ACCOUNT,
  seed: "labels-ecs-sd",
  ipBase: "10.0.0.0",
  namespaces: [{ name: "apps.internal", type: "DNS_PRIVATE" }],
  clusters: [{ name: "prod-web" }, { name: "prod-batch" }, { name: "prod-legacy", containerInstances: 1 }],
  services: [
    {
      cluster: "prod-web",
      name: "checkout",
      namespace: "apps.internal",
      tags: { METRICS_PORT: "8080", team: "payments", "cost-center": "42" },
      launchType: "FARGATE",
      networkMode: "awsvpc",
      taskDefinition: { family: "checkout", revision: 4, containers: [{ name: "checkout", ports: [8080] }] },
      desiredCount: 2,
    },
    {
      cluster: "prod-legacy",
      name: "billing",
      namespace: "apps.internal",
      tags: { METRICS_PORT: "8080", team: "finance" },
      launchType: "EC2",
      networkMode: "bridge",
      taskDefinition: { family: "billing", revision: 9, containers: [{ name: "billing", ports: [8080] }] },
      desiredCount: 1,
    },
    {
      cluster: "prod-batch",
      name: "reports",
      namespace: "apps.internal",
      tags: { METRICS_PORT: "9100", team: "data" },
      launchType: "FARGATE",
      networkMode: "awsvpc",
      taskDefinition: { family: "reports", revision: 2, containers: [{ name: "reports", ports: [9100] }] },
      desiredCount: 1,
    },
  ],
  extraCloudMapServices: [
    {
      namespace: "apps.internal",
      name: "pgbouncer",
      tags: { METRICS_PORT: "9127", team: "dba" },
      instances: [{ id: "pgbouncer-1", attributes: { AWS_INSTANCE_IPV4: "10.0.200.10" } }],
    },
  ],
};

/** Relabel rules as written for `aws_sd_configs: [{ role: ecs }]`, on our file_sd file. */
function prometheusConfig(glob: string): string {
  return `global:
  scrape_interval: 1h
  scrape_timeout: 1s
scrape_configs:
  - job_name: ${JOB}
    file_sd_configs:
      - files: ["${glob}"]
        refresh_interval: 1s
    relabel_configs:
      - source_labels: [__meta_ecs_cluster]
        regex: prod-(web|legacy)
        action: keep
      - source_labels: [__meta_ecs_service]
        target_label: service
      - source_labels: [__meta_ecs_availability_zone]
        target_label: az
      - source_labels: [__meta_ecs_task_definition]
        regex: arn:aws:ecs:[^:]+:[0-9]+:task-definition/(.+)
        target_label: task_definition
      - source_labels: [__meta_cloudmap_service_tag_team]
        target_label: team
      - source_labels: [__meta_cloudmap_account_id]
        target_label: account_id
      - source_labels: [__meta_cloudmap_region]
        target_label: region
      - source_labels: [__meta_ecs_ec2_instance_private_ip]
        target_label: host_ip
      - source_labels: [__meta_ecs_ec2_instance_type]
        target_label: instance_type
`;
}

interface DroppedTarget {
  discoveredLabels: Record<string, string>;
}

async function targets(url: string): Promise<{ active: ActiveTarget[]; dropped: DroppedTarget[] }> {
  const res = await fetch(`${url}/api/v1/targets`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET /api/v1/targets: HTTP ${res.status}`);
  const body = (await res.json()) as { data: { activeTargets: ActiveTarget[]; droppedTargets: DroppedTarget[] } };
  return {
    active: body.data.activeTargets.filter((t) => t.scrapePool === JOB),
    dropped: body.data.droppedTargets.filter((t) => t.discoveredLabels.job === JOB),
  };
}

const binary = findPrometheus();
const title = binary
  ? "labels for relabel rules written for Prometheus' ECS discovery, on a real Prometheus"
  : "labels for ECS-SD relabel rules (SKIPPED: no prometheus binary; install the prometheus package or set PROMETHEUS_BIN)";
if (!binary) console.warn(`[labels-ecs-sd] ${title}`);

let env: SimEnv | undefined;
let prom: PrometheusHandle | undefined;
let dir: string | undefined;
let doc: TargetDocument = [];

beforeAll(async () => {
  if (!binary) return;
  env = await startSimEnv({ scenario });
  const summary = await reconcile({ clients: env.clients, config: env.config, now: () => new Date() });
  expect(summary.written).toBe(true);
  const published = await readPublished({ s3: env.clients.s3, bucket: env.config.bucket, key: env.config.key });
  doc = published!.document;
  dir = mkdtempSync(join(tmpdir(), "labels-ecs-sd-"));
  mkdirSync(join(dir, "sd"));
  writeFileSync(join(dir, "sd", "ecs-services.json"), published!.text);
  prom = await startPrometheus({ config: prometheusConfig(join(dir, "sd", "*.json")) });
});

afterAll(async () => {
  await prom?.stop();
  await env?.sim.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!binary)(title, () => {
  it("the published document carries the ECS-SD labels, with the values ECS itself reports", async () => {
    expect(doc).toHaveLength(5); // checkout x2, billing, reports, pgbouncer
    const ecs = env!.clients.ecs;
    for (const [cluster, name] of [
      ["prod-web", "checkout"],
      ["prod-legacy", "billing"],
      ["prod-batch", "reports"],
    ] as const) {
      const svc = (await ecs.send(new DescribeServicesCommand({ cluster, services: [name] }))).services![0]!;
      const groups = doc.filter((g) => g.labels.__meta_ecs_service === name);
      expect(groups.length).toBeGreaterThan(0);
      for (const g of groups) {
        expect(g.labels).toMatchObject({
          __meta_ecs_cluster: cluster,
          __meta_ecs_cluster_arn: svc.clusterArn,
          __meta_ecs_service_arn: svc.serviceArn,
          __meta_ecs_task_group: `service:${name}`,
          __meta_ecs_task_definition: svc.taskDefinition,
          __meta_ecs_region: REGION,
          __meta_ecs_ip_address: g.targets[0]!.split(":")[0],
          __meta_cloudmap_account_id: ACCOUNT,
          __meta_cloudmap_region: REGION,
        });
      }
    }
    const checkout = doc.find((g) => g.labels.__meta_ecs_service === "checkout")!.labels;
    expect(checkout.__meta_ecs_subnet_id).toMatch(/^subnet-/);
    expect(checkout).toMatchObject({ __meta_ecs_platform_family: "Linux", __meta_cloudmap_service_tag_cost_center: "42" });
    const billing = doc.find((g) => g.labels.__meta_ecs_service === "billing")!.labels;
    expect(billing.__meta_ecs_ec2_instance_private_ip).toBe(billing.__meta_ecs_ip_address);
    // The instance type EC2 reports for the instance behind the task's container instance.
    const ec2 = await env!.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [billing.__meta_ecs_ec2_instance_id!] }));
    expect(billing.__meta_ecs_ec2_instance_type).toBe(ec2.Reservations![0]!.Instances![0]!.InstanceType);
    expect(billing.__meta_ecs_ec2_instance_type).toMatch(/^[a-z0-9]+\.[a-z0-9]+$/);
    expect(checkout.__meta_ecs_ec2_instance_type).toBeUndefined();
    const pgbouncer = doc.find((g) => g.labels.__meta_cloudmap_service_name === "pgbouncer")!.labels;
    expect(Object.keys(pgbouncer).filter((k) => /^__meta_ecs_(cluster|service|region|task_)/.test(k))).toEqual([]);
    expect(pgbouncer).toMatchObject({ __meta_cloudmap_account_id: ACCOUNT, __meta_cloudmap_region: REGION, __meta_cloudmap_service_tag_team: "dba" });
  });

  it("Prometheus keeps the kept clusters' targets with exactly the labels the rules give, and drops the rest", async () => {
    const kept = doc.filter((g) => g.labels.__meta_ecs_cluster === "prod-web" || g.labels.__meta_ecs_cluster === "prod-legacy");
    expect(kept).toHaveLength(3);
    const seen = await waitFor(async () => {
      const t = await targets(prom!.url);
      return t.active.length === kept.length && t.dropped.length === doc.length - kept.length ? t : undefined;
    }, 20_000);
    const byInstance = new Map(seen.active.map((t) => [t.labels.instance, t]));
    for (const g of kept) {
      const l = g.labels;
      const team = l.__meta_ecs_service === "checkout" ? "payments" : "finance";
      const td = l.__meta_ecs_service === "checkout" ? "checkout:4" : "billing:9";
      const target = byInstance.get(l.instance);
      expect(target, `${l.instance} is active`).toBeDefined();
      expect(target!.labels).toEqual({
        job: JOB,
        instance: l.instance,
        // the old sidecar's labels, passed through by file_sd
        cluster: l.__meta_ecs_cluster,
        namespace: "apps.internal",
        taskdefinition: td,
        taskid: l.taskid,
        // the ECS-SD rules' labels
        service: l.__meta_ecs_service,
        az: expect.stringMatching(/^eu-west-1[a-z]$/),
        task_definition: td,
        team,
        account_id: ACCOUNT,
        region: REGION,
        ...(l.__meta_ecs_service === "billing" ? { host_ip: l.__meta_ecs_ip_address, instance_type: l.__meta_ecs_ec2_instance_type } : {}),
      });
      expect(target!.labels.az).toBe(l.__meta_ecs_availability_zone);
      expect(target!.discoveredLabels.__meta_ecs_service_arn).toBe(l.__meta_ecs_service_arn);
    }
    // The other cluster and the registration that is not an ECS task: dropped by the keep rule.
    const dropped = seen.dropped.map((t) => t.discoveredLabels.__meta_cloudmap_service_name).sort();
    expect(dropped).toEqual(["pgbouncer", "reports"]);
    const reports = seen.dropped.find((t) => t.discoveredLabels.__meta_cloudmap_service_name === "reports")!;
    expect(reports.discoveredLabels).toMatchObject({ __meta_ecs_cluster: "prod-batch", __meta_cloudmap_service_tag_team: "data" });
    expect(prom!.logs()).not.toMatch(/Error reading file|file_sd.*(error|fail)/i);
  });
});
