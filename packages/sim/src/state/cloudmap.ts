// Cloud Map part of the account: namespaces, services, their tags, instances and the
// instances' health. Every mutation is reported to onChange listeners (the EventBridge
// emitter's CloudTrail events). Lookups and mutations throw AwsError with Cloud Map's
// own error codes so API handlers can pass them through.
import { AwsError } from "../errors";
import { arnTail, arns, type ArnContext, type IdSource } from "../ids";
import type { CloudMapChange, CloudMapServiceRecord, InstanceHealth, InstanceRecord, NamespaceRecord, NamespaceType } from "../model";

/** What namespaces and services are both created with. */
interface CloudMapResourceInput {
  name: string;
  description?: string;
  tags?: Record<string, string>;
  creatorRequestId?: string;
}

export interface CreateNamespaceInput extends CloudMapResourceInput {
  type: NamespaceType;
}

export interface CreateCloudMapServiceInput extends CloudMapResourceInput {
  namespaceId: string;
  type?: CloudMapServiceRecord["type"];
  healthCheckCustom?: boolean;
  dnsTtl?: number;
}

export class CloudMapStore {
  readonly namespaces = new Map<string, NamespaceRecord>();
  readonly services = new Map<string, CloudMapServiceRecord>();
  private readonly listeners = new Set<(c: CloudMapChange) => void>();

  constructor(
    private readonly ctx: ArnContext,
    private readonly ids: IdSource,
    private readonly now: () => Date,
  ) {}

  onChange(listener: (c: CloudMapChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(action: CloudMapChange["action"], svc: CloudMapServiceRecord, instanceId?: string): void {
    const change: CloudMapChange = { action, serviceId: svc.id, serviceArn: svc.arn, time: this.now() };
    if (instanceId !== undefined) change.instanceId = instanceId;
    for (const l of this.listeners) l(change);
  }

  /** The fields a new namespace or service shares: a new id and its ARN, name, creation date, tags, description, creator request id. */
  private newResource(prefix: "ns-" | "srv-", arnOf: (ctx: ArnContext, id: string) => string, input: CloudMapResourceInput) {
    const id = this.ids.cloudMap(prefix);
    return {
      id,
      arn: arnOf(this.ctx, id),
      name: input.name,
      createDate: this.now(),
      tags: { ...(input.tags ?? {}) },
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.creatorRequestId !== undefined ? { creatorRequestId: input.creatorRequestId } : {}),
    };
  }

  createNamespace(input: CreateNamespaceInput): NamespaceRecord {
    for (const ns of this.namespaces.values()) {
      if (ns.name === input.name) throw new AwsError("NamespaceAlreadyExists", `Namespace ${input.name} already exists`);
    }
    const ns: NamespaceRecord = { ...this.newResource("ns-", arns.namespace, input), type: input.type };
    if (input.type !== "HTTP") ns.hostedZoneId = `Z${this.ids.hex32("hosted-zone").slice(0, 20).toUpperCase()}`;
    this.namespaces.set(ns.id, ns);
    return ns;
  }

  /** By id or ARN. */
  namespace(ref: string): NamespaceRecord {
    return byRef(this.namespaces, ref, "NamespaceNotFound", "Namespace");
  }

  createService(input: CreateCloudMapServiceInput): CloudMapServiceRecord {
    const ns = this.namespace(input.namespaceId);
    for (const s of this.services.values()) {
      if (s.namespaceId === ns.id && s.name === input.name) {
        throw new AwsError("ServiceAlreadyExists", `Service ${input.name} already exists in namespace ${ns.id}`);
      }
    }
    const svc: CloudMapServiceRecord = {
      ...this.newResource("srv-", arns.cloudMapService, input),
      namespaceId: ns.id,
      type: input.type ?? (ns.type === "HTTP" ? "HTTP" : "DNS_HTTP"),
      healthCheckCustom: input.healthCheckCustom ?? false,
      dnsTtl: input.dnsTtl ?? 60,
      instances: new Map(),
    };
    this.services.set(svc.id, svc);
    this.emit("CreateService", svc);
    return svc;
  }

  /** By id or ARN. */
  service(ref: string): CloudMapServiceRecord {
    return byRef(this.services, ref, "ServiceNotFound", "Service");
  }

  serviceCount(namespaceId: string): number {
    let n = 0;
    for (const s of this.services.values()) if (s.namespaceId === namespaceId) n++;
    return n;
  }

  registerInstance(serviceRef: string, instanceId: string, attributes: Record<string, string>, health: InstanceHealth = "HEALTHY"): InstanceRecord {
    const svc = this.service(serviceRef);
    const inst: InstanceRecord = { id: instanceId, attributes: { ...attributes }, health };
    svc.instances.set(instanceId, inst);
    this.emit("RegisterInstance", svc, instanceId);
    return inst;
  }

  deregisterInstance(serviceRef: string, instanceId: string): void {
    const svc = this.service(serviceRef);
    if (!svc.instances.delete(instanceId)) {
      throw new AwsError("InstanceNotFound", `Instance ${instanceId} not found in service ${svc.id}`);
    }
    this.emit("DeregisterInstance", svc, instanceId);
  }

  setInstanceHealth(serviceRef: string, instanceId: string, health: InstanceHealth): void {
    const svc = this.service(serviceRef);
    const inst = svc.instances.get(instanceId);
    if (!inst) throw new AwsError("InstanceNotFound", `Instance ${instanceId} not found in service ${svc.id}`);
    if (inst.health === health) return;
    inst.health = health;
    this.emit("UpdateInstanceCustomHealthStatus", svc, instanceId);
  }

  /** The tags of a service or namespace, by ARN (ListTagsForResource). */
  tagsOf(arn: string): Record<string, string> {
    const id = arn.slice(arn.lastIndexOf("/") + 1);
    const kind = /:servicediscovery:[^:]*:[^:]*:(service|namespace)\//.exec(arn)?.[1];
    const rec = kind === "service" ? this.services.get(id) : kind === "namespace" ? this.namespaces.get(id) : undefined;
    if (!rec) throw new AwsError("ResourceNotFoundException", `Resource not found: ${arn}`);
    return { ...rec.tags };
  }

  /** Replaces (or merges into) a service's tags, emitting one change. */
  setTags(serviceRef: string, tags: Record<string, string>, replace: boolean): void {
    const svc = this.service(serviceRef);
    if (replace) for (const k of Object.keys(svc.tags)) delete svc.tags[k];
    Object.assign(svc.tags, tags);
    this.emit("TagResource", svc);
  }
}

/** A namespace or service by id or ARN; a missing one is `code` (NamespaceNotFound, ServiceNotFound). */
function byRef<T>(records: Map<string, T>, ref: string, code: string, what: string): T {
  const rec = records.get(arnTail(ref));
  if (!rec) throw new AwsError(code, `${what} not found: ${ref}`);
  return rec;
}
