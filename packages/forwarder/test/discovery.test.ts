// Discovery on the simulator with the real RDS and ElastiCache clients: every Marker page,
// tag filters, explicit ids, skipped states and engines, tags read only when needed, and
// one failing source not stopping the other.
import { simClientConfig, type ScenarioInput, type Simulator } from "@scrape-reconciler/sim";
import { ElastiCacheClient } from "@aws-sdk/client-elasticache";
import { RDSClient } from "@aws-sdk/client-rds";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { discoverResources, type DiscoveryOptions } from "../src/discovery";
import { startFleet } from "./helpers";

const SCENARIO: ScenarioInput = {
  seed: "discovery",
  region: "eu-west-1",
  accountId: "111122223333",
  rdsClusters: [
    { id: "reports", tags: { env: "prod" } },
    { id: "staging-reports", tags: { env: "staging" } },
  ],
  rdsInstances: [
    ...Array.from({ length: 45 }, (_, i) => ({ id: `db-${String(i).padStart(2, "0")}`, tags: { env: i % 3 === 0 ? "staging" : "prod", team: `t${i % 5}` } })),
    { id: "reports-1", cluster: "reports", tags: { env: "prod" } },
    { id: "reports-2", cluster: "reports", tags: { env: "prod" } },
    { id: "stopped-db", status: "stopped", tags: { env: "prod" } },
  ],
  cacheClusters: [
    ...Array.from({ length: 25 }, (_, i) => ({ id: `cache-${String(i).padStart(3, "0")}`, tags: { env: i % 2 === 0 ? "prod" : "staging" } })),
    { id: "multi", nodes: 3, tags: { env: "prod" } },
    { id: "memcached-1", engine: "memcached", nodes: 2, tags: { env: "prod" } },
    { id: "creating-1", status: "creating", tags: { env: "prod" } },
  ],
};

const all = (over: Partial<DiscoveryOptions> = {}): DiscoveryOptions => ({
  rds: { enabled: true, clusters: true },
  elastiCache: { enabled: true },
  tagLabels: [],
  ...over,
});

