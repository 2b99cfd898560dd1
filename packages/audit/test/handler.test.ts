// The deployed audit handler module, configured from the environment like in Lambda and
// pointed at the simulator: its EMF output carries exactly the metric names, namespace
// and `service` dimension the CloudWatch alarms in infra/ watch, and its log names the
// affected services.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Context } from "aws-lambda";
import { reconcile } from "@scrape-reconciler/reconcile";
import { generateScenario } from "@scrape-reconciler/sim";
import { AUDIT_METRIC_NAMES } from "../src";
import { startSimEnv, type SimEnv } from "../../../test/support/sim-env";

let env: SimEnv;
let handler: (event: unknown, context: Context) => Promise<Record<string, unknown>>;
let lines: string[] = [];
const context = {
  functionName: "scrape-reconciler-test-audit",
  awsRequestId: "req-1",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:audit",
  memoryLimitInMB: "512",
  functionVersion: "$LATEST",
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;
const scheduled = {
  version: "0",
  id: "s-1",
  "detail-type": "Scheduled Event",
  source: "aws.events",
  account: "123456789012",
  time: "2026-11-25T10:00:00Z",
  region: "us-east-1",
  resources: [],
  detail: {},
};

/** The metric names infra/ declares: AUDIT_METRICS in audit.ts, and the metrics of the audit(...) alarm specs in alarms.ts. */
function infraMetricNames(): { declared: string[]; alarmed: string[] } {
  const audit = readFileSync(new URL("../../../infra/audit.ts", import.meta.url), "utf8");
  const alarms = readFileSync(new URL("../../../infra/alarms.ts", import.meta.url), "utf8");
  const list = /AUDIT_METRICS = \[([^\]]*)\]/.exec(audit)?.[1] ?? "";
  return {
    declared: [...list.matchAll(/"(\w+)"/g)].map((m) => m[1]!).sort(),
    alarmed: [...alarms.matchAll(/audit\(\s*"(\w+)"/g)].map((m) => m[1]!).sort(),
  };
}

function emfRecords(): Record<string, unknown>[] {
  return lines
    .flatMap((l) => l.split("\n"))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(async () => {
  env = await startSimEnv({ scenario: generateScenario({ services: 3, tasksPerService: 2 }) });
  await reconcile({ clients: env.clients, config: env.config, now: () => new Date() });
  Object.assign(process.env, env.env, {
    POWERTOOLS_SERVICE_NAME: "scrape-reconciler",
    POWERTOOLS_METRICS_NAMESPACE: "ScrapeReconciler",
    POWERTOOLS_METRICS_DISABLED: "false",
    POWERTOOLS_LOG_LEVEL: "INFO",
  });
  // EMF and info logs go to stdout, warnings to stderr.
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
  }
  handler = (await import("../../../functions/audit")).handler as unknown as typeof handler;
});
afterAll(async () => {
  vi.restoreAllMocks();
  await env?.sim.close();
});

describe("audit function", () => {
  it("the package's metric names are the ones infra declares and alarms on", () => {
    const { declared, alarmed } = infraMetricNames();
    expect(declared).toEqual([...AUDIT_METRIC_NAMES].sort());
    // Every metric the audit emits has its alarm (alarms.ts may alarm on others too).
    for (const name of AUDIT_METRIC_NAMES) expect(alarmed, name).toContain(name);
  });

  it("a clean account: returns ok and emits every metric under ScrapeReconciler with service = the app", async () => {
    lines = [];
    const summary = await handler(scheduled, context);
    expect(summary).toMatchObject({ ok: true, stale: 0, missing: 0, errors: 0, documentTargets: 6 });
    const [emf, ...more] = emfRecords();
    expect(more).toEqual([]);
    const aws = emf!._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
    const directive = aws.CloudWatchMetrics[0]!;
    expect(directive.Namespace).toBe("ScrapeReconciler");
    expect(directive.Dimensions).toEqual([["service"]]);
    expect(emf!.service).toBe("scrape-reconciler");
    expect(directive.Metrics.map((m) => m.Name).sort()).toEqual([...AUDIT_METRIC_NAMES].sort());
    expect(emf).toMatchObject({ StaleTargets: 0, MissingTargets: 0, DiscoveryErrors: 0 });
    expect(directive.Metrics.find((m) => m.Name === "DocumentAgeSeconds")?.Unit).toBe("Seconds");
  });

  it("a stopped task: StaleTargets 1 and a warning that names the service", async () => {
    const svc = env.sim.scenario.services[1]!;
    env.sim.state.stopTask(env.sim.state.tasks({ service: svc.name })[0]!.taskArn!);
    lines = [];
    const summary = await handler(scheduled, context);
    expect(summary).toMatchObject({ ok: false, stale: 1, missing: 0 });
    expect(emfRecords()[0]).toMatchObject({ StaleTargets: 1, MissingTargets: 0 });
    const log = lines
      .flatMap((l) => l.split("\n"))
      .filter((l) => l.includes('"audit findings"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ level: "WARN", stale: 1, services: [{ namespace: svc.namespace, service: svc.name, stale: 1, missing: 0 }] });
    expect(log[0]!.staleTargets).toEqual([expect.objectContaining({ namespace: svc.namespace, service: svc.name })]);
  });
});
