// AWS Cloud Map (servicediscovery, awsJson1_1, target Route53AutoNaming_v20170314):
// namespaces, services, instances, discovery, health, tags. Summaries follow the API
// reference (ListServices summaries carry no NamespaceId).
import { AwsError } from "../errors";
import type { CloudMapServiceRecord, NamespaceRecord } from "../model";
import type { SimState } from "../state";
import { defineJsonService, paginate, required, tagList, tagRecord } from "./json";
import type { HandlerContext } from "./types";

const LIST = { max: 100, errorCode: "InvalidInput" };

function namespaceProperties(ns: NamespaceRecord) {
  if (ns.type === "HTTP") return { DnsProperties: { SOA: {} }, HttpProperties: { HttpName: ns.name } };
  return { DnsProperties: { HostedZoneId: ns.hostedZoneId, SOA: { TTL: 15 } }, HttpProperties: { HttpName: ns.name } };
}

function namespaceSummary(state: SimState, ns: NamespaceRecord) {
  return {
    Id: ns.id,
    Arn: ns.arn,
    ResourceOwner: state.accountId,
    Name: ns.name,
    Type: ns.type,
    Description: ns.description,
    ServiceCount: state.cloudMap.serviceCount(ns.id),
    Properties: namespaceProperties(ns),
    CreateDate: ns.createDate,
  };
}

function serviceCommon(state: SimState, s: CloudMapServiceRecord) {
  const ns = state.cloudMap.namespaces.get(s.namespaceId);
  return {
    Id: s.id,
    Arn: s.arn,
    ResourceOwner: state.accountId,
    Name: s.name,
    Type: s.type,
    Description: s.description,
    InstanceCount: s.instances.size,
    // HTTP services answer an empty DnsConfig, as the API reference examples show.
    DnsConfig:
      ns && ns.type !== "HTTP" && s.type !== "HTTP"
        ? { NamespaceId: s.namespaceId, RoutingPolicy: "MULTIVALUE", DnsRecords: [{ Type: "A", TTL: s.dnsTtl }] }
        : {},
    HealthCheckCustomConfig: s.healthCheckCustom ? { FailureThreshold: 1 } : undefined,
    CreateDate: s.createDate,
  };
}

interface Filter {
  Name?: string;
  Values?: string[];
  Condition?: string;
}

function matches(filter: Filter, value: string): boolean {
  const values = filter.Values ?? [];
  switch (filter.Condition ?? "EQ") {
    case "EQ":
      if (values.length !== 1) throw new AwsError("InvalidInput", "Condition EQ takes exactly one value");
      return value === values[0];
    case "IN":
      return values.includes(value);
    case "BEGINS_WITH":
      return values.some((v) => value.startsWith(v));
    default:
      throw new AwsError("InvalidInput", `Unsupported filter condition: ${filter.Condition}`);
  }
}

const page = (ctx: HandlerContext, input: { MaxResults?: number; NextToken?: string }, items: unknown[]) =>
  paginate(items, input.NextToken, ctx.pageSize(input.MaxResults, LIST), "InvalidInput");

