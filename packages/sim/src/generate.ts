// generateScenario: large, regular scenarios for load tests and benchmarks (N services
// x M tasks over a few namespaces and clusters), deterministic for the same options.
import type { ScenarioInput } from "./scenario";

export interface GenerateOptions {
  services?: number;
  tasksPerService?: number;
  namespaces?: number;
  clusters?: number;
  seed?: string;
  region?: string;
  accountId?: string;
  ipBase?: string;
  /** Every k-th service runs on EC2 in bridge mode (0: none). */
  ec2Every?: number;
  /** Every k-th service has no METRICS_PORT tag (0: all are tagged). */
  untaggedEvery?: number;
  /** Buckets to create (e.g. the targets bucket). */
  buckets?: string[];
  parameters?: Record<string, string>;
}

const NAMESPACE_TYPES = ["DNS_PRIVATE", "HTTP", "DNS_PUBLIC"] as const;

export function generateScenario(opts: GenerateOptions = {}): ScenarioInput {
  const services = opts.services ?? 10;
  const tasks = opts.tasksPerService ?? 2;
  const nsCount = Math.max(1, opts.namespaces ?? 2);
  const clusterCount = Math.max(1, opts.clusters ?? 2);
  const pad = (n: number, w: number) => String(n).padStart(w, "0");
  const width = String(services).length;
  const namespaces = Array.from({ length: nsCount }, (_, i) => ({
    name: NAMESPACE_TYPES[i % 3] === "HTTP" ? `apps-${i + 1}` : `ns${i + 1}.internal`,
    type: NAMESPACE_TYPES[i % 3]!,
  }));
  const clusters = Array.from({ length: clusterCount }, (_, i) => ({ name: `cluster-${i + 1}` }));
  const list = Array.from({ length: services }, (_, i) => {
    const ec2 = opts.ec2Every ? (i + 1) % opts.ec2Every === 0 : false;
    const untagged = opts.untaggedEvery ? (i + 1) % opts.untaggedEvery === 0 : false;
    const name = `svc-${pad(i + 1, width)}`;
    return {
      cluster: clusters[i % clusterCount]!.name,
      name,
      namespace: namespaces[i % nsCount]!.name,
      tags: (untagged ? {} : { METRICS_PORT: "8080", METRICS_PATH: "/metrics" }) as Record<string, string>,
      launchType: ec2 ? ("EC2" as const) : ("FARGATE" as const),
      networkMode: ec2 ? ("bridge" as const) : ("awsvpc" as const),
      taskDefinition: { family: name, revision: 1, containers: [{ name: "app", ports: [8080] }] },
      desiredCount: tasks,
    };
  });
  const ec2Services = list.filter((s) => s.launchType === "EC2").length;
  const scenario: ScenarioInput = {
    region: opts.region ?? "us-east-1",
    accountId: opts.accountId ?? "123456789012",
    seed: opts.seed ?? "generated",
    ipBase: opts.ipBase ?? "10.0.0.0",
    buckets: opts.buckets ?? [],
    parameters: opts.parameters ?? {},
    namespaces,
    clusters: clusters.map((c) => ({
      ...c,
      ...(ec2Services > 0 ? { containerInstances: Math.min(50, Math.max(2, Math.ceil((ec2Services * tasks) / clusterCount / 20))) } : {}),
    })),
    services: list,
  };
  return scenario;
}
