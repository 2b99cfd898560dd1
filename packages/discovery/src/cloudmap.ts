// The one reader of AWS Cloud Map: namespaces, services and instances, every page. A full
// discovery lists everything (discover.ts); an event refreshes one service by id
// (lookups.ts); both read a service's contents with readServiceContents, so the two can
// never disagree on what a service holds: its tags, and its instances when it opted in
// (the port tag). Errors propagate; a failure while reading a service's contents is a
// DiscoveryError naming the operation and the service, its `cause` the SDK's error.
import {
  GetNamespaceCommand,
  GetServiceCommand,
  ListTagsForResourceCommand,
  paginateListInstances,
  paginateListNamespaces,
  paginateListServices,
  type Service,
  type ServiceDiscoveryClient,
} from "@aws-sdk/client-servicediscovery";
import {
  DiscoveryError,
  errorLine,
  isNotFound,
  type CloudMapInstance,
  type CloudMapNamespace,
  type CloudMapService,
  type TagNames,
} from "@scrape-reconciler/core";

/** The largest page Cloud Map's list operations return. */
export const CLOUDMAP_PAGE = 100;

/** Called once per AWS call (the event path counts its reads). */
export type CallCounter = () => void;
const uncounted: CallCounter = () => {};

/** "arn:aws:servicediscovery:...:service/srv-abc" -> "srv-abc". */
export function serviceIdFromArn(arn: string): string | undefined {
  const m = /:service\/(srv-[a-z0-9]+)$/.exec(arn);
  return m?.[1];
}

function selected(filter: string[] | undefined, ...names: (string | undefined)[]): boolean {
  return !filter || names.some((n) => n !== undefined && filter.includes(n));
}

/** Every namespace (all three types), or those named in `filter` by id, name or ARN. */
export async function listNamespaces(sd: ServiceDiscoveryClient, filter?: string[]): Promise<CloudMapNamespace[]> {
  const out: CloudMapNamespace[] = [];
  try {
    for await (const page of paginateListNamespaces({ client: sd, pageSize: CLOUDMAP_PAGE }, {})) {
      for (const n of page.Namespaces ?? []) {
        if (!n.Id || !n.Name) continue;
        if (!selected(filter, n.Id, n.Name, n.Arn)) continue;
        out.push({ id: n.Id, name: n.Name, arn: n.Arn, type: n.Type ?? "UNKNOWN" });
      }
    }
  } catch (err) {
    throw new DiscoveryError("servicediscovery:ListNamespaces", `listing Cloud Map namespaces failed: ${errorLine(err)}`, err);
  }
  return out;
}

/** Every service of one namespace (without tags). */
export async function listServices(sd: ServiceDiscoveryClient, ns: CloudMapNamespace): Promise<Omit<CloudMapService, "tags">[]> {
  const out: Omit<CloudMapService, "tags">[] = [];
  const input = { Filters: [{ Name: "NAMESPACE_ID" as const, Values: [ns.id], Condition: "EQ" as const }] };
  for await (const page of paginateListServices({ client: sd, pageSize: CLOUDMAP_PAGE }, input)) {
    for (const s of page.Services ?? []) {
      if (s.Id && s.Arn && s.Name) out.push({ id: s.Id, arn: s.Arn, name: s.Name, namespaceId: ns.id, namespaceName: ns.name });
    }
  }
  return out;
}

export interface ServiceContents {
  tags: Record<string, string>;
  /** Every instance, when the service opted in (has the port tag); undefined otherwise. */
  instances: CloudMapInstance[] | undefined;
}

async function step<T>(operation: string, svc: { id: string; name?: string }, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new DiscoveryError(operation, `${operation} of Cloud Map service ${svc.name ?? svc.id} failed: ${errorLine(err)}`, err);
  }
}

/** A service's tags, then, when it opted in, every page of its instances. */
export async function readServiceContents(
  sd: ServiceDiscoveryClient,
  svc: { id: string; arn: string; name?: string },
  tagNames: TagNames,
  count: CallCounter = uncounted,
  /** The service's tags as the caller knows them (a full reconcile's, not due to be read again): no ListTagsForResource. */
  knownTags?: Record<string, string>,
): Promise<ServiceContents> {
  const tags =
    knownTags ??
    (await step("servicediscovery:ListTagsForResource", svc, async () => {
      count();
      const res = await sd.send(new ListTagsForResourceCommand({ ResourceARN: svc.arn }));
      const out: Record<string, string> = {};
      for (const t of res.Tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? "";
      return out;
    }));
  if (tags[tagNames.port] === undefined) return { tags, instances: undefined };
  const instances = await step("servicediscovery:ListInstances", svc, async () => {
    const out: CloudMapInstance[] = [];
    for await (const page of paginateListInstances({ client: sd, pageSize: CLOUDMAP_PAGE }, { ServiceId: svc.id })) {
      count();
      for (const i of page.Instances ?? []) if (i.Id) out.push({ id: i.Id, attributes: { ...(i.Attributes ?? {}) } });
    }
    return out;
  });
  return { tags, instances };
}

export interface ReadService {
  namespace: CloudMapNamespace;
  service: CloudMapService;
  contents: ServiceContents;
}

/**
 * One service by id, as a full discovery would see it: the service, its namespace (from
 * `namespaces` when known, else GetNamespace) and its contents. null when it no longer exists.
 */
export async function readService(
  sd: ServiceDiscoveryClient,
  serviceId: string,
  namespaces: Readonly<Record<string, CloudMapNamespace>>,
  tagNames: TagNames,
  count: CallCounter = uncounted,
): Promise<ReadService | null> {
  let svc: Service | undefined;
  try {
    count();
    svc = (await sd.send(new GetServiceCommand({ Id: serviceId }))).Service;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
  if (!svc?.Id || !svc.Arn || !svc.Name || !svc.NamespaceId) {
    throw new DiscoveryError("servicediscovery:GetService", `GetService ${serviceId} returned no service`);
  }
  let namespace = namespaces[svc.NamespaceId];
  if (!namespace) {
    count();
    const ns = (await sd.send(new GetNamespaceCommand({ Id: svc.NamespaceId }))).Namespace;
    namespace = { id: svc.NamespaceId, name: ns?.Name ?? svc.NamespaceId, arn: ns?.Arn, type: ns?.Type ?? "UNKNOWN" };
  }
  const contents = await readServiceContents(sd, { id: svc.Id, arn: svc.Arn, name: svc.Name }, tagNames, count);
  const service = { id: svc.Id, arn: svc.Arn, name: svc.Name, namespaceId: svc.NamespaceId, namespaceName: namespace.name, tags: contents.tags };
  return { namespace, service, contents };
}
