// Scenario files: the zod schema of a simulated account (with cross-field checks and
// one-line errors naming the field), loading from JSON, and seeding a SimState from it:
// deterministic ids from the seed, tasks RUNNING and registered in Cloud Map.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { SimState } from "./state";
import type { ContainerInstanceInput } from "./state/ecs";

const Port = z.number().int().min(1).max(65535);
const Tags = z.record(z.string(), z.string());

const ContainerSchema = z.strictObject({
  name: z.string().min(1),
  image: z.string().optional(),
  /** Container ports; the first port of the first container with ports is the Cloud Map port. */
  ports: z.array(Port).default([]),
});

const TaskDefinitionSchema = z.strictObject({
  family: z.string().min(1).optional(),
  revision: z.number().int().min(1).default(1),
  containers: z.array(ContainerSchema).min(1),
  cpu: z.string().optional(),
  memory: z.string().optional(),
});

const ServiceSchema = z.strictObject({
  cluster: z.string().min(1),
  name: z.string().min(1),
  /** Cloud Map namespace name; omit for a service without service discovery. */
  namespace: z.string().min(1).optional(),
  /** Name of the Cloud Map service (default: the ECS service name). */
  cloudMapServiceName: z.string().min(1).optional(),
  /** Tags of the Cloud Map service (METRICS_PORT, METRICS_PATH, ...). */
  tags: Tags.default({}),
  launchType: z.enum(["FARGATE", "EC2"]).default("FARGATE"),
  /** Default: awsvpc for FARGATE, bridge for EC2. */
  networkMode: z.enum(["awsvpc", "bridge", "host"]).optional(),
  /** Default: family = service name, one container named after the service listening on 8080. */
  taskDefinition: TaskDefinitionSchema.optional(),
  desiredCount: z.number().int().min(0).max(1000).default(1),
  /** The healthStatus tasks report once RUNNING. */
  health: z.enum(["HEALTHY", "UNHEALTHY", "UNKNOWN"]).default("HEALTHY"),
});

const ContainerInstanceSchema = z.strictObject({
  ec2InstanceId: z
    .string()
    .regex(/^i-[0-9a-f]{8,17}$/)
    .optional(),
  privateIp: z.ipv4().optional(),
  availabilityZone: z.string().optional(),
});

const ClusterSchema = z.strictObject({
  name: z.string().min(1),
  /** A count or a list; default 2 when the cluster runs EC2 services, else 0. */
  containerInstances: z.union([z.number().int().min(0).max(500), z.array(ContainerInstanceSchema)]).optional(),
});

const NamespaceSchema = z.strictObject({
  name: z.string().min(1),
  type: z.enum(["DNS_PRIVATE", "DNS_PUBLIC", "HTTP"]).default("DNS_PRIVATE"),
  description: z.string().optional(),
  tags: Tags.default({}),
});

const ExtraCloudMapServiceSchema = z.strictObject({
  namespace: z.string().min(1),
  name: z.string().min(1),
  tags: Tags.default({}),
  description: z.string().optional(),
  /** Instances registered by hand (not ECS tasks). */
  instances: z
    .array(
      z.strictObject({
        id: z.string().min(1),
        attributes: z.record(z.string(), z.string()),
        health: z.enum(["HEALTHY", "UNHEALTHY", "UNKNOWN"]).default("HEALTHY"),
      }),
    )
    .default([]),
});

const ObjectSchema = z.strictObject({
  bucket: z.string().min(1),
  key: z.string().min(1),
  body: z.string(),
  contentType: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});

const ParameterSchema = z.union([
  z.string(),
  z.strictObject({
    value: z.string(),
    type: z.enum(["String", "StringList", "SecureString"]).default("String"),
    tier: z.enum(["Standard", "Advanced"]).default("Standard"),
  }),
]);

// ---- RDS, ElastiCache and CloudWatch metrics (state/rds.ts, elasticache.ts, cloudwatch.ts) ----
const DbId = z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,62}$/, "expected an RDS/ElastiCache identifier");

/** What RDS instances, Aurora clusters and cache clusters share; each kind has its own engine default. */
const DatabaseSchema = z.strictObject({
  id: DbId,
  /** postgres (instances), aurora-postgresql (clusters, and their member instances), redis (caches: or valkey, memcached). */
  engine: z.string().min(1).optional(),
  engineVersion: z.string().optional(),
  /** Default available (stopped instances publish no metrics). */
  status: z.string().optional(),
  tags: Tags.default({}),
});

const RdsInstanceSchema = DatabaseSchema.extend({
  instanceClass: z.string().optional(),
  /** The Aurora cluster (rdsClusters[].id) this instance belongs to. */
  cluster: DbId.optional(),
});

const CacheClusterSchema = DatabaseSchema.extend({
  nodeType: z.string().optional(),
  nodes: z.number().int().min(1).max(40).default(1),
  replicationGroup: z.string().optional(),
});

const CloudWatchSchema = z.strictObject({
  /** Seconds after a period ends before its datapoint is visible. */
  publicationDelaySeconds: z.number().min(0).max(3600).default(150),
});

