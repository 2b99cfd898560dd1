// The audit through the real SDK clients against the local AWS simulator: a published
// document (from a real full reconcile) against what the simulated account runs now.
import { afterEach, describe, expect, it } from "vitest";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { indexKeyOf } from "@scrape-reconciler/core";
import { reconcile } from "@scrape-reconciler/reconcile";
import { readPublished } from "@scrape-reconciler/store";
import { generateScenario } from "@scrape-reconciler/sim";
import { audit, auditMetrics, hasFindings } from "../src";
import { BUCKET, startSimEnv, type SimEnv } from "../../../test/support/sim-env";

let env: SimEnv | undefined;
afterEach(async () => {
  await env?.sim.close();
  env = undefined;
});

const T0 = new Date("2026-11-25T10:00:00.000Z");
const at = (seconds: number) => () => new Date(T0.getTime() + seconds * 1000);
const taskId = (arn: string) => arn.split("/").pop()!;

/** 4 tagged services x 2 tasks (every 3rd on EC2 bridge) + 1 untagged, over 2 namespaces. */
async function published(): Promise<SimEnv> {
  env = await startSimEnv({ scenario: generateScenario({ services: 5, tasksPerService: 2, namespaces: 2, ec2Every: 3, untaggedEvery: 5 }) });
  const s = await reconcile({ clients: env.clients, config: env.config, now: at(0) });
  expect(s.targets).toBe(8);
  return env;
}