export const servicediscovery = defineJsonService({
  service: "servicediscovery",
  endpointEnvName: "SERVICEDISCOVERY",
  targetPrefix: "Route53AutoNaming_v20170314",
  operations: {
    ListNamespaces(input: { Filters?: Filter[]; MaxResults?: number; NextToken?: string }, ctx) {
      let items = [...ctx.state.cloudMap.namespaces.values()];
      for (const f of input.Filters ?? []) {
        const field = f.Name === "TYPE" ? "type" : f.Name === "NAME" || f.Name === "HTTP_NAME" ? "name" : f.Name === "RESOURCE_OWNER" ? "owner" : undefined;
        if (!field) throw new AwsError("InvalidInput", `Unsupported namespace filter: ${f.Name}`);
        items = items.filter((ns) => matches(f, field === "type" ? ns.type : field === "owner" ? ctx.state.accountId : ns.name));
      }
      const { page: p, nextToken } = page(ctx, input, items);
      return { Namespaces: p.map((ns) => namespaceSummary(ctx.state, ns as NamespaceRecord)), NextToken: nextToken };
    },
    GetNamespace(input: { Id?: string }, ctx) {
      const ns = ctx.state.cloudMap.namespace(required(input.Id, "Id", "InvalidInput"));
      return { Namespace: { ...namespaceSummary(ctx.state, ns), CreatorRequestId: ns.creatorRequestId } };
    },
    ListServices(input: { Filters?: Filter[]; MaxResults?: number; NextToken?: string }, ctx) {
      let items = [...ctx.state.cloudMap.services.values()];
      for (const f of input.Filters ?? []) {
        if (f.Name === "NAMESPACE_ID") items = items.filter((s) => matches(f, s.namespaceId));
        else if (f.Name === "RESOURCE_OWNER") items = items.filter(() => matches(f, ctx.state.accountId));
        else throw new AwsError("InvalidInput", `Unsupported service filter: ${f.Name}`);
      }
      const { page: p, nextToken } = page(ctx, input, items);
      return {
        Services: (p as CloudMapServiceRecord[]).map((s) => ({ ...serviceCommon(ctx.state, s), CreatedByAccount: ctx.state.accountId })),
        NextToken: nextToken,
      };
    },
    GetService(input: { Id?: string }, ctx) {
      const s = ctx.state.cloudMap.service(required(input.Id, "Id", "InvalidInput"));
      return {
        Service: { ...serviceCommon(ctx.state, s), NamespaceId: s.namespaceId, CreatorRequestId: s.creatorRequestId, CreatedByAccount: ctx.state.accountId },
      };
    },
    CreateService(
      input: {
        Name?: string;
        NamespaceId?: string;
        Description?: string;
        Tags?: { Key?: string; Value?: string }[];
        Type?: string;
        HealthCheckCustomConfig?: unknown;
        CreatorRequestId?: string;
        DnsConfig?: { NamespaceId?: string };
      },
      ctx,
    ) {
      const namespaceId = input.NamespaceId ?? input.DnsConfig?.NamespaceId;
      const s = ctx.state.cloudMap.createService({
        name: required(input.Name, "Name", "InvalidInput"),
        namespaceId: required(namespaceId, "NamespaceId", "InvalidInput"),
        ...(input.Description !== undefined ? { description: input.Description } : {}),
        ...(input.CreatorRequestId !== undefined ? { creatorRequestId: input.CreatorRequestId } : {}),
        ...(input.Type === "HTTP" ? { type: "HTTP" as const } : {}),
        tags: tagRecord(input.Tags),
        healthCheckCustom: input.HealthCheckCustomConfig !== undefined,
      });
      return { Service: { ...serviceCommon(ctx.state, s), NamespaceId: s.namespaceId, CreatorRequestId: s.creatorRequestId } };
    },
    DeleteService(input: { Id?: string }, ctx) {
      ctx.state.cloudMap.deleteService(required(input.Id, "Id", "InvalidInput"));
      return {};
    },
    ListTagsForResource(input: { ResourceARN?: string }, ctx) {
      return { Tags: tagList(ctx.state.cloudMap.tagsOf(required(input.ResourceARN, "ResourceARN", "InvalidInput"))) };
    },
    TagResource(input: { ResourceARN?: string; Tags?: { Key?: string; Value?: string }[] }, ctx) {
      ctx.state.cloudMap.tagResource(required(input.ResourceARN, "ResourceARN", "InvalidInput"), tagRecord(input.Tags));
      return {};
    },
    UntagResource(input: { ResourceARN?: string; TagKeys?: string[] }, ctx) {
      ctx.state.cloudMap.untagResource(required(input.ResourceARN, "ResourceARN", "InvalidInput"), input.TagKeys ?? []);
      return {};
    },
    ListInstances(input: { ServiceId?: string; MaxResults?: number; NextToken?: string }, ctx) {
      const s = ctx.state.cloudMap.service(required(input.ServiceId, "ServiceId", "InvalidInput"));
      const { page: p, nextToken } = page(ctx, input, [...s.instances.values()]);
      return {
        Instances: p.map((i) => ({
          Id: (i as { id: string }).id,
          Attributes: { ...(i as { attributes: Record<string, string> }).attributes },
          CreatedByAccount: ctx.state.accountId,
        })),
        NextToken: nextToken,
        ResourceOwner: ctx.state.accountId,
      };
    },
    GetInstance(input: { ServiceId?: string; InstanceId?: string }, ctx) {
      const s = ctx.state.cloudMap.service(required(input.ServiceId, "ServiceId", "InvalidInput"));
      const inst = s.instances.get(required(input.InstanceId, "InstanceId", "InvalidInput"));
      if (!inst) throw new AwsError("InstanceNotFound", `Instance ${input.InstanceId} not found`);
      return { Instance: { Id: inst.id, Attributes: { ...inst.attributes }, CreatedByAccount: ctx.state.accountId }, ResourceOwner: ctx.state.accountId };
    },
    DiscoverInstances(
      input: {
        NamespaceName?: string;
        ServiceName?: string;
        MaxResults?: number;
        HealthStatus?: string;
        QueryParameters?: Record<string, string>;
        OptionalParameters?: Record<string, string>;
      },
      ctx,
    ) {
      const ns = ctx.state.cloudMap.namespaceByName(required(input.NamespaceName, "NamespaceName", "InvalidInput"));
      const s = ctx.state.cloudMap.serviceByName(ns.id, required(input.ServiceName, "ServiceName", "InvalidInput"));
      // No NextToken here: at most MaxResults (default 100) instances, as AWS answers.
      const limit = ctx.pageSize(input.MaxResults, { max: 1000, default: 100, errorCode: "InvalidInput", wildcard: false });
      let items = [...s.instances.values()].filter((i) => Object.entries(input.QueryParameters ?? {}).every(([k, v]) => i.attributes[k] === v));
      const optional = Object.entries(input.OptionalParameters ?? {});
      if (optional.length > 0) {
        const narrowed = items.filter((i) => optional.every(([k, v]) => i.attributes[k] === v));
        if (narrowed.length > 0) items = narrowed;
      }
      const filter = input.HealthStatus ?? "ALL";
      if (s.healthCheckCustom && filter !== "ALL") {
        const healthy = items.filter((i) => i.health === "HEALTHY");
        if (filter === "HEALTHY") items = healthy;
        else if (filter === "UNHEALTHY") items = items.filter((i) => i.health === "UNHEALTHY");
        else if (filter === "HEALTHY_OR_ELSE_ALL") items = healthy.length > 0 ? healthy : items;
        else throw new AwsError("InvalidInput", `Invalid HealthStatus: ${filter}`);
      }
      return {
        Instances: items.slice(0, limit).map((i) => ({
          InstanceId: i.id,
          NamespaceName: ns.name,
          ServiceName: s.name,
          HealthStatus: s.healthCheckCustom ? i.health : "UNKNOWN",
          Attributes: { ...i.attributes },
        })),
        InstancesRevision: s.revision,
      };
    },
    DiscoverInstancesRevision(input: { NamespaceName?: string; ServiceName?: string }, ctx) {
      const ns = ctx.state.cloudMap.namespaceByName(required(input.NamespaceName, "NamespaceName", "InvalidInput"));
      const s = ctx.state.cloudMap.serviceByName(ns.id, required(input.ServiceName, "ServiceName", "InvalidInput"));
      return { InstancesRevision: s.revision };
    },
    GetInstancesHealthStatus(input: { ServiceId?: string; Instances?: string[]; MaxResults?: number; NextToken?: string }, ctx) {
      const s = ctx.state.cloudMap.service(required(input.ServiceId, "ServiceId", "InvalidInput"));
      const ids = input.Instances ?? [...s.instances.keys()];
      for (const id of ids) if (!s.instances.has(id)) throw new AwsError("InstanceNotFound", `Instance ${id} not found`);
      const { page: p, nextToken } = page(ctx, input, ids);
      const Status: Record<string, string> = {};
      for (const id of p as string[]) Status[id] = s.healthCheckCustom ? s.instances.get(id)!.health : "UNKNOWN";
      return { Status, NextToken: nextToken };
    },
    RegisterInstance(input: { ServiceId?: string; InstanceId?: string; Attributes?: Record<string, string>; CreatorRequestId?: string }, ctx) {
      const attributes = required(input.Attributes, "Attributes", "InvalidInput");
      if (Object.keys(attributes).length > 30) throw new AwsError("InvalidInput", "At most 30 attributes");
      const svc = ctx.state.cloudMap.service(required(input.ServiceId, "ServiceId", "InvalidInput"));
      const instanceId = required(input.InstanceId, "InstanceId", "InvalidInput");
      ctx.state.cloudMap.registerInstance(svc.id, instanceId, attributes);
      return { OperationId: ctx.state.cloudMap.recordOperation("REGISTER_INSTANCE", svc.id, instanceId) };
    },
    DeregisterInstance(input: { ServiceId?: string; InstanceId?: string }, ctx) {
      const svc = ctx.state.cloudMap.service(required(input.ServiceId, "ServiceId", "InvalidInput"));
      const instanceId = required(input.InstanceId, "InstanceId", "InvalidInput");
      ctx.state.cloudMap.deregisterInstance(svc.id, instanceId);
      return { OperationId: ctx.state.cloudMap.recordOperation("DEREGISTER_INSTANCE", svc.id, instanceId) };
    },
    UpdateInstanceCustomHealthStatus(input: { ServiceId?: string; InstanceId?: string; Status?: "HEALTHY" | "UNHEALTHY" }, ctx) {
      const s = ctx.state.cloudMap.service(required(input.ServiceId, "ServiceId", "InvalidInput"));
      if (!s.healthCheckCustom) throw new AwsError("CustomHealthNotFound", `Service ${s.id} has no custom health check`);
      ctx.state.cloudMap.setInstanceHealth(s.id, required(input.InstanceId, "InstanceId", "InvalidInput"), required(input.Status, "Status", "InvalidInput"));
      return {};
    },
    GetOperation(input: { OperationId?: string }, ctx) {
      const id = required(input.OperationId, "OperationId", "InvalidInput");
      const op = ctx.state.cloudMap.operations.get(id);
      if (!op) throw new AwsError("OperationNotFound", `Operation ${id} not found`);
      return {
        Operation: {
          Id: id,
          Type: op.type,
          Status: "SUCCESS",
          CreateDate: op.time,
          UpdateDate: op.time,
          Targets: { SERVICE: op.serviceId, INSTANCE: op.instanceId },
        },
      };
    },
  },
});
