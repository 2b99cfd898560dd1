// AWS Cloud Map (servicediscovery, awsJson1_1, target Route53AutoNaming_v20170314), the
// reads the reconciler makes: ListNamespaces, GetNamespace, ListServices, GetService,
// ListInstances and ListTagsForResource, with NextToken paging. Summaries follow the API
// reference (ListServices summaries carry no NamespaceId). Registrations change through
// the state API (ECS task lifecycles, SimState.registerInstance), not through this API.
import { AwsError } from "../errors";
import type { CloudMapServiceRecord, NamespaceRecord } from "../model";
import type { SimState } from "../state";
import { defineJsonService, required, tagList } from "./json";
import { paginate } from "./paging";
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

const page = <T>(ctx: HandlerContext, input: { MaxResults?: number; NextToken?: string }, items: T[]) =>
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
      return { Namespaces: p.map((ns) => namespaceSummary(ctx.state, ns)), NextToken: nextToken };
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
        Services: p.map((s) => ({ ...serviceCommon(ctx.state, s), CreatedByAccount: ctx.state.accountId })),
        NextToken: nextToken,
      };
    },
    GetService(input: { Id?: string }, ctx) {
      const s = ctx.state.cloudMap.service(required(input.Id, "Id", "InvalidInput"));
      return {
        Service: { ...serviceCommon(ctx.state, s), NamespaceId: s.namespaceId, CreatorRequestId: s.creatorRequestId, CreatedByAccount: ctx.state.accountId },
      };
    },
    ListTagsForResource(input: { ResourceARN?: string }, ctx) {
      return { Tags: tagList(ctx.state.cloudMap.tagsOf(required(input.ResourceARN, "ResourceARN", "InvalidInput"))) };
    },
    ListInstances(input: { ServiceId?: string; MaxResults?: number; NextToken?: string }, ctx) {
      const s = ctx.state.cloudMap.service(required(input.ServiceId, "ServiceId", "InvalidInput"));
      const { page: p, nextToken } = page(ctx, input, [...s.instances.values()]);
      return {
        Instances: p.map((i) => ({ Id: i.id, Attributes: { ...i.attributes }, CreatedByAccount: ctx.state.accountId })),
        NextToken: nextToken,
        ResourceOwner: ctx.state.accountId,
      };
    },
  },
});
