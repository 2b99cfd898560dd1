// Cloud Map reads: namespaces, services, tags and instances, with NextToken paging.
import {
  GetNamespaceCommand,
  GetServiceCommand,
  ListInstancesCommand,
  ListNamespacesCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  paginateListInstances,
  paginateListNamespaces,
  paginateListServices,
} from "@aws-sdk/client-servicediscovery";
import { beforeEach, describe, expect, it } from "vitest";
import { generateScenario, startSimulator } from "../src/index";
import { clients, failure, useSimulator } from "./helpers";

const env = useSimulator();
beforeEach(() => env.sim.setPageSizes(null));

const nsId = async (name: string) => (await env.c.sd.send(new ListNamespacesCommand({}))).Namespaces!.find((n) => n.Name === name)!.Id!;
const serviceByName = async (ns: string, name: string) =>
  (await env.c.sd.send(new ListServicesCommand({ Filters: [{ Name: "NAMESPACE_ID", Values: [await nsId(ns)], Condition: "EQ" }] }))).Services!.find(
    (s) => s.Name === name,
  )!;

describe("namespaces", () => {
  it("lists every namespace type with properties and filters by TYPE", async () => {
    const all = await env.c.sd.send(new ListNamespacesCommand({}));
    expect(all.Namespaces!.map((n) => [n.Name, n.Type])).toEqual([
      ["internal.local", "DNS_PRIVATE"],
      ["apps", "HTTP"],
      ["example.com", "DNS_PUBLIC"],
    ]);
    expect(all.Namespaces![0]!.Properties!.DnsProperties!.HostedZoneId).toMatch(/^Z[0-9A-F]+$/);
    expect(all.Namespaces![1]!.Properties!.HttpProperties!.HttpName).toBe("apps");
    expect(all.Namespaces![0]!.CreateDate).toBeInstanceOf(Date);
    const http = await env.c.sd.send(new ListNamespacesCommand({ Filters: [{ Name: "TYPE", Values: ["HTTP"], Condition: "EQ" }] }));
    expect(http.Namespaces!.map((n) => n.Name)).toEqual(["apps"]);
  });

  it("gets a namespace by id and by ARN; an unknown one is NamespaceNotFound", async () => {
    const id = await nsId("internal.local");
    const byId = await env.c.sd.send(new GetNamespaceCommand({ Id: id }));
    expect(byId.Namespace).toMatchObject({ Id: id, Name: "internal.local", Type: "DNS_PRIVATE", Description: "private", ServiceCount: 3 });
    const byArn = await env.c.sd.send(new GetNamespaceCommand({ Id: byId.Namespace!.Arn! }));
    expect(byArn.Namespace!.Id).toBe(id);
    expect((await failure(env.c.sd.send(new GetNamespaceCommand({ Id: "ns-doesnotexist0000" })))).name).toBe("NamespaceNotFound");
  });

  it("pages through more than 100 namespaces with the SDK paginator", async () => {
    const big = await startSimulator({ scenario: generateScenario({ services: 0, namespaces: 130 }), pageSizes: { "servicediscovery:ListNamespaces": 7 } });
    try {
      const names: string[] = [];
      for await (const page of paginateListNamespaces({ client: clients(big).sd }, {})) names.push(...page.Namespaces!.map((n) => n.Name!));
      expect(names).toHaveLength(130);
      expect(new Set(names).size).toBe(130);
      expect(big.calls.get("servicediscovery:ListNamespaces")).toBe(Math.ceil(130 / 7));
    } finally {
      await big.close();
    }
  });
});

