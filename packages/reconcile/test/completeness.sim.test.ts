// The full reconcile and the "never completed" rule through the real SDK on the simulator:
// `[]` only after a discovery that fully succeeded, a first partial discovery withheld, a
// lost state covered by the published document (never shrunk, generations going on), old
// states migrated, and changes applied before the merge in the same state write.
import { afterEach, describe, expect, it } from "vitest";
import { applyEvent, type ReconcilerState } from "@scrape-reconciler/core";
import { generateScenario } from "@scrape-reconciler/sim";
import { reconcile } from "../src";
import { putConditional, readPublished, readState } from "@scrape-reconciler/store";
import { startSimEnv, type SimEnv } from "../../../test/support/sim-env";

let env: SimEnv | undefined;
afterEach(async () => {
  await env?.sim.close();
  env = undefined;
});

const now = () => new Date();
const deps = (e: SimEnv, clients = e.clients) => ({ clients, config: e.config, now });
const published = (e: SimEnv) => readPublished({ ...e.clients, bucket: e.config.bucket, key: e.config.key });
const stored = async (e: SimEnv) => (await readState({ s3: e.clients.s3, bucket: e.config.bucket, stateKey: e.config.stateKey }, now())).state;
const denyDescribeTasks = (e: SimEnv) => e.sim.setFaults({ deny: { "ecs:DescribeTasks": "ThrottlingException" } });

describe("the never-completed rule in the full reconcile", () => {
  it("publishes [] on a fresh bucket only when the discovery fully succeeded and found nothing", async () => {
    env = await startSimEnv({ scenario: generateScenario({ services: 3, tasksPerService: 0 }) });
    const s = await reconcile(deps(env));
    expect(s).toMatchObject({ written: true, complete: true, targets: 0, generation: 1 });
    expect((await published(env))!.text).toBe("[]\n");
  });

  it("a first discovery failing in part publishes nothing, writes its facts, and the next complete one publishes", async () => {
    const scenario = generateScenario({ services: 3, tasksPerService: 2, namespaces: 1, clusters: 1 });
    scenario.services![2]!.desiredCount = 0;
    env = await startSimEnv({ scenario });
    const other = env.sim.state.cloudMapServiceFor(scenario.services![2]!.cluster, scenario.services![2]!.name);
    env.sim.state.registerInstance(other.id, "on-prem-1", { AWS_INSTANCE_IPV4: "10.9.9.1", AWS_INSTANCE_PORT: "8080" });
    denyDescribeTasks(env);
    const first = await reconcile(deps(env, env.clientsWith({ maxAttempts: 1 })));
    expect(first).toMatchObject({ written: false, stateWritten: true, complete: false, targets: 0 });
    expect(first.failed).toHaveLength(2);
    expect(first.withheld).toMatch(/^the state has never been completed by a full discovery \(its last discovery failed for 2 part\(s\)/);
    expect(await published(env)).toBeUndefined();
    expect((await stored(env)).services[other.id]?.instances["on-prem-1"]).toBeDefined();
    env.sim.setFaults(null);
    const second = await reconcile(deps(env));
    expect(second).toMatchObject({ written: true, complete: true, targets: 5, generation: 1, drift: 0 });
  });

  it("after a lost state, a partial discovery is covered by the published document: nothing shrinks, generations go on", async () => {
    env = await startSimEnv({ scenario: generateScenario({ services: 4, tasksPerService: 2, namespaces: 1, clusters: 1 }) });
    await reconcile(deps(env));
    const task = env.sim.state.tasks({ status: "RUNNING" })[0]!;
    env.sim.state.stopTask(task.taskArn!);
    await reconcile(deps(env));
    const before = (await published(env))!;
    expect(before).toMatchObject({ stateGeneration: 2, generation: 2 });
    env.sim.state.s3.delete(env.config.bucket, env.config.stateKey);
    denyDescribeTasks(env);
    const covered = await reconcile(deps(env, env.clientsWith({ maxAttempts: 1 })));
    expect(covered).toMatchObject({ complete: true, written: false, targets: 7 });
    expect((await published(env))!.text).toBe(before.text);
    expect((await stored(env)).generation).toBe(3);
    env.sim.setFaults(null);
    env.sim.state.startTask(env.sim.scenario.services[0]!.cluster, env.sim.scenario.services[0]!.name);
    const after = await reconcile(deps(env));
    expect(after).toMatchObject({ written: true, targets: 8, generation: 3, stateGeneration: 4 });
  });

  it("migrates an old state: complete when its last full reconcile had nothing failed", async () => {
    env = await startSimEnv({ scenario: generateScenario({ services: 2, tasksPerService: 1 }) });
    await reconcile(deps(env));
    const { state, etag } = await readState({ s3: env.clients.s3, bucket: env.config.bucket, stateKey: env.config.stateKey }, now());
    const old: Partial<ReconcilerState> = { ...state };
    delete old.complete;
    await putConditional(env.clients.s3, env.config.bucket, env.config.stateKey, JSON.stringify(old), { ifMatch: etag });
    const s = await reconcile(deps(env));
    expect(s).toMatchObject({ complete: true, stateWritten: true, written: false, drift: 0 });
    expect((await stored(env)).complete).toBe(true);
  });
});

describe("changes applied before the merge", () => {
  it("land in the same state write, keep a newer task version, and are not counted as drift", async () => {
    env = await startSimEnv({ scenario: generateScenario({ services: 2, tasksPerService: 1, namespaces: 1, clusters: 1 }) });
    await reconcile(deps(env));
    const state = await stored(env);
    const [id, known] = Object.entries(state.tasks)[0]!;
    const generation = state.generation;
    const s = await reconcile(deps(env), {
      before: (st) =>
        void applyEvent(st, { kind: "task", eventId: "e-1", time: new Date().toISOString(), facts: { ...known.facts, version: known.version + 10 } }),
    });
    expect(s).toMatchObject({ stateWritten: true, written: false, drift: 0, targets: 2 });
    const after = await stored(env);
    expect(after.generation).toBe(generation + 1);
    expect(after.tasks[id]?.version).toBe(known.version + 10);
  });
});
