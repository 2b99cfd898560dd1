// Scenario tests' set-up: the local simulator as the AWS account, the stack synthesised
// from the real sst.config.ts and brought up on it by the emulator (functions from their
// bundles on Node 24, the stack's rules, queues and schedules), the simulator's own
// EventBridge events put on the emulated bus, and readers for what the stack published.
// Nothing of the wiring is typed here: it all comes from the synthesis.
import { fileURLToPath } from "node:url";
import { rmSync } from "node:fs";
import { afterAll, afterEach, beforeAll } from "vitest";
import { S3Client } from "@aws-sdk/client-s3";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { createReconcilerClients, documentFromScratch, parseReconcileConfig } from "@scrape-reconciler/reconcile";
import type { Manifest } from "@scrape-reconciler/core";
import { readPublishedTargets } from "@scrape-reconciler/store";
import { EmulatedStack, synthesize, type EmulationOptions, type Synthesis } from "@scrape-reconciler/emulator";
import { EventBridgeEmitter, simClientConfig, startSimulator, type Simulator, type SimulatorOptions } from "@scrape-reconciler/sim";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const STAGE = "emu";
/** The stage the scenarios deploy: every namespace and cluster, the default tags, no forwarder. */
export const STAGE_CONFIG = { alarms: { evaluationPeriods: 1 } };

export interface ScenarioStack {
  sim: Simulator;
  stack: EmulatedStack;
  emitter: EventBridgeEmitter;
  reconcileFn: string;
  auditFn: string;
  /** Puts what the simulated account emitted since the last call on the bus; returns the events put. */
  flush(): number;
  /** The published targets (parsed: the single document or the shard index's, whichever is newer) and the manifest, or undefined before the first publication. */
  published(): Promise<{ document: unknown[]; bytes: string; manifest: Manifest } | undefined>;
  /** What a full reconcile of the account as it is now would publish (dry run, same settings as the stack). */
  expectedBytes(): Promise<string>;
  close(): Promise<void>;
}

export interface ScenarioOptions
  extends Partial<Pick<EmulationOptions, "scheduleScale" | "visibilityScale" | "asyncRetryDelayMs" | "skipDeployInvocations" | "onLog">> {
  sim: SimulatorOptions;
  synthesis: Synthesis;
  emitter?: ConstructorParameters<typeof EventBridgeEmitter>[1];
}

/** One synthesis per test file (about 10 s); deployments reuse it. */
export function synthesizeFor(sim: { region: string; accountId: string }): Promise<Synthesis & { outDir: string }> {
  return synthesize({ root: ROOT, stage: STAGE, config: STAGE_CONFIG, account: sim.accountId, region: sim.region });
}

export async function startScenario(o: ScenarioOptions): Promise<ScenarioStack> {
  const sim = await startSimulator(o.sim);
  let stack: EmulatedStack | undefined;
  const emitter = new EventBridgeEmitter(sim.state, o.emitter ?? {});
  try {
    stack = await EmulatedStack.deploy({
      root: ROOT,
      stage: STAGE,
      aws: sim,
      synthesis: o.synthesis,
      scheduleScale: o.scheduleScale ?? 0,
      visibilityScale: o.visibilityScale ?? 1 / 360,
      asyncRetryDelayMs: o.asyncRetryDelayMs ?? 200,
      ...(o.skipDeployInvocations ? { skipDeployInvocations: true } : {}),
      ...(o.onLog ? { onLog: o.onLog } : {}),
    });
  } catch (err) {
    emitter.close();
    await sim.close();
    throw err;
  }
  const s = stack;
  const fnEnv = s.model.functions.find((f) => f.name === s.functionNamed("reconcile"))!.environment;
  const env = { ...sim.endpointEnv(), ...fnEnv };
  const config = parseReconcileConfig(env);
  const s3 = new S3Client(simClientConfig(sim));
  const ssm = new SSMClient(simClientConfig(sim));
  return {
    sim,
    stack: s,
    emitter,
    reconcileFn: s.functionNamed("reconcile"),
    auditFn: s.functionNamed("audit"),
    flush() {
      const events = emitter.drain();
      if (events.length > 0) s.put(events);
      return events.length;
    },
    async published() {
      // The newest publication, as a sidecar following the manifest reads it: the single
      // document, or the shard index and its shards once event batches moved it past the document.
      const targets = await readPublishedTargets({ s3, bucket: config.bucket, key: config.key });
      if (targets === undefined) return undefined;
      if (targets.invalid) throw new Error(`the published targets are invalid: ${targets.invalid}`);
      const p = await ssm.send(new GetParameterCommand({ Name: config.manifestParameter }));
      return { document: JSON.parse(targets.text) as unknown[], bytes: targets.text, manifest: JSON.parse(p.Parameter!.Value!) };
    },
    async expectedBytes() {
      const clients = createReconcilerClients(env);
      try {
        // A full reconcile from scratch (its container-instance reads included), nothing written.
        const r = await documentFromScratch({ clients, config, now: () => new Date() });
        if (r.failed.length > 0) throw new Error(`the reference discovery failed for ${r.failed.map((f) => f.name).join(", ")}`);
        if (r.text === undefined) throw new Error(`the reference reconcile would publish nothing: ${r.withheld}`);
        return r.text;
      } finally {
        for (const c of Object.values(clients)) c.destroy();
      }
    },
    async close() {
      emitter.close();
      await s.close();
      s3.destroy();
      ssm.destroy();
      await sim.close();
    },
  };
}

/**
 * A test file's scenarios: one synthesis for the file (before all), each test deploys its
 * own stack with `deploy(...)`, closed after it.
 */
export function scenarioSuite(account: { region: string; accountId: string }) {
  let synthesis: (Synthesis & { outDir: string }) | undefined;
  let current: ScenarioStack | undefined;
  beforeAll(async () => {
    synthesis = await synthesizeFor(account);
  }, 120_000);
  afterAll(() => {
    if (synthesis) rmSync(synthesis.outDir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return {
    get synthesis(): Synthesis {
      if (!synthesis) throw new Error("the synthesis runs in beforeAll");
      return synthesis;
    },
    async deploy(o: Omit<ScenarioOptions, "synthesis">): Promise<ScenarioStack> {
      current = await startScenario({ ...o, synthesis: this.synthesis });
      return current;
    },
  };
}
