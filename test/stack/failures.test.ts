// Failures on the deployed path (rule -> queue -> event source -> reconcile bundle on
// Node 24): a throttling storm is delivered again and converges with an empty dead-letter
// queue; a poison record reaches it after maxReceiveCount and the DLQ alarm sees it.
import { describe, expect, it } from "vitest";
import { scenarioSuite, type ScenarioStack } from "../support/emulated-stack";
import { ACCOUNT_SCENARIO } from "./scenarios";

const suite = scenarioSuite({ region: ACCOUNT_SCENARIO.region!, accountId: ACCOUNT_SCENARIO.accountId! });
let s: ScenarioStack;

describe("a throttling storm and a poison record", () => {
  it("failed records come back after the visibility timeout and converge; the dead-letter queue stays empty", async () => {
    s = await suite.deploy({ sim: { scenario: ACCOUNT_SCENARIO } });
    s.sim.setFaults({ rate: 0.6, services: ["ecs", "ec2"], errors: ["ThrottlingException"] });
    const st = s.sim.state;
    st.deployService("workers", "celery", 3);
    st.setDesiredCount("web", "frontend", 5);
    s.flush();
    await new Promise((r) => setTimeout(r, 8_000));
    s.sim.setFaults(null);
    await s.stack.settle(120_000);
    expect((await s.published())!.bytes).toBe(await s.expectedBytes());
    expect(s.stack.queue("ReconcileDeadLetters").size()).toBe(0);
    expect(s.stack.alarm("DeadLetterAlarm").state).toBe("OK");
  }, 180_000);

  it("a record that always fails reaches the DLQ after maxReceiveCount, and the DLQ alarm's metric shows it", async () => {
    s = await suite.deploy({ sim: { scenario: ACCOUNT_SCENARIO } });
    const events = s.stack.queue("ReconcileEvents");
    const maxReceiveCount = events.model.redrive!.maxReceiveCount;
    // A new ECS service the state has never seen: its lookup is denied for good.
    s.sim.setFaults({ deny: { "ecs:DescribeServices": "AccessDeniedException" } });
    s.sim.state.startTask("workers", "batch");
    s.flush();
    await s.stack.settle(180_000);
    const dead = s.stack.queue("ReconcileDeadLetters").list();
    expect(dead.length).toBeGreaterThan(0);
    expect(dead.every((m) => m.receiveCount === maxReceiveCount + 1)).toBe(true);
    expect(s.stack.alarm("DeadLetterAlarm")).toEqual({ state: "ALARM", value: dead.length });
  }, 240_000);
});
