// A faithful re-implementation of the old sidecar's reload (prometheus-sdconfig-reloader,
// aws-samples/prometheus-for-ecs, pkg/aws/cloudmap.go + cmd/main.go), the baseline of the
// benchmarks. Every 30 s (CONFIG_RELOAD_FREQUENCY) it does, serially:
//   ssm GetParameter (the namespace names to scan)
//   ListNamespaces, filter TYPE = DNS_PRIVATE, first page only
//   per selected namespace: ListServices (NAMESPACE_ID filter), first page only
//   per service: ListTagsForResource, then ListInstances (first page only)
// and writes the result to ecs-services.json (it also writes `[]` at every start).
// Targets: AWS_INSTANCE_IPV4:METRICS_PORT (the tag verbatim, or AWS_INSTANCE_PORT, or 80)
// when METRICS_PATH is tagged, plus AWS_INSTANCE_IPV4:ECS_METRICS_PORT when both
// ECS_METRICS_* tags are; labels cluster, service, taskdefinition (family), instance = the
// IP alone (shared by a task's app and infra targets) and __metrics_path__.
// Errors, as the Go code handles them: a failed GetParameter, ListNamespaces or ListServices
// leaves no service at all, so it writes `[]`; a failed ListTagsForResource dereferences a
// nil output and the process panics, and the restarted container writes `[]`; a failed
// ListInstances drops that one service. The Go SDK v1 default retryer makes 4 attempts.
import {
  ListInstancesCommand,
  ListNamespacesCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  ServiceDiscoveryClient,
} from "@aws-sdk/client-servicediscovery";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";

export const OLD_INTERVAL_SECONDS = 30;
export const NAMESPACES_PARAMETER = "ECS-ServiceDiscovery-Namespaces";

export interface OldGroup {
  targets: string[];
  labels: Record<string, string>;
}

export interface OldReload {
  /** What it writes to ecs-services.json. */
  json: string;
  groups: OldGroup[];
  /** AWS calls made (attempts are counted by the simulator, not here). */
  calls: number;
  /** Why it wrote `[]` or dropped a service, when it did. */
  errors: string[];
  /** It panicked (ListTagsForResource failed): the restart writes `[]`. */
  crashed: boolean;
  /** Cloud Map services it looked at (first pages only), by namespace name. */
  services: Map<string, string[]>;
  durationMs: number;
}

export interface OldClients {
  servicediscovery: ServiceDiscoveryClient;
  ssm: SSMClient;
}

/** Clients as the Go SDK v1 defaults behave: 4 attempts, standard backoff. */
export function oldClients(config: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } }): OldClients {
  const base = { ...config, maxAttempts: 4, retryMode: "standard" as const };
  return { servicediscovery: new ServiceDiscoveryClient({ ...base, disableHostPrefix: true }), ssm: new SSMClient(base) };
}

/** Go's json.MarshalIndent(x, "", "   ") of the groups (map keys sorted, empty targets omitted). */
function marshal(groups: OldGroup[]): string {
  if (groups.length === 0) return "[]";
  const sorted = groups.map((g) => ({
    ...(g.targets.length ? { targets: g.targets } : {}),
    labels: Object.fromEntries(Object.entries(g.labels).sort(([a], [b]) => (a < b ? -1 : 1))),
  }));
  return JSON.stringify(sorted, null, 3);
}

function endpoint(attrs: Record<string, string>, port: string, path: string): OldGroup | undefined {
  const address = attrs.AWS_INSTANCE_IPV4;
  if (address === undefined) return undefined; // "Cannot find IP address": logged, skipped
  const labels: Record<string, string> = {};
  if (attrs.ECS_CLUSTER_NAME !== undefined) labels.cluster = attrs.ECS_CLUSTER_NAME;
  if (attrs.ECS_SERVICE_NAME !== undefined) labels.service = attrs.ECS_SERVICE_NAME;
  if (attrs.ECS_TASK_DEFINITION_FAMILY !== undefined) labels.taskdefinition = attrs.ECS_TASK_DEFINITION_FAMILY;
  labels.instance = address;
  labels.__metrics_path__ = path;
  return { targets: [`${address}:${port}`], labels };
}