export const ScenarioSchema = z
  .strictObject({
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/)
      .default("us-east-1"),
    accountId: z
      .string()
      .regex(/^\d{12}$/)
      .default("123456789012"),
    seed: z.union([z.string(), z.number()]).transform(String).default("scrape-reconciler"),
    /** Addresses are allocated after this one; a 127.x base lets real local servers sit on task IPs. */
    ipBase: z.ipv4().default("10.0.0.0"),
    /** Timestamps of seeded resources start here (deterministic). */
    startTime: z.iso.datetime().default("2026-01-01T00:00:00.000Z"),
    buckets: z.array(z.string().min(3)).default([]),
    objects: z.array(ObjectSchema).default([]),
    parameters: z.record(z.string(), ParameterSchema).default({}),
    namespaces: z.array(NamespaceSchema).default([]),
    clusters: z.array(ClusterSchema).default([]),
    services: z.array(ServiceSchema).default([]),
    extraCloudMapServices: z.array(ExtraCloudMapServiceSchema).default([]),
    rdsInstances: z.array(RdsInstanceSchema).default([]),
    rdsClusters: z.array(DatabaseSchema).default([]),
    cacheClusters: z.array(CacheClusterSchema).default([]),
    cloudWatch: CloudWatchSchema.default({ publicationDelaySeconds: 150 }),
  })
  .superRefine((s, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
    /** Each of the scenario's `field` items needs a `key` (name or id) of its own. */
    const unique = <K extends string>(field: string, items: Record<K, string>[], key: K) =>
      items.forEach((item, i) => {
        if (items.findIndex((x) => x[key] === item[key]) !== i) issue([field, i, "name"], `duplicate name ${JSON.stringify(item[key])}`);
      });
    unique("namespaces", s.namespaces, "name");
    unique("clusters", s.clusters, "name");
    const namespaces = new Set(s.namespaces.map((n) => n.name));
    const clusters = new Set(s.clusters.map((c) => c.name));
    const seen = new Set<string>();
    const cloudMap = new Set<string>();
    s.services.forEach((svc, i) => {
      if (!clusters.has(svc.cluster)) issue(["services", i, "cluster"], `unknown cluster ${JSON.stringify(svc.cluster)}`);
      if (svc.namespace !== undefined && !namespaces.has(svc.namespace))
        issue(["services", i, "namespace"], `unknown namespace ${JSON.stringify(svc.namespace)}`);
      if (seen.has(`${svc.cluster}/${svc.name}`)) issue(["services", i, "name"], `duplicate service ${JSON.stringify(svc.name)} in cluster ${svc.cluster}`);
      seen.add(`${svc.cluster}/${svc.name}`);
      const cm = `${svc.namespace}/${svc.cloudMapServiceName ?? svc.name}`;
      if (svc.namespace !== undefined && cloudMap.has(cm)) issue(["services", i, "cloudMapServiceName"], `Cloud Map service ${cm} is used twice`);
      cloudMap.add(cm);
      if (svc.launchType === "FARGATE" && svc.networkMode !== undefined && svc.networkMode !== "awsvpc") {
        issue(["services", i, "networkMode"], `FARGATE tasks need networkMode awsvpc, got ${svc.networkMode}`);
      }
    });
    s.extraCloudMapServices.forEach((svc, i) => {
      if (!namespaces.has(svc.namespace)) issue(["extraCloudMapServices", i, "namespace"], `unknown namespace ${JSON.stringify(svc.namespace)}`);
      if (cloudMap.has(`${svc.namespace}/${svc.name}`))
        issue(["extraCloudMapServices", i, "name"], `Cloud Map service ${svc.namespace}/${svc.name} is used twice`);
      cloudMap.add(`${svc.namespace}/${svc.name}`);
    });
    unique("rdsInstances", s.rdsInstances, "id");
    unique("rdsClusters", s.rdsClusters, "id");
    unique("cacheClusters", s.cacheClusters, "id");
    const rdsClusters = new Set(s.rdsClusters.map((c) => c.id));
    s.rdsInstances.forEach((i, n) => {
      if (i.cluster !== undefined && !rdsClusters.has(i.cluster)) issue(["rdsInstances", n, "cluster"], `unknown cluster ${JSON.stringify(i.cluster)}`);
    });
    const buckets = new Set(s.buckets);
    s.objects.forEach((o, i) => {
      if (!buckets.has(o.bucket)) issue(["objects", i, "bucket"], `unknown bucket ${JSON.stringify(o.bucket)}`);
    });
  });

/** A validated scenario (defaults applied). */
export type Scenario = z.output<typeof ScenarioSchema>;
/** What a scenario file or object may contain (defaults optional). */
export type ScenarioInput = z.input<typeof ScenarioSchema>;

export class ScenarioError extends Error {
  override name = "ScenarioError";
}

function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? String(p) : `.${String(p)}`;
  return out || "(root)";
}

