// The full reconcile through the real SDK clients against the local simulator.
import { afterEach, describe, expect, it } from "vitest";
import { generateScenario } from "@scrape-reconciler/sim";
import { DiscoveryError, parseDocument, serializeDocument, type TargetDocument } from "@scrape-reconciler/core";
import { reconcile } from "../src";
import { publishDocument, readManifest, readPublished } from "@scrape-reconciler/store";
import { BUCKET, startSimEnv, type SimEnv } from "../../../test/support/sim-env";

let env: SimEnv | undefined;
afterEach(async () => {
  await env?.sim.close();
  env = undefined;
});

const now = () => new Date();
const targetsOf = (doc: TargetDocument) => new Set(doc.flatMap((g) => g.targets.map((t) => `${t}${g.labels.__metrics_path__}`)));

describe("full reconcile on the simulator", () => {
  it("reads every page of namespaces, services and instances (more than 100 of each)", async () => {
    const scenario = generateScenario({ services: 202, namespaces: 101, tasksPerService: 1, clusters: 2 });
    scenario.services!.push({
      cluster: "cluster-1",
      name: "big",
      namespace: scenario.namespaces![0]!.name,
      tags: { METRICS_PORT: "8080" },
      launchType: "FARGATE",
      networkMode: "awsvpc",
      taskDefinition: { family: "big", revision: 1, containers: [{ name: "app", ports: [8080] }] },
      desiredCount: 105,
    });
    env = await startSimEnv({ scenario });
    const s = await reconcile({ clients: env.clients, config: env.config, now });
    expect(s.failed).toEqual([]);
    expect(s.namespaces).toBe(101);
    expect(s.targets).toBe(202 + 105);
    const calls = env.sim.calls.snapshot();
    expect(calls["servicediscovery:ListNamespaces"]).toBeGreaterThanOrEqual(2);
    expect(calls["ecs:DescribeTasks"]).toBeGreaterThanOrEqual(3); // 105 tasks in one cluster need two batches
    const published = await readPublished({ ...env.clients, bucket: BUCKET, key: env.config.key });
    expect(published?.document.filter((g) => g.labels.service === "big")).toHaveLength(105);
  });

  it("follows small pages everywhere", async () => {
    env = await startSimEnv({ scenario: generateScenario({ services: 30, namespaces: 3, tasksPerService: 9 }), pageSizes: { "*": 4 } });
    const s = await reconcile({ clients: env.clients, config: env.config, now });
    expect(s.targets).toBe(270);
    expect(env.sim.calls.get("servicediscovery:ListInstances")).toBe(30 * 3); // 9 instances in pages of 4
  });

  it("publishes several ports and the infra endpoint with distinct instance labels, and skips bad tags", async () => {
    env = await startSimEnv({ scenario: "packages/sim/scenarios/sample.json" });
    const s = await reconcile({ clients: env.clients, config: env.config, now });
    const doc = (await readPublished({ ...env.clients, bucket: BUCKET, key: env.config.key }))!.document;
    const api = doc.filter((g) => g.labels.service === "api");
    expect(api.map((g) => g.labels.__meta_ecs_endpoint).sort()).toEqual(["app", "app", "infra", "infra"]);
    expect(new Set(api.map((g) => g.labels.instance)).size).toBe(4);
    const all = doc.map((g) => g.labels.instance);
    expect(new Set(all).size).toBe(all.length);
    expect(s.skippedEndpoints.map((k) => k.value)).toContain("abc");
    expect(doc.some((g) => g.labels.service === "admin")).toBe(false);
  });

  it("skips endpoints with bad tags (abc, 0, 70000, path without /) and publishes the rest", async () => {
    const scenario = generateScenario({ services: 5, tasksPerService: 1, namespaces: 1 });
    const bad: Record<string, string>[] = [
      { METRICS_PORT: "abc" },
      { METRICS_PORT: "0" },
      { METRICS_PORT: "70000" },
      { METRICS_PORT: "8080", METRICS_PATH: "metrics" },
    ];
    bad.forEach((tags, i) => {
      scenario.services![i]!.tags = tags;
    });
    env = await startSimEnv({ scenario });
    const s = await reconcile({ clients: env.clients, config: env.config, now });
    expect(s.targets).toBe(1);
    expect(s.skippedEndpoints.map((k) => [k.tag, k.value])).toEqual(
      expect.arrayContaining([
        ["METRICS_PORT", "abc"],
        ["METRICS_PORT", "0"],
        ["METRICS_PORT", "70000"],
        ["METRICS_PATH", "metrics"],
      ]),
    );
    expect((await readManifest(env.clients.ssm, env.config.manifestParameter))?.skippedEndpoints).toBe(4);
  });

  it("never loses a target that still exists under 30 % throttling and 5xx, and converges after", async () => {
    env = await startSimEnv({ scenario: generateScenario({ services: 40, tasksPerService: 3, namespaces: 2, ec2Every: 5 }) });
    const baseline = await reconcile({ clients: env.clients, config: env.config, now });
    expect(baseline.targets).toBe(120);
    const before = targetsOf((await readPublished({ ...env.clients, bucket: BUCKET, key: env.config.key }))!.document);
    env.sim.setFaults({ rate: 0.3, errors: ["ThrottlingException", "InternalFailure", "ServiceUnavailable"], services: ["servicediscovery", "ecs"] });
    const flaky = env.clientsWith({ maxAttempts: 2, retryMode: "standard" });
    let sawFailures = 0;
    for (let i = 0; i < 4; i++) {
      try {
        const s = await reconcile({ clients: flaky, config: env.config, now });
        sawFailures += s.failed.length;
      } catch (err) {
        expect(err).toBeInstanceOf(DiscoveryError); // only a failed namespace listing may stop a run
      }
      const doc = (await readPublished({ ...env.clients, bucket: BUCKET, key: env.config.key }))!.document;
      for (const t of before) expect(targetsOf(doc).has(t)).toBe(true);
    }
    expect(sawFailures).toBeGreaterThan(0);
    env.sim.setFaults(null);
    const after = await reconcile({ clients: env.clients, config: env.config, now });
    expect(after.failed).toEqual([]);
    const final = (await readPublished({ ...env.clients, bucket: BUCKET, key: env.config.key }))!;
    expect(targetsOf(final.document)).toEqual(before);
    expect((await readManifest(env.clients.ssm, env.config.manifestParameter))?.sources.cloudmap?.status).toBe("ok");
  });

  it("publishes nothing when the whole listing fails", async () => {
    env = await startSimEnv({ scenario: generateScenario({ services: 3 }) });
    env.sim.setFaults({ deny: { "servicediscovery:ListNamespaces": "AccessDeniedException" } });
    await expect(reconcile({ clients: env.clients, config: env.config, now })).rejects.toThrow(/listing Cloud Map namespaces failed: AccessDeniedException/);
    expect(env.sim.calls.get("s3:PutObject")).toBe(0);
    expect(env.sim.calls.get("ssm:PutParameter")).toBe(0);
  });

  it("withholds an empty document when discovery failed and nothing is known yet (README guarantee G2)", async () => {
    env = await startSimEnv({ scenario: generateScenario({ services: 3, namespaces: 1 }) });
    env.sim.setFaults({ deny: { "servicediscovery:ListInstances": "ThrottlingException" } });
    const s = await reconcile({ clients: env.clientsWith({ maxAttempts: 1 }), config: env.config, now });
    expect(s.written).toBe(false);
    expect(s.withheld).toMatch(/not publishing an empty document/);
    expect(await readPublished({ ...env.clients, bucket: BUCKET, key: env.config.key })).toBeUndefined();
  });

  it("writes nothing for an unchanged account", async () => {
    env = await startSimEnv({ scenario: generateScenario({ services: 10, tasksPerService: 2 }) });
    const first = await reconcile({ clients: env.clients, config: env.config, now });
    expect(first.written).toBe(true);
    env.sim.calls.reset();
    const second = await reconcile({ clients: env.clients, config: env.config, now });
    expect(second.written).toBe(false);
    expect(second.generation).toBe(first.generation);
    expect(env.sim.calls.get("s3:PutObject")).toBe(0);
    expect(env.sim.calls.get("ssm:PutParameter")).toBe(0);
    expect(env.sim.calls.get("ecs:DescribeTaskDefinition")).toBe(0); // known from the state
  });

  it("keeps generations increasing and loses no write when publishers race on one bucket", async () => {
    env = await startSimEnv({ scenario: generateScenario({ services: 2, tasksPerService: 1 }) });
    const target = { ...env.clients, bucket: BUCKET, key: env.config.key, manifestParameter: env.config.manifestParameter };
    // Each writer adds its own target to whatever is published: a lost update would drop one.
    const writer = (n: number) =>
      publishDocument(
        target,
        (prev) => ({
          document: [...(prev?.document ?? []), { targets: [`10.9.0.${n}:80`], labels: { writer: String(n) } }],
          services: 1,
          sources: {},
          failedServices: [],
          skippedEndpoints: 0,
        }),
        { now, maxAttempts: 20 },
      );
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => writer(i + 1)));
    const generations = results.map((r) => r.generation).sort((a, b) => a - b);
    expect(generations).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const final = (await readPublished(target))!;
    expect(final.generation).toBe(8);
    expect(final.document.map((g) => g.labels.writer).sort()).toEqual(["1", "2", "3", "4", "5", "6", "7", "8"]);
    const manifest = await readManifest(env.clients.ssm, env.config.manifestParameter);
    expect(manifest?.generation).toBe(8);
    expect(manifest?.sha256).toBe(final.sha256);
    expect(serializeDocument(parseDocument(final.text))).toBe(final.text);
  });

  it("two full reconciles racing while the account changes converge without going back", async () => {
    env = await startSimEnv({ scenario: generateScenario({ services: 6, tasksPerService: 3 }) });
    await reconcile({ clients: env.clients, config: env.config, now });
    const task = env.sim.state.tasks({})[0]!;
    env.sim.state.stopTask(task.taskArn!);
    const [a, b] = await Promise.all([
      reconcile({ clients: env.clients, config: env.config, now }),
      reconcile({ clients: env.clientsWith({}), config: env.config, now }),
    ]);
    expect(Math.max(a.generation, b.generation)).toBe(2);
    const c = await reconcile({ clients: env.clients, config: env.config, now });
    expect(c.written).toBe(false);
    expect(c.targets).toBe(17);
    expect(c.drift).toBe(0);
  });
});
