// The full reconcile describes a known running task again only in its turn (core's
// verification.ts), and is still exact: a task the state does not know is described at once,
// a task that stopped without its events is gone from Cloud Map and so from the targets at
// once, a service's tags (its opt-in) changed without its event are read again in its turn,
// and after a full round of slots every task has been described again. On the
// simulator with the real SDK clients, with the reconciler's clock moved by hand.
import { generateScenario } from "@scrape-reconciler/sim";
import { isScraped, VERIFY_SLOT_MS, VERIFY_SLOTS } from "@scrape-reconciler/core";
import { afterAll, describe, expect, it } from "vitest";
import { startSimEnv, type SimEnv } from "../../../test/support/sim-env";
import { reconcile } from "../src";
import { fullReconcileBytes, published, storedState } from "./support";

let env: SimEnv | undefined;
afterAll(async () => env?.sim.close());

describe("known running tasks described in their turn", () => {
  it("describes every task first, then none in the same slot, unknown ones at once, and all again within a round", async () => {
    env = await startSimEnv({ scenario: generateScenario({ services: 4, tasksPerService: 6, namespaces: 2, seed: "verify" }) });
    const e = env;
    let clock = Math.ceil(Date.now() / VERIFY_SLOT_MS) * VERIFY_SLOT_MS + 1000;
    const deps = { clients: e.clients, config: e.config, now: () => new Date(clock) };
    const first = await reconcile(deps);
    // The running tasks of opted-in services (the scenario's untagged services have none described).
    const n = first.stats.tasksDescribed;
    expect(n).toBeGreaterThan(10);
    expect(first.stats.tasksKnown).toBe(0);
    // The listed tasks the state holds as scraped (the others, e.g. still activating, are described every time).
    const scraped = async () => {
      const st = await storedState(e);
      return Object.values(st.services)
        .flatMap((svc) => Object.keys(svc.instances))
        .filter((id) => st.tasks[id] && !st.tasks[id]!.goneAt && isScraped(st.tasks[id]!.facts)).length;
    };
    const running = () => n;

    // The same slot: every running task is known, none described; the targets stay exact.
    clock += 1000;
    const known = await scraped();
    expect(known).toBeGreaterThan(10);
    const services = Object.keys((await storedState(e)).services).length;
    const same = await reconcile(deps);
    expect(same.stats.tasksKnown).toBe(known);
    expect(same.stats.tagsKnown).toBe(services);
    expect(same.stats.tasksDescribed).toBe(n - known);
    expect((await published(e))!.text).toBe(await fullReconcileBytes(e));
    // A dry run describes the slot due but writes nothing: the next run describes it again.
    clock += VERIFY_SLOT_MS;
    const dry = await reconcile(deps, { dryRun: true });
    expect(dry.stats.tasksDescribed).toBeGreaterThan(n - known);
    clock += 1000;
    expect((await reconcile(deps)).stats.tasksDescribed).toBe(dry.stats.tasksDescribed);

    // Changes whose events were missed: a task started (unknown: described at once) and one
    // stopped (deregistered from Cloud Map: its target goes with the listing).
    const svc = e.sim.scenario.services[0]!;
    e.sim.state.startTask(svc.cluster, svc.name);
    const other = e.sim.scenario.services[1]!;
    const victim = e.sim.state.tasks({ cluster: other.cluster, service: other.name, status: "RUNNING" })[0]!;
    e.sim.state.stopTask(victim.taskArn!);
    clock += 1000;
    const missed = await reconcile(deps);
    expect(missed.stats.tasksDescribed).toBe(n - known + 1);
    expect(missed.stats.tasksKnown).toBe(known - 1);
    expect(missed.drift).toBeGreaterThanOrEqual(2);
    expect((await published(e))!.text).toBe(await fullReconcileBytes(e));

    // A service opted out by a tag change whose CloudTrail event was lost: its tags are read
    // again in its turn, within the round below.
    const optOut = e.sim.scenario.services[2]!;
    e.sim.state.setServiceTags(optOut.cluster, optOut.name, {});
    // One slot later about 1/VERIFY_SLOTS of the tasks; over a round, every one of them.
    let total = 0;
    let tagsRead = 0;
    for (let k = 0; k < VERIFY_SLOTS; k++) {
      clock += VERIFY_SLOT_MS;
      const r = await reconcile(deps);
      total += r.stats.tasksDescribed;
      tagsRead += services - r.stats.tagsKnown;
      expect(r.stats.tasksDescribed + r.stats.tasksKnown).toBeLessThanOrEqual(running());
    }
    // Each known service's tags read once over the round; the opted-out service's targets are gone.
    expect(tagsRead).toBeGreaterThanOrEqual(services);
    expect((await published(e))!.text).toBe(await fullReconcileBytes(e));
    // Each task still listed described at least once over the round.
    expect(total).toBeGreaterThanOrEqual(running() - 6);
    // A round later than the last run: everything at once.
    clock += VERIFY_SLOTS * VERIFY_SLOT_MS;
    const all = await reconcile(deps);
    expect(all.stats.tasksKnown).toBe(0);
    expect(all.stats.tagsKnown).toBe(0);
  });
});
