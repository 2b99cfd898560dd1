import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DeregisterInstanceCommand,
  DiscoverInstancesCommand,
  DiscoverInstancesRevisionCommand,
  GetInstancesHealthStatusCommand,
  GetNamespaceCommand,
  GetOperationCommand,
  GetServiceCommand,
  ListInstancesCommand,
  ListNamespacesCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  RegisterInstanceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  paginateGetInstancesHealthStatus,
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

  it("creates and deletes a service; duplicate and in-use are refused", async () => {
    const id = await nsId("apps");
    const created = await env.c.sd.send(new CreateServiceCommand({ Name: "manual", NamespaceId: id, Tags: [{ Key: "METRICS_PORT", Value: "9000" }] }));
    expect(created.Service).toMatchObject({ Name: "manual", NamespaceId: id, Type: "HTTP" });
    expect((await failure(env.c.sd.send(new CreateServiceCommand({ Name: "manual", NamespaceId: id })))).name).toBe("ServiceAlreadyExists");
    await env.c.sd.send(new RegisterInstanceCommand({ ServiceId: created.Service!.Id!, InstanceId: "one", Attributes: { AWS_INSTANCE_IPV4: "10.9.9.9" } }));
    expect((await failure(env.c.sd.send(new DeleteServiceCommand({ Id: created.Service!.Id! })))).name).toBe("ResourceInUse");
    await env.c.sd.send(new DeregisterInstanceCommand({ ServiceId: created.Service!.Id!, InstanceId: "one" }));
    await env.c.sd.send(new DeleteServiceCommand({ Id: created.Service!.Id! }));
    expect((await failure(env.c.sd.send(new GetServiceCommand({ Id: created.Service!.Id! })))).name).toBe("ServiceNotFound");
  });

  it("tags and untags a service; ListTagsForResource reflects it", async () => {
    const svc = await serviceByName("apps", "worker");
    const tags = async () =>
      Object.fromEntries((await env.c.sd.send(new ListTagsForResourceCommand({ ResourceARN: svc.Arn! }))).Tags!.map((t) => [t.Key, t.Value]));
    expect(await tags()).toEqual({ METRICS_PORT: "9102" });
    await env.c.sd.send(new TagResourceCommand({ ResourceARN: svc.Arn!, Tags: [{ Key: "METRICS_PATH", Value: "/stats" }] }));
    expect(await tags()).toEqual({ METRICS_PORT: "9102", METRICS_PATH: "/stats" });
    await env.c.sd.send(new UntagResourceCommand({ ResourceARN: svc.Arn!, TagKeys: ["METRICS_PATH"] }));
    expect(await tags()).toEqual({ METRICS_PORT: "9102" });
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

  it("discovers by health (HEALTHY / UNHEALTHY / ALL / HEALTHY_OR_ELSE_ALL) and query parameters", async () => {
    const frontend = env.sim.state.tasks({ cluster: "web", service: "frontend" });
    env.sim.state.setTaskHealth(frontend[0]!.taskArn!, "UNHEALTHY");
    try {
      const discover = (HealthStatus?: "HEALTHY" | "UNHEALTHY" | "ALL" | "HEALTHY_OR_ELSE_ALL") =>
        env.c.sd.send(new DiscoverInstancesCommand({ NamespaceName: "internal.local", ServiceName: "frontend", ...(HealthStatus ? { HealthStatus } : {}) }));
      expect((await discover("ALL")).Instances).toHaveLength(2);
      expect((await discover()).Instances).toHaveLength(2);
      const healthy = await discover("HEALTHY");
      expect(healthy.Instances!.map((i) => i.HealthStatus)).toEqual(["HEALTHY"]);
      expect((await discover("UNHEALTHY")).Instances!.map((i) => i.InstanceId)).toEqual([frontend[0]!.taskArn!.split("/").pop()]);
      expect((await discover("HEALTHY_OR_ELSE_ALL")).Instances).toHaveLength(1);
      const one = healthy.Instances![0]!;
      expect(one).toMatchObject({ NamespaceName: "internal.local", ServiceName: "frontend" });
      const q = await env.c.sd.send(
        new DiscoverInstancesCommand({
          NamespaceName: "internal.local",
          ServiceName: "frontend",
          QueryParameters: { AWS_INSTANCE_IPV4: one.Attributes!.AWS_INSTANCE_IPV4! },
        }),
      );
      expect(q.Instances!.map((i) => i.InstanceId)).toEqual([one.InstanceId]);
      const status = await env.c.sd.send(new GetInstancesHealthStatusCommand({ ServiceId: (await serviceByName("internal.local", "frontend")).Id! }));
      expect(Object.values(status.Status!).sort()).toEqual(["HEALTHY", "UNHEALTHY"]);
    } finally {
      env.sim.state.setTaskHealth(frontend[0]!.taskArn!, "HEALTHY");
    }
  });

  it("DiscoverInstances works on an HTTP namespace and an unknown service is ServiceNotFound", async () => {
    const res = await env.c.sd.send(new DiscoverInstancesCommand({ NamespaceName: "apps", ServiceName: "worker" }));
    expect(res.Instances).toHaveLength(1);
    expect((await failure(env.c.sd.send(new DiscoverInstancesCommand({ NamespaceName: "apps", ServiceName: "nope" })))).name).toBe("ServiceNotFound");
    expect((await failure(env.c.sd.send(new DiscoverInstancesCommand({ NamespaceName: "nope", ServiceName: "x" })))).name).toBe("NamespaceNotFound");
  });

  it("registers and deregisters instances; the revision moves with every change", async () => {
    const svc = await serviceByName("example.com", "untagged");
    const rev = async () =>
      (await env.c.sd.send(new DiscoverInstancesRevisionCommand({ NamespaceName: "example.com", ServiceName: "untagged" }))).InstancesRevision!;
    const r0 = await rev();
    const reg = await env.c.sd.send(
      new RegisterInstanceCommand({ ServiceId: svc.Id!, InstanceId: "manual-1", Attributes: { AWS_INSTANCE_IPV4: "10.1.2.3", AWS_INSTANCE_PORT: "9100" } }),
    );
    expect(reg.OperationId).toMatch(/^[0-9a-f]{32}$/);
    const op = await env.c.sd.send(new GetOperationCommand({ OperationId: reg.OperationId! }));
    expect(op.Operation).toMatchObject({ Status: "SUCCESS", Type: "REGISTER_INSTANCE", Targets: { SERVICE: svc.Id, INSTANCE: "manual-1" } });
    const r1 = await rev();
    expect(r1).toBeGreaterThan(r0);
    const discovered = await env.c.sd.send(new DiscoverInstancesCommand({ NamespaceName: "example.com", ServiceName: "untagged" }));
    expect(discovered.InstancesRevision).toBe(r1);
    expect(discovered.Instances!.map((i) => i.InstanceId)).toContain("manual-1");
    await env.c.sd.send(new DeregisterInstanceCommand({ ServiceId: svc.Id!, InstanceId: "manual-1" }));
    expect(await rev()).toBeGreaterThan(r1);
    expect((await failure(env.c.sd.send(new DeregisterInstanceCommand({ ServiceId: svc.Id!, InstanceId: "manual-1" })))).name).toBe("InstanceNotFound");
  });

  it("pages ListInstances and GetInstancesHealthStatus over 130 instances", async () => {
    const big = await startSimulator({ scenario: generateScenario({ services: 1, tasksPerService: 130, namespaces: 1, clusters: 1 }) });
    try {
      const sd = clients(big).sd;
      const serviceId = [...big.state.cloudMap.services.keys()][0]!;
      let ids: string[] = [];
      for await (const p of paginateListInstances({ client: sd }, { ServiceId: serviceId })) ids.push(...p.Instances!.map((i) => i.Id!));
      expect(ids).toHaveLength(130);
      expect(big.calls.get("servicediscovery:ListInstances")).toBe(2);
      big.setPageSizes({ "servicediscovery:ListInstances": 7, "servicediscovery:GetInstancesHealthStatus": 7 });
      ids = [];
      for await (const p of paginateListInstances({ client: sd, pageSize: 50 }, { ServiceId: serviceId })) ids.push(...p.Instances!.map((i) => i.Id!));
      expect(new Set(ids).size).toBe(130);
      expect(big.calls.get("servicediscovery:ListInstances")).toBe(2 + 19);
      let statuses = 0;
      for await (const p of paginateGetInstancesHealthStatus({ client: sd }, { ServiceId: serviceId })) statuses += Object.keys(p.Status!).length;
      expect(statuses).toBe(130);
      expect(big.calls.get("servicediscovery:GetInstancesHealthStatus")).toBe(19);
      // DiscoverInstances has no NextToken: 100 by default, up to MaxResults 1000, and
      // wildcard page caps do not truncate it (only an exact operation cap does).
      big.setPageSizes({ "*": 7 });
      const [ns] = [...big.state.cloudMap.namespaces.values()];
      const svcName = big.state.cloudMap.services.get(serviceId)!.name;
      expect((await sd.send(new DiscoverInstancesCommand({ NamespaceName: ns!.name, ServiceName: svcName }))).Instances).toHaveLength(100);
      expect((await sd.send(new DiscoverInstancesCommand({ NamespaceName: ns!.name, ServiceName: svcName, MaxResults: 1000 }))).Instances).toHaveLength(130);
      big.setPageSizes({ "servicediscovery:DiscoverInstances": 7 });
      expect((await sd.send(new DiscoverInstancesCommand({ NamespaceName: ns!.name, ServiceName: svcName, MaxResults: 1000 }))).Instances).toHaveLength(7);
    } finally {
      await big.close();
    }
  });
});
