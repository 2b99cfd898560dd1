// Cloud Map part of the account: namespaces, services, their tags and instances, and
// the per-service revision that DiscoverInstancesRevision reports. Mutations throw
// AwsError with Cloud Map's own error codes so API handlers can pass them through.
import { AwsError } from "../errors";
import { arns, type ArnContext, type IdSource } from "../ids";
import type { CloudMapChange, CloudMapServiceRecord, InstanceHealth, InstanceRecord, NamespaceRecord, NamespaceType } from "../model";

export interface CreateNamespaceInput {
  name: string;
  type: NamespaceType;
  description?: string;
  tags?: Record<string, string>;
  creatorRequestId?: string;
}

export interface CreateCloudMapServiceInput {
  namespaceId: string;
  name: string;
  description?: string;
  tags?: Record<string, string>;
  type?: CloudMapServiceRecord["type"];
  healthCheckCustom?: boolean;
  dnsTtl?: number;
  creatorRequestId?: string;
}

export class CloudMapStore {
  readonly namespaces = new Map<string, NamespaceRecord>();
  readonly services = new Map<string, CloudMapServiceRecord>();
  /** Asynchronous-operation ids handed out by RegisterInstance/DeregisterInstance. */
  readonly operations = new Map<string, { type: "REGISTER_INSTANCE" | "DEREGISTER_INSTANCE"; serviceId: string; instanceId: string; time: Date }>();
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

  createNamespace(input: CreateNamespaceInput): NamespaceRecord {
    for (const ns of this.namespaces.values()) {
      if (ns.name === input.name) throw new AwsError("NamespaceAlreadyExists", `Namespace ${input.name} already exists`);
    }
    const id = this.ids.cloudMap("ns-");
    const ns: NamespaceRecord = {
      id,
      arn: arns.namespace(this.ctx, id),
      name: input.name,
      type: input.type,
      createDate: this.now(),
      tags: { ...(input.tags ?? {}) },
    };
    if (input.description !== undefined) ns.description = input.description;
    if (input.creatorRequestId !== undefined) ns.creatorRequestId = input.creatorRequestId;
    if (input.type !== "HTTP") ns.hostedZoneId = `Z${this.ids.hex32("hosted-zone").slice(0, 20).toUpperCase()}`;
    this.namespaces.set(id, ns);
    return ns;
  }

  /** By id or ARN. */
  namespace(ref: string): NamespaceRecord {
    const id = ref.startsWith("arn:") ? ref.slice(ref.lastIndexOf("/") + 1) : ref;
    const ns = this.namespaces.get(id);
    if (!ns) throw new AwsError("NamespaceNotFound", `Namespace not found: ${ref}`);
    return ns;
  }

  /** By name (the HttpName, which equals the name here), as DiscoverInstances looks it up. */
  namespaceByName(name: string): NamespaceRecord {
    for (const ns of this.namespaces.values()) if (ns.name === name) return ns;
    throw new AwsError("NamespaceNotFound", `Namespace not found: ${name}`);
  }

  createService(input: CreateCloudMapServiceInput): CloudMapServiceRecord {
    const ns = this.namespace(input.namespaceId);
    for (const s of this.services.values()) {
      if (s.namespaceId === ns.id && s.name === input.name) {
        throw new AwsError("ServiceAlreadyExists", `Service ${input.name} already exists in namespace ${ns.id}`);
      }
    }
    const id = this.ids.cloudMap("srv-");
    const svc: CloudMapServiceRecord = {
      id,
      arn: arns.cloudMapService(this.ctx, id),
      name: input.name,
      namespaceId: ns.id,
      type: input.type ?? (ns.type === "HTTP" ? "HTTP" : "DNS_HTTP"),
      createDate: this.now(),
      tags: { ...(input.tags ?? {}) },
      healthCheckCustom: input.healthCheckCustom ?? false,
      dnsTtl: input.dnsTtl ?? 60,
      instances: new Map(),
      revision: 1,
    };
    if (input.description !== undefined) svc.description = input.description;
    if (input.creatorRequestId !== undefined) svc.creatorRequestId = input.creatorRequestId;
    this.services.set(id, svc);
    this.emit("CreateService", svc);
    return svc;
  }

