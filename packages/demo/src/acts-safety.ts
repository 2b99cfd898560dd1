// The demo's acts about failures: an AWS throttling storm during which a scheduled full
// reconcile fails in parts (and the document never shrinks), then events lost to a
// disabled rule, found by the audit (with the alarms it would raise) and repaired by the
// safety-net full reconcile.
import { audit, auditMetrics, type AuditReport } from "@scrape-reconciler/audit";
import { handleInput } from "@scrape-reconciler/events";
import { actResult, pickServices, settle, sleep, until, type ActContext } from "./context";

/** The stage defaults of the alarms on the audit's metrics (infra/config.ts, infra/alarms.ts). */
export const ALARM_DEFAULTS = { evaluationPeriods: 3, periodSeconds: 300, documentMaxAgeSeconds: 1800, reconcileMaxAgeSeconds: 1800 };

/** The safety net's input: the scheduled event EventBridge sends every 5 minutes. */
export function scheduledEvent(account: string, region: string, at = new Date()) {
  return {
    version: "0",
    id: `5c7e0000-0000-4000-8000-${at.getTime().toString(16).padStart(12, "0").slice(-12)}`,
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account,
    time: at.toISOString().replace(/\.\d{3}Z$/, "Z"),
    region,
    resources: [`arn:aws:events:${region}:${account}:rule/scrape-reconciler-demo-safety-net`],
    detail: {},
  };
}

/** Runs the scheduled full reconcile through the function's router and prints what it did. */
async function safetyNet(ctx: ActContext, label: string): Promise<void> {
  const { p, s, n } = ctx;
  const calls0 = s.sim.calls.log.length;
  p.line("reconcile", `${label}: the scheduled event arrives → full reconcile`);
  let r;
  try {
    r = await handleInput(s.deps, scheduledEvent(s.sim.state.accountId, s.sim.state.region));
  } catch (err) {
    p.line("reconcile", p.red(`full reconcile failed: ${(err as Error).message.split("\n")[0]} → nothing published, the document stays as it is`));
    return;
  }
  if (r.kind !== "reconcile") throw new Error(`unexpected ${r.kind} result`);
  const sum = r.summary;
  const log = s.sim.calls.log.slice(calls0);
  const throttled = log.filter((c) => c.fault).length;
  const at = Date.now();
  const storm = throttled > 0 ? `; ${throttled} of the ${log.length} AWS calls made meanwhile were throttled (the SDK retries with backoff)` : `, ${log.length} AWS calls`;
  p.line("reconcile", `done in ${sum.durationMs} ms${storm}; drift ${sum.drift} (targets the events had missed)`, at);
  for (const f of sum.failed.slice(0, 4)) {
    const where = f.scope === "namespace" ? `namespace ${f.name}` : `${f.scope} ${f.namespaceName ? `${f.namespaceName}/` : ""}${f.name}`;
    p.line("reconcile", p.red(`failed: ${where} (${f.operation}) → its last targets are kept`), at);
  }
  if (sum.failed.length > 4) p.line("reconcile", p.red(`... and ${sum.failed.length - 4} more failed parts, all kept`), at);
  if (sum.written) {
    const { diff } = await n.refreshDocument(label, at);
    p.line("reconcile", `→ ${p.green(`generation ${sum.generation}`)}: +${diff?.added.length ?? 0} -${diff?.removed.length ?? 0} = ${sum.targets} targets`, at);
  } else {
    p.line("reconcile", `→ nothing to publish${sum.withheld ? ` (${sum.withheld})` : ""}: generation stays ${sum.generation}, ${sum.targets} targets`, at);
  }
}