/** One reload of the old sidecar over `namespaceNames` (the SSM parameter's value is read too). */
export async function oldReload(clients: OldClients, parameterName = NAMESPACES_PARAMETER): Promise<OldReload> {
  const started = performance.now();
  const out: OldReload = { json: "[]", groups: [], calls: 0, errors: [], crashed: false, services: new Map(), durationMs: 0 };
  const sd = clients.servicediscovery;
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    out.calls += 1;
    return fn();
  };
  const done = () => {
    out.json = out.crashed ? "[]" : marshal(out.groups);
    if (out.crashed) out.groups = [];
    out.durationMs = performance.now() - started;
    return out;
  };
  let selected: string[];
  try {
    const p = await call(() => clients.ssm.send(new GetParameterCommand({ Name: parameterName })));
    selected = (p.Parameter?.Value ?? "").split(",");
  } catch (err) {
    out.errors.push(`ssm:GetParameter: ${(err as Error).name}`);
    return done();
  }
  const namespaces = new Map<string, string>();
  try {
    const res = await call(() => sd.send(new ListNamespacesCommand({ Filters: [{ Name: "TYPE", Values: ["DNS_PRIVATE"], Condition: "EQ" }] })));
    for (const n of res.Namespaces ?? []) namespaces.set(n.Name!, n.Id!);
  } catch (err) {
    out.errors.push(`ListNamespaces: ${(err as Error).name}`);
    return done(); // no namespace, no service: `[]`
  }
  const services: { id: string; arn: string; name: string; namespace: string }[] = [];
  for (const name of selected) {
    const id = namespaces.get(name);
    if (id === undefined) continue;
    try {
      const res = await call(() => sd.send(new ListServicesCommand({ Filters: [{ Name: "NAMESPACE_ID", Values: [id], Condition: "EQ" }] })));
      for (const s of res.Services ?? []) services.push({ id: s.Id!, arn: s.Arn!, name: s.Name!, namespace: name });
    } catch (err) {
      out.errors.push(`ListServices ${name}: ${(err as Error).name}`);
      return done(); // getServices returns nil: every service is dropped, `[]`
    }
  }
  for (const svc of services) {
    out.services.set(svc.namespace, [...(out.services.get(svc.namespace) ?? []), svc.name]);
    let tags: Record<string, string>;
    try {
      const res = await call(() => sd.send(new ListTagsForResourceCommand({ ResourceARN: svc.arn })));
      tags = Object.fromEntries((res.Tags ?? []).map((t) => [t.Key!, t.Value ?? ""]));
    } catch (err) {
      out.errors.push(`ListTagsForResource ${svc.name}: ${(err as Error).name} (nil dereference: panic, restart writes [])`);
      out.crashed = true;
      return done();
    }
    let instances: Record<string, string>[];
    try {
      const res = await call(() => sd.send(new ListInstancesCommand({ ServiceId: svc.id })));
      instances = (res.Instances ?? []).map((i) => i.Attributes ?? {});
    } catch (err) {
      out.errors.push(`ListInstances ${svc.name}: ${(err as Error).name} (service dropped)`);
      continue;
    }
    for (const attrs of instances) {
      if (tags.METRICS_PATH !== undefined) {
        const g = endpoint(attrs, tags.METRICS_PORT ?? attrs.AWS_INSTANCE_PORT ?? "80", tags.METRICS_PATH);
        if (g) out.groups.push(g);
      }
      if (tags.ECS_METRICS_PATH !== undefined && tags.ECS_METRICS_PORT !== undefined) {
        const g = endpoint(attrs, tags.ECS_METRICS_PORT, tags.ECS_METRICS_PATH);
        if (g) out.groups.push(g);
      }
    }
  }
  return done();
}

/** `instance` label values shared by more than one target (app and infra endpoints of a task, bridge tasks of a host). */
export function instanceCollisions(groups: OldGroup[]): { labels: number; targets: number } {
  const by = new Map<string, Set<string>>();
  for (const g of groups)
    for (const t of g.targets) by.set(g.labels.instance ?? "", (by.get(g.labels.instance ?? "") ?? new Set()).add(`${t}${g.labels.__metrics_path__ ?? ""}`));
  const shared = [...by.values()].filter((s) => s.size > 1);
  return { labels: shared.length, targets: shared.reduce((a, s) => a + s.size, 0) };
}