describe("services", () => {
  it("filters ListServices by NAMESPACE_ID; summaries carry no NamespaceId, GetService does", async () => {
    const id = await nsId("internal.local");
    const res = await env.c.sd.send(new ListServicesCommand({ Filters: [{ Name: "NAMESPACE_ID", Values: [id], Condition: "EQ" }] }));
    expect(res.Services!.map((s) => s.Name)).toEqual(["frontend", "billing", "haproxy"]);
    for (const s of res.Services!) expect((s as Record<string, unknown>).NamespaceId).toBeUndefined();
    expect(res.Services![0]).toMatchObject({ Type: "DNS_HTTP", InstanceCount: 2, HealthCheckCustomConfig: { FailureThreshold: 1 } });
    const got = await env.c.sd.send(new GetServiceCommand({ Id: res.Services![0]!.Id! }));
    expect(got.Service).toMatchObject({ Name: "frontend", NamespaceId: id, InstanceCount: 2 });
    expect((await failure(env.c.sd.send(new GetServiceCommand({ Id: "srv-doesnotexist000" })))).name).toBe("ServiceNotFound");
  });

  it("ListTagsForResource answers a service's or a namespace's tags; an unknown ARN is ResourceNotFoundException", async () => {
    const tags = async (arn: string) =>
      Object.fromEntries((await env.c.sd.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags!.map((t) => [t.Key, t.Value]));
    expect(await tags((await serviceByName("apps", "worker")).Arn!)).toEqual({ METRICS_PORT: "9102" });
    const ns = (await env.c.sd.send(new GetNamespaceCommand({ Id: await nsId("apps") }))).Namespace!;
    expect(await tags(ns.Arn!)).toEqual({});
    const bad = await failure(
      env.c.sd.send(new ListTagsForResourceCommand({ ResourceARN: "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-nope" })),
    );
    expect(bad.name).toBe("ResourceNotFoundException");
  });

  it("pages ListServices over 150 services (paginator, page size 7)", async () => {
    const big = await startSimulator({
      scenario: generateScenario({ services: 150, tasksPerService: 0, namespaces: 1 }),
      pageSizes: { "servicediscovery:*": 7 },
    });
    try {
      let n = 0;
      for await (const page of paginateListServices({ client: clients(big).sd }, {})) n += page.Services!.length;
      expect(n).toBe(150);
      expect(big.calls.get("servicediscovery:ListServices")).toBe(22);
    } finally {
      await big.close();
    }
  });

  it("rejects MaxResults above the API maximum", async () => {
    expect((await failure(env.c.sd.send(new ListServicesCommand({ MaxResults: 101 })))).name).toBe("InvalidInput");
  });
});

describe("instances", () => {
  it("lists ECS registrations with the attributes ECS sets (EC2_INSTANCE_ID only on EC2)", async () => {
    const fargate = await env.c.sd.send(new ListInstancesCommand({ ServiceId: (await serviceByName("internal.local", "frontend")).Id! }));
    expect(fargate.Instances).toHaveLength(2);
    const a = fargate.Instances![0]!;
    expect(a.Id).toMatch(/^[0-9a-f]{32}$/);
    expect(a.Attributes).toEqual({
      AWS_INSTANCE_IPV4: expect.stringMatching(/^10\.0\.\d+\.\d+$/),
      AWS_INSTANCE_PORT: "8080",
      AVAILABILITY_ZONE: expect.stringMatching(/^us-east-1[abc]$/),
      REGION: "us-east-1",
      ECS_SERVICE_NAME: "frontend",
      ECS_CLUSTER_NAME: "web",
      ECS_TASK_DEFINITION_FAMILY: "frontend",
    });
    const bridge = await env.c.sd.send(new ListInstancesCommand({ ServiceId: (await serviceByName("internal.local", "billing")).Id! }));
    for (const i of bridge.Instances!) {
      expect(i.Attributes!.EC2_INSTANCE_ID).toMatch(/^i-[0-9a-f]{17}$/);
      expect(Number(i.Attributes!.AWS_INSTANCE_PORT)).toBeGreaterThanOrEqual(32768);
    }
    const worker = await env.c.sd.send(new ListInstancesCommand({ ServiceId: (await serviceByName("apps", "worker")).Id! }));
    expect(worker.Instances![0]!.Attributes!.AWS_INSTANCE_PORT).toBe("9102");
  });

  it("pages ListInstances over 130 instances (100 a page, or the configured page size)", async () => {
    const big = await startSimulator({ scenario: generateScenario({ services: 1, tasksPerService: 130, namespaces: 1, clusters: 1 }) });
    try {
      const sd = clients(big).sd;
      const serviceId = [...big.state.cloudMap.services.keys()][0]!;
      let ids: string[] = [];
      for await (const p of paginateListInstances({ client: sd }, { ServiceId: serviceId })) ids.push(...p.Instances!.map((i) => i.Id!));
      expect(ids).toHaveLength(130);
      expect(big.calls.get("servicediscovery:ListInstances")).toBe(2);
      big.setPageSizes({ "servicediscovery:ListInstances": 7 });
      ids = [];
      for await (const p of paginateListInstances({ client: sd, pageSize: 50 }, { ServiceId: serviceId })) ids.push(...p.Instances!.map((i) => i.Id!));
      expect(new Set(ids).size).toBe(130);
      expect(big.calls.get("servicediscovery:ListInstances")).toBe(2 + 19);
      expect((await failure(sd.send(new ListInstancesCommand({ ServiceId: serviceId, NextToken: "bogus" })))).name).toBe("InvalidInput");
    } finally {
      await big.close();
    }
  });

  it("registrations made through the state API show in ListInstances", async () => {
    const svc = await serviceByName("example.com", "untagged");
    const ids = async () => (await env.c.sd.send(new ListInstancesCommand({ ServiceId: svc.Id! }))).Instances!.map((i) => i.Id);
    env.sim.state.registerInstance(svc.Id!, "manual-1", { AWS_INSTANCE_IPV4: "10.1.2.3", AWS_INSTANCE_PORT: "9100" });
    expect(await ids()).toContain("manual-1");
    env.sim.state.deregisterInstance(svc.Id!, "manual-1");
    expect(await ids()).not.toContain("manual-1");
    expect(() => env.sim.state.deregisterInstance(svc.Id!, "manual-1")).toThrow(/not found/);
    expect((await failure(env.c.sd.send(new ListInstancesCommand({ ServiceId: "srv-doesnotexist000" })))).name).toBe("ServiceNotFound");
  });
});