export async function throttlingStorm(ctx: ActContext): Promise<void> {
  const { p, s, n } = ctx;
  const svc = pickServices(s.sim.scenario).deploy;
  p.heading("Act 5 · an AWS throttling storm");
  p.note(
    "Half of the Cloud Map, ECS, EC2 and SSM calls now fail with ThrottlingException. Events need no AWS read\n" +
      "(their own data + cached lookups), so they still flow; the scheduled full reconcile fails in parts and keeps\n" +
      "those parts' last targets; the sidecar's SSM reads fail and its file stays. (The old sidecar wrote [] here.)",
  );
  const since = Date.now();
  const gen0 = n.generations.length;
  const before = s.tracker.targets("document").size;
  s.sim.setFaults({ rate: 0.5, errors: ["ThrottlingException"], services: ["servicediscovery", "ecs", "ec2", "ssm"] });
  p.line("aws", p.red("ThrottlingException on 50% of servicediscovery, ecs, ec2 and ssm calls"));
  try {
    const id = s.lifecycle.launch(svc.cluster, svc.name);
    s.sim.state.ecs.service(svc.cluster, svc.name).desiredCount += 1;
    await until(ctx, () => s.sim.state.task(id).lastStatus === "RUNNING", 5000);
    await safetyNet(ctx, "safety net during the storm");
    await sleep(ctx, 3000);
  } finally {
    s.sim.setFaults(null);
  }
  p.line("aws", "the storm is over");
  await settle(ctx);
  const during = n.generations.slice(gen0).map((g) => g.targets);
  const low = Math.min(before, ...during);
  const path = [before, ...during].join(" → ");
  actResult(ctx, since);
  p.result(
    `targets per published generation during the storm: ${path}; lowest ${low} ${low >= before ? p.green("(never below the start)") : p.red("(shrank!)")}`,
  );
}

function printAudit(ctx: ActContext, r: AuditReport): void {
  const { p } = ctx;
  const who = (t: { service?: string; key: string }) => `${t.service ?? "?"} ${t.key.replace(/^\w+:\/\//, "")}`;
  p.line("audit", `document generation ${r.document.generation}: ${r.document.targets} targets; AWS now: ${r.discovered.targets} → ${r.missing.length} missing, ${r.stale.length} stale, ${r.errors.length} errors`);
  for (const t of r.missing.slice(0, 3)) p.line("audit", p.red(`missing ${who(t)}`));
  for (const t of r.stale.slice(0, 3)) p.line("audit", p.red(`stale   ${who(t)}`));
  const limits: Record<string, number> = { DocumentAgeSeconds: ALARM_DEFAULTS.documentMaxAgeSeconds, ReconcileAgeSeconds: ALARM_DEFAULTS.reconcileMaxAgeSeconds };
  const parts = auditMetrics(r).map((m) => {
    const limit = limits[m.name] ?? 0;
    const breach = m.value > limit;
    const text = `${m.name}=${m.value}${breach ? ` > ${limit}` : ""}`;
    return breach ? p.red(`${text} ALARM`) : text;
  });
  p.line("alarm", `${parts.join(" · ")}`);
  const firing = auditMetrics(r).filter((m) => m.value > (limits[m.name] ?? 0));
  if (firing.length > 0) {
    const periods = ALARM_DEFAULTS.evaluationPeriods;
    p.line("alarm", p.red(`would notify SNS: ${firing.map((m) => m.name.replace(/Seconds$/, "Age")).join(", ")} (after ${periods} audits ${ALARM_DEFAULTS.periodSeconds / 60} min apart, unless the safety net fixes it first)`));
  } else {
    p.line("alarm", p.green("no alarm"));
  }
}

export async function lostEvents(ctx: ActContext): Promise<void> {
  const { p, s } = ctx;
  const svc = pickServices(s.sim.scenario).lost;
  p.heading("Act 6 · lost events, the audit and the safety net");
  p.note(
    `Someone disables the ECS rule for a moment (or the CloudTrail trail stops) while ${svc.name} scales out:\n` +
      "no event reaches the queue. The audit compares the document with AWS and raises the alarm; the scheduled\n" +
      "full reconcile (every 5 min when deployed) finds the drift and publishes it.",
  );
  const since = Date.now();
  s.pipeline.pause("rule disabled");
  p.line("rules", p.red("the ECS task-state rule is disabled"));
  const id = s.lifecycle.launch(svc.cluster, svc.name);
  s.sim.state.ecs.service(svc.cluster, svc.name).desiredCount += 1;
  await until(ctx, () => s.sim.state.task(id).lastStatus === "RUNNING", 5000);
  await sleep(ctx, 300);
  const lost = s.pipeline.resume();
  p.line("rules", `the rule is enabled again; ${p.red(`${lost} events were lost`)} (task state changes and Cloud Map registrations)`);
  printAudit(ctx, await audit({ clients: s.clients, config: s.config, now: () => new Date(), ...(s.deps.taskDefinitions ? { taskDefinitions: s.deps.taskDefinitions } : {}) }));
  await safetyNet(ctx, "safety net");
  await settle(ctx);
  printAudit(ctx, await audit({ clients: s.clients, config: s.config, now: () => new Date(), ...(s.deps.taskDefinitions ? { taskDefinitions: s.deps.taskDefinitions } : {}) }));
  actResult(ctx, since, "the task's RUNNING (the event was lost: the safety net found it)");
}
