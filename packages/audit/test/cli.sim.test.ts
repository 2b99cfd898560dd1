// `scrape-reconciler audit [--json]` (packages/cli/src/commands/audit.ts) against the
// simulator: the human report, the JSON report and the exit codes (0 clean, 1 findings).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reconcile } from "@scrape-reconciler/reconcile";
import { generateScenario } from "@scrape-reconciler/sim";
import { auditCommand, UsageError } from "@scrape-reconciler/cli";
import { startSimEnv, type SimEnv } from "../../../test/support/sim-env";

let env: SimEnv;
beforeAll(async () => {
  env = await startSimEnv({ scenario: generateScenario({ services: 3, tasksPerService: 2 }) });
});
afterAll(async () => {
  await env?.sim.close();
});

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await auditCommand(args, env.env, {
    out: (t) => {
      out += `${t}\n`;
    },
    err: (t) => {
      err += `${t}\n`;
    },
  });
  return { code, out, err };
}

describe("scrape-reconciler audit", () => {
  it("before any publication: exit 1, every target missing, no document", async () => {
    const r = await run([]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^document: none published$/m);
    expect(r.out).toMatch(/^stale: 0, missing: 6,/m);
    expect(r.out).toMatch(/^result: FINDINGS/m);
  });

  it("after a reconcile: exit 0 and a clean report", async () => {
    await reconcile({ clients: env.clients, config: env.config, now: () => new Date() });
    const r = await run([]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^document: generation 1, 6 targets, generated \d{4}-/m);
    expect(r.out).toMatch(/^manifest: generation 1 \(matches the document\)$/m);
    expect(r.out).toMatch(/^stale: 0, missing: 0,/m);
    expect(r.out).toMatch(/^result: OK$/m);
    expect(r.err).toBe("");
  });

  it("a stopped task: exit 1, the service and the target named; --json carries the same", async () => {
    const svc = env.sim.scenario.services[0]!;
    env.sim.state.stopTask(env.sim.state.tasks({ service: svc.name })[0]!.taskArn!);
    const text = await run([]);
    expect(text.code).toBe(1);
    expect(text.out).toContain(`  ${svc.namespace}/${svc.name}: 1 stale, 0 missing`);
    expect(text.out).toMatch(new RegExp(`^  - http://[\\d.]+:8080/metrics  ${svc.namespace}/${svc.name} task \\w+$`, "m"));
    const json = await run(["--json"]);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.out) as { ok: boolean; stale: { service: string }[]; missing: unknown[]; errors: unknown[] };
    expect(report.ok).toBe(false);
    expect(report.stale.map((t) => t.service)).toEqual([svc.name]);
    expect(report.missing).toEqual([]);
  });

  it("an AWS error is reported with its operation and exits 1", async () => {
    env.sim.setFaults({ deny: { "servicediscovery:ListNamespaces": "AccessDeniedException" } });
    try {
      const r = await run([]);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/^comparison: not possible/m);
      expect(r.out).toMatch(/^ {2}! servicediscovery:ListNamespaces \(listing\): .*AccessDeniedException/m);
    } finally {
      env.sim.setFaults(null);
    }
  });

  it("an unknown flag is a usage error", async () => {
    await expect(run(["--yaml"])).rejects.toBeInstanceOf(UsageError);
  });
});