/** Validates a scenario object; throws ScenarioError with a one-line message naming the field. */
export function parseScenario(input: unknown, source = "scenario"): Scenario {
  const r = ScenarioSchema.safeParse(input);
  if (r.success) return r.data;
  const first = r.error.issues[0]!;
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more)` : "";
  throw new ScenarioError(`${source}: ${fieldPath(first.path)}: ${first.message}${more}`);
}

export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ScenarioError(`${path}: cannot read scenario file: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(`${path}: invalid JSON: ${(e as Error).message}`);
  }
  return parseScenario(json, path);
}

/** Builds the account a scenario describes. Seeded timestamps step 1 ms from `startTime`. */
export function seedState(scenario: Scenario, opts: { clock?: () => Date } = {}): SimState {
  let t = Date.parse(scenario.startTime);
  const state = new SimState({
    region: scenario.region,
    accountId: scenario.accountId,
    seed: scenario.seed,
    ipBase: scenario.ipBase,
    clock: () => new Date(t++),
  });
  for (const b of scenario.buckets) state.s3.createBucket(b);
  for (const o of scenario.objects) {
    state.s3.put(o.bucket, o.key, Buffer.from(o.body), {
      ...(o.contentType ? { contentType: o.contentType } : {}),
      ...(o.metadata ? { metadata: o.metadata } : {}),
    });
  }
  for (const [name, p] of Object.entries(scenario.parameters)) {
    const spec = typeof p === "string" ? { value: p, type: "String" as const, tier: "Standard" as const } : p;
    state.ssm.put({ name, value: spec.value, type: spec.type, tier: spec.tier });
  }
  const nsIds = new Map<string, string>();
  for (const ns of scenario.namespaces) {
    const input = {
      name: ns.name,
      type: ns.type,
      tags: ns.tags,
      creatorRequestId: `scenario-${ns.name}`,
      ...(ns.description ? { description: ns.description } : {}),
    };
    nsIds.set(ns.name, state.cloudMap.createNamespace(input).id);
  }
  for (const c of scenario.clusters) {
    state.ecs.createCluster(c.name);
    const hasEc2 = scenario.services.some((s) => s.cluster === c.name && s.launchType === "EC2");
    const spec = c.containerInstances ?? (hasEc2 ? 2 : 0);
    const list: ContainerInstanceInput[] = typeof spec === "number" ? Array.from({ length: spec }, () => ({})) : spec;
    for (const ci of list) state.ecs.addContainerInstance(c.name, ci);
  }
  for (const svc of scenario.services) {
    const networkMode = svc.networkMode ?? (svc.launchType === "FARGATE" ? "awsvpc" : "bridge");
    const tdSpec = svc.taskDefinition ?? { family: svc.name, revision: 1, containers: [{ name: svc.name, ports: [8080] }] };
    const family = tdSpec.family ?? svc.name;
    const td =
      state.ecs.taskDefinitions.get(`${family}:${tdSpec.revision}`) ??
      state.ecs.registerTaskDefinition({
        family,
        revision: tdSpec.revision,
        networkMode,
        launchType: svc.launchType,
        containers: tdSpec.containers.map((c) => ({ name: c.name, ports: c.ports, ...(c.image ? { image: c.image } : {}) })),
        ...(tdSpec.cpu ? { cpu: tdSpec.cpu } : {}),
        ...(tdSpec.memory ? { memory: tdSpec.memory } : {}),
      });
    let cloudMapServiceId: string | undefined;
    if (svc.namespace !== undefined) {
      cloudMapServiceId = state.cloudMap.createService({
        namespaceId: nsIds.get(svc.namespace)!,
        name: svc.cloudMapServiceName ?? svc.name,
        tags: svc.tags,
        healthCheckCustom: true,
        creatorRequestId: `ecs-${svc.cluster}-${svc.name}`,
      }).id;
    }
    state.ecs.createService({
      cluster: svc.cluster,
      name: svc.name,
      taskDefinitionArn: td.taskDefinitionArn!,
      desiredCount: svc.desiredCount,
      launchType: svc.launchType,
      taskHealth: svc.health,
      ...(cloudMapServiceId ? { cloudMapServiceId } : {}),
    });
    for (let i = 0; i < svc.desiredCount; i++) state.startTask(svc.cluster, svc.name);
  }
  for (const extra of scenario.extraCloudMapServices) {
    const s = state.cloudMap.createService({
      namespaceId: nsIds.get(extra.namespace)!,
      name: extra.name,
      tags: extra.tags,
      ...(extra.description ? { description: extra.description } : {}),
    });
    for (const inst of extra.instances) state.cloudMap.registerInstance(s.id, inst.id, inst.attributes, inst.health);
  }
  for (const c of scenario.rdsClusters) state.rds.addCluster(c);
  for (const i of scenario.rdsInstances) state.rds.addInstance(i);
  for (const c of scenario.cacheClusters) state.elastiCache.addCluster(c);
  state.cloudWatch.publicationDelayMs = scenario.cloudWatch.publicationDelaySeconds * 1000;
  state.setClock(opts.clock ?? (() => new Date()));
  return state;
}