describe("audit on the simulator", () => {
  it("a healthy account reports no stale, no missing and no error, and writes nothing", async () => {
    const e = await published();
    e.sim.calls.reset();
    const r = await audit({ clients: e.clients, config: e.config, now: at(60) });
    expect(r).toMatchObject({ compared: true, stale: [], missing: [], changed: 0, excluded: 0, services: [], errors: [] });
    expect(r.document).toMatchObject({ present: true, generation: 1, targets: 8 });
    expect(r.discovered).toEqual({ namespaces: 2, services: 4, targets: 8 });
    expect(r.manifest).toEqual({ generation: 1, matchesDocument: true });
    expect(hasFindings(r)).toBe(false);
    expect(auditMetrics(r).map((m) => [m.name, m.value])).toEqual([
      ["StaleTargets", 0],
      ["MissingTargets", 0],
      ["DocumentAgeSeconds", 60],
      ["ReconcileAgeSeconds", 60],
      ["DiscoveryErrors", 0],
    ]);
    expect(e.sim.calls.get("s3:PutObject")).toBe(0);
    expect(e.sim.calls.get("ssm:PutParameter")).toBe(0);
    expect(e.sim.calls.get("ecs:DescribeTaskDefinition")).toBe(0); // known from the state
  });

  it("__meta_ecs_ec2_instance_type is state-derived: taken from the state's cache, it compares equal, also after a reconcile that could not read it", async () => {
    const e = await published();
    const doc = (await readPublished({ ...e.clients, bucket: BUCKET, key: e.config.key }))!.document;
    expect(doc.filter((g) => g.labels.__meta_ecs_ec2_instance_type === "m5.large").length).toBeGreaterThan(0);
    e.sim.calls.reset();
    const r = await audit({ clients: e.clients, config: e.config, now: at(60) });
    expect(r).toMatchObject({ stale: [], missing: [], changed: 0, errors: [] });
    // The audit reads no container instance itself.
    expect(e.sim.calls.get("ecs:DescribeContainerInstances") + e.sim.calls.get("ec2:DescribeInstances")).toBe(0);

    // A fresh account whose reconcile could not read its container instances: published without the label.
    await env?.sim.close();
    env = await startSimEnv({ scenario: generateScenario({ services: 5, tasksPerService: 2, namespaces: 2, ec2Every: 3, untaggedEvery: 5 }) });
    env.sim.setFaults({ deny: { "ec2:DescribeInstances": "AccessDeniedException" } });
    const s = await reconcile({ clients: env.clientsWith({ maxAttempts: 1 }), config: env.config, now: at(0) });
    expect(s.containerInstances.failed).toBeGreaterThan(0);
    const degraded = (await readPublished({ ...env.clients, bucket: BUCKET, key: env.config.key }))!.document;
    expect(degraded.filter((g) => g.labels.__meta_ecs_ec2_instance_type !== undefined)).toEqual([]);
    env.sim.setFaults(null);
    const after = await audit({ clients: env.clients, config: env.config, now: at(60) });
    expect(after).toMatchObject({ compared: true, stale: [], missing: [], changed: 0, errors: [] });
  });

  it("a task that stopped while the document still has it is stale, named with its service", async () => {
    const e = await published();
    const svc = e.sim.scenario.services[0]!;
    const task = e.sim.state.tasks({ service: svc.name })[0]!;
    e.sim.state.stopTask(task.taskArn!);
    const r = await audit({ clients: e.clients, config: e.config, now: at(60) });
    expect(r.missing).toEqual([]);
    expect(r.stale).toHaveLength(1);
    expect(r.stale[0]).toMatchObject({ namespace: svc.namespace, service: svc.name, taskid: taskId(task.taskArn!) });
    expect(r.stale[0]!.key).toMatch(/^http:\/\/[\d.]+:\d+\/metrics$/);
    expect(r.services).toEqual([{ namespace: svc.namespace, service: svc.name, stale: 1, missing: 0 }]);
    expect(hasFindings(r)).toBe(true);
    expect(auditMetrics(r).find((m) => m.name === "StaleTargets")?.value).toBe(1);
  });

  it("a new registered task of an opted-in service is missing; one of an untagged service is not", async () => {
    const e = await published();
    const tagged = e.sim.scenario.services[2]!; // EC2, bridge mode
    const untagged = e.sim.scenario.services[4]!;
    expect(untagged.tags).toEqual({});
    const started = e.sim.state.startTask(tagged.cluster, tagged.name);
    e.sim.state.startTask(untagged.cluster, untagged.name);
    const r = await audit({ clients: e.clients, config: e.config, now: at(60) });
    expect(r.stale).toEqual([]);
    expect(r.missing).toHaveLength(1);
    expect(r.missing[0]).toMatchObject({ namespace: tagged.namespace, service: tagged.name, taskid: taskId(started.taskArn!) });
    expect(r.services).toEqual([{ namespace: tagged.namespace, service: tagged.name, stale: 0, missing: 1 }]);
    expect(r.discovered.targets).toBe(9);
  });

  it("a denied ListNamespaces is one error, not every target missing or stale", async () => {
    const e = await published();
    e.sim.setFaults({ deny: { "servicediscovery:ListNamespaces": "AccessDeniedException" } });
    const r = await audit({ clients: e.clients, config: e.config, now: at(60) });
    expect(r.compared).toBe(false);
    expect(r.stale).toEqual([]);
    expect(r.missing).toEqual([]);
    expect(r.errors).toEqual([expect.objectContaining({ scope: "listing", operation: "servicediscovery:ListNamespaces" })]);
    expect(r.errors[0]!.error).toMatch(/AccessDeniedException/);
    // Stale/missing are unknown, so not emitted (as 0 or as 8); the ages still are.
    expect(auditMetrics(r).map((m) => m.name)).toEqual(["DocumentAgeSeconds", "ReconcileAgeSeconds", "DiscoveryErrors"]);
    expect(auditMetrics(r).at(-1)?.value).toBe(1);
  });

  it("a failed ListInstances for one service leaves that service out and still finds the others' stale targets", async () => {
    const e = await published();
    const tagged = e.sim.scenario.services.slice(0, 4);
    for (const svc of tagged) e.sim.state.stopTask(e.sim.state.tasks({ service: svc.name })[0]!.taskArn!);
    e.sim.setFaults({ next: [{ operation: "servicediscovery:ListInstances", error: "ThrottlingException" }] });
    const r = await audit({ clients: e.clientsWith({ maxAttempts: 1, retryMode: "standard" }), config: e.config, now: at(60) });
    expect(r.errors).toHaveLength(1);
    const failed = r.errors[0]!;
    expect(failed).toMatchObject({ scope: "service", operation: "servicediscovery:ListInstances" });
    expect(tagged.map((s) => s.name)).toContain(failed.service);
    expect(r.compared).toBe(true);
    expect(r.missing).toEqual([]);
    expect(r.stale).toHaveLength(3);
    expect(r.stale.map((t) => t.service)).not.toContain(failed.service);
    expect(r.excluded).toBe(2); // the failed service's two published targets
    expect(r.discovered.services).toBe(3);
  });

  it("document age and reconcile age come from the injected now, the document's generated-at and the state's heartbeat", async () => {
    const e = await published();
    let r = await audit({ clients: e.clients, config: e.config, now: at(600) });
    expect(r).toMatchObject({ documentAgeSeconds: 600, reconcileAgeSeconds: 600, lastFullReconcileAt: T0.toISOString() });
    // An unchanged account: the document stays as written at T0, but the reconcile 20
    // minutes later records its heartbeat in the state, which confirms the document.
    const again = await reconcile({ clients: e.clients, config: e.config, now: at(1200) });
    expect(again.written).toBe(false);
    r = await audit({ clients: e.clients, config: e.config, now: at(1500) });
    expect(r.document.generatedAt).toBe(T0.toISOString());
    expect(r).toMatchObject({ documentAgeSeconds: 300, reconcileAgeSeconds: 300, lastFullReconcileAt: at(1200)().toISOString() });
  });

  it("no document yet: every running target is missing and the document age is unknown", async () => {
    env = await startSimEnv({ scenario: generateScenario({ services: 2, tasksPerService: 2 }) });
    const r = await audit({ clients: env.clients, config: env.config, now: at(0) });
    expect(r.document).toMatchObject({ present: false, generation: 0, targets: 0 });
    expect(r.missing).toHaveLength(4);
    expect(r.documentAgeSeconds).toBeUndefined();
    expect(r.reconcileAgeSeconds).toBeUndefined();
    expect(auditMetrics(r).map((m) => m.name)).toEqual(["StaleTargets", "MissingTargets", "DiscoveryErrors"]);
    expect(hasFindings(r)).toBe(true);
  });

  it("an invalid document is an error and is not compared", async () => {
    const e = await published();
    await e.clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: e.config.key, Body: "{not json" }));
    // With a valid shard index newer than it, the index is compared and the document still an error.
    const withIndex = await audit({ clients: e.clients, config: e.config, now: at(60) });
    expect(withIndex.compared).toBe(true);
    expect(withIndex.errors).toEqual([expect.objectContaining({ scope: "document", operation: "parse" })]);
    // The single document alone (no index): not compared.
    await e.clients.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: indexKeyOf(e.config.key) }));
    const r = await audit({ clients: e.clients, config: e.config, now: at(60) });
    expect(r.compared).toBe(false);
    expect(r.missing).toEqual([]);
    expect(r.document.invalid).toBeDefined();
    expect(r.errors).toEqual([expect.objectContaining({ scope: "document", operation: "parse" })]);
    expect(r.documentAgeSeconds).toBeUndefined();
  });
});