describe("discovery (simulator, real SDK clients)", () => {
  let sim: Simulator;
  let clients: { rds: RDSClient; elasticache: ElastiCacheClient };
  beforeAll(async () => {
    sim = await startFleet({ now: Date.now() }, SCENARIO);
    const cfg = { ...simClientConfig(sim), maxAttempts: 6 };
    clients = { rds: new RDSClient(cfg), elasticache: new ElastiCacheClient(cfg) };
  });
  afterAll(async () => {
    await sim?.close();
  });
  beforeEach(() => {
    sim.setFaults(null);
    sim.setPageSizes(null);
    sim.calls.reset();
  });

  it("reads every page of instances, clusters and cache clusters", async () => {
    sim.setPageSizes({ "rds:DescribeDBInstances": 7, "rds:DescribeDBClusters": 1, "elasticache:DescribeCacheClusters": 4 });
    const r = await discoverResources(clients, all());
    expect(r.failures).toEqual([]);
    const ids = (kind: string) => r.resources.filter((x) => x.kind === kind).map((x) => x.id);
    // 47 instances (stopped-db skipped), 1 Aurora cluster per page -> 2 clusters, 25 + 3 Redis nodes.
    expect(ids("rdsInstance")).toHaveLength(47);
    expect(ids("rdsInstance")).not.toContain("stopped-db");
    expect(ids("rdsCluster")).toEqual(["reports", "staging-reports"]);
    expect(ids("elastiCacheNode")).toHaveLength(28);
    expect(ids("elastiCacheNode")).toContain("multi/0003");
    expect(ids("elastiCacheNode").some((id) => id.startsWith("memcached") || id.startsWith("creating"))).toBe(false);
    expect(r.calls).toEqual({ "rds:DescribeDBInstances": 7, "rds:DescribeDBClusters": 2, "elasticache:DescribeCacheClusters": 7 });
    expect(sim.calls.snapshot()).toEqual(r.calls);
    const aurora = r.resources.find((x) => x.id === "reports-1")!;
    expect(aurora).toMatchObject({
      aurora: true,
      engine: "aurora-postgresql",
      region: "eu-west-1",
      accountId: "111122223333",
      arn: "arn:aws:rds:eu-west-1:111122223333:db:reports-1",
    });
    const node = r.resources.find((x) => x.id === "multi/0002")!;
    expect(node.dimensions).toEqual([
      { Name: "CacheClusterId", Value: "multi" },
      { Name: "CacheNodeId", Value: "0002" },
    ]);
    expect(node.arn).toBe("arn:aws:elasticache:eu-west-1:111122223333:cluster:multi");
  });

  it("filters by tags (KEY=VALUE and KEY present); ElastiCache tags cost one call per cluster, only when needed", async () => {
    const r = await discoverResources(
      clients,
      all({
        rds: { enabled: true, clusters: true, tagFilter: [{ key: "env", value: "prod" }, { key: "team" }] },
        elastiCache: { enabled: true, tagFilter: [{ key: "env", value: "prod" }] },
      }),
    );
    const instances = r.resources.filter((x) => x.kind === "rdsInstance");
    expect(instances.map((x) => x.id)).toEqual(
      Array.from({ length: 45 }, (_, i) => i)
        .filter((i) => i % 3 !== 0)
        .map((i) => `db-${String(i).padStart(2, "0")}`),
    );
    expect(r.resources.filter((x) => x.kind === "rdsCluster")).toEqual([]); // clusters have no team tag
    expect(r.resources.filter((x) => x.kind === "elastiCacheNode")).toHaveLength(13 + 3);
    expect(r.calls["elasticache:ListTagsForResource"]).toBe(26); // redis clusters (memcached, creating skipped)
    expect(r.resources.find((x) => x.id === "multi/0001")!.tags).toEqual({ env: "prod" });

    sim.calls.reset();
    const untagged = await discoverResources(clients, all({ rds: { enabled: false, clusters: false } }));
    expect(untagged.calls).toEqual({ "elasticache:DescribeCacheClusters": 1 });
    expect(untagged.resources.every((x) => Object.keys(x.tags).length === 0)).toBe(true);
  });

  it("names explicit ids one by one (IAM resource-level), reports missing ones, and finds their Aurora clusters", async () => {
    const r = await discoverResources(
      clients,
      all({ rds: { enabled: true, clusters: true, instances: ["db-01", "reports-2", "gone"] }, elastiCache: { enabled: true, clusters: ["multi", "nope"] } }),
    );
    expect(r.resources.map((x) => `${x.kind}:${x.id}`)).toEqual([
      "rdsInstance:db-01",
      "rdsInstance:reports-2",
      "rdsCluster:reports",
      "elastiCacheNode:multi/0001",
      "elastiCacheNode:multi/0002",
      "elastiCacheNode:multi/0003",
    ]);
    expect(r.missing).toEqual(["rds:db:gone", "elasticache:cluster:nope"]);
    expect(r.failures).toEqual([]);
    expect(r.calls).toEqual({ "rds:DescribeDBInstances": 3, "rds:DescribeDBClusters": 1, "elasticache:DescribeCacheClusters": 2 });
  });

  it("retries throttling (the SDK) and keeps going when one source is denied", async () => {
    sim.setFaults({
      next: [
        { operation: "rds:DescribeDBInstances", error: "ThrottlingException", count: 2 },
        { operation: "elasticache:DescribeCacheClusters", error: "ThrottlingException", count: 1 },
      ],
    });
    const throttled = await discoverResources(clients, all());
    expect(throttled.failures).toEqual([]);
    expect(throttled.resources.filter((x) => x.kind === "rdsInstance")).toHaveLength(47);
    // Answered as awsQuery's <Code>Throttling</Code>, HTTP 400; the SDK retried each.
    expect(sim.calls.log.filter((c) => c.fault === "queued").map((c) => [c.key, c.status])).toEqual([
      ["rds:DescribeDBInstances", 400],
      ["rds:DescribeDBInstances", 400],
      ["elasticache:DescribeCacheClusters", 400],
    ]);

    sim.setFaults({ deny: { "rds:DescribeDBInstances": "AccessDeniedException" } });
    const denied = await discoverResources(clients, all());
    expect(denied.failures).toEqual([
      { source: "rds-instances", operation: "rds:DescribeDBInstances", error: expect.stringMatching(/^AccessDenied: .*rds:DescribeDBInstances/) },
    ]);
    expect(denied.resources.filter((x) => x.kind === "elastiCacheNode")).toHaveLength(28);
    expect(denied.resources.filter((x) => x.kind.startsWith("rds"))).toEqual([]);
  });
});