  /** By id or ARN. */
  service(ref: string): CloudMapServiceRecord {
    const id = ref.startsWith("arn:") ? ref.slice(ref.lastIndexOf("/") + 1) : ref;
    const svc = this.services.get(id);
    if (!svc) throw new AwsError("ServiceNotFound", `Service not found: ${ref}`);
    return svc;
  }

  serviceByName(namespaceId: string, name: string): CloudMapServiceRecord {
    for (const s of this.services.values()) if (s.namespaceId === namespaceId && s.name === name) return s;
    throw new AwsError("ServiceNotFound", `Service not found: ${name} in namespace ${namespaceId}`);
  }

  deleteService(ref: string): void {
    const svc = this.service(ref);
    if (svc.instances.size > 0) {
      throw new AwsError("ResourceInUse", `Service ${svc.id} has ${svc.instances.size} registered instances`);
    }
    this.services.delete(svc.id);
    this.emit("DeleteService", svc);
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
    svc.revision += 1;
    this.emit("RegisterInstance", svc, instanceId);
    return inst;
  }

  deregisterInstance(serviceRef: string, instanceId: string): void {
    const svc = this.service(serviceRef);
    if (!svc.instances.delete(instanceId)) {
      throw new AwsError("InstanceNotFound", `Instance ${instanceId} not found in service ${svc.id}`);
    }
    svc.revision += 1;
    this.emit("DeregisterInstance", svc, instanceId);
  }

  recordOperation(type: "REGISTER_INSTANCE" | "DEREGISTER_INSTANCE", serviceId: string, instanceId: string): string {
    const id = this.ids.hex32("operation");
    this.operations.set(id, { type, serviceId, instanceId, time: this.now() });
    return id;
  }

  setInstanceHealth(serviceRef: string, instanceId: string, health: InstanceHealth): void {
    const svc = this.service(serviceRef);
    const inst = svc.instances.get(instanceId);
    if (!inst) throw new AwsError("InstanceNotFound", `Instance ${instanceId} not found in service ${svc.id}`);
    if (inst.health === health) return;
    inst.health = health;
    svc.revision += 1;
    this.emit("UpdateInstanceCustomHealthStatus", svc, instanceId);
  }

  private taggable(arn: string): { tags: Record<string, string>; svc?: CloudMapServiceRecord } {
    const id = arn.slice(arn.lastIndexOf("/") + 1);
    const svc = /:servicediscovery:[^:]*:[^:]*:service\//.test(arn) ? this.services.get(id) : undefined;
    if (svc) return { tags: svc.tags, svc };
    const ns = /:servicediscovery:[^:]*:[^:]*:namespace\//.test(arn) ? this.namespaces.get(id) : undefined;
    if (ns) return { tags: ns.tags };
    throw new AwsError("ResourceNotFoundException", `Resource not found: ${arn}`);
  }

  tagsOf(arn: string): Record<string, string> {
    return { ...this.taggable(arn).tags };
  }

  tagResource(arn: string, tags: Record<string, string>): void {
    const t = this.taggable(arn);
    Object.assign(t.tags, tags);
    if (t.svc) this.emit("TagResource", t.svc);
  }

  untagResource(arn: string, keys: string[]): void {
    const t = this.taggable(arn);
    for (const k of keys) delete t.tags[k];
    if (t.svc) this.emit("UntagResource", t.svc);
  }

  /** Replaces (or merges into) a service's tags, emitting one change. */
  setTags(serviceRef: string, tags: Record<string, string>, replace: boolean): void {
    const svc = this.service(serviceRef);
    if (replace) for (const k of Object.keys(svc.tags)) delete svc.tags[k];
    Object.assign(svc.tags, tags);
    this.emit("TagResource", svc);
  }
}
