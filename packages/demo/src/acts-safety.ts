// The demo's acts about failures, on the deployed stack: an AWS throttling storm during
// which the safety net (the stack's schedule rule, fired now: its event goes through the
// queue to the reconcile function, as deployed) fails in parts and the document never
// shrinks; then events lost to disabled rules, found by the audit function (fired by its
// own schedule rule; its EMF metrics feed the stack's alarms) and repaired by the safety net.
import type { AuditSummary, AuditTarget } from "@scrape-reconciler/audit";
import { actResult, pickServices, settle, sleep, until, type ActContext } from "./context";
import type { LogRecord } from "./function-logs";
import type { BatchReport } from "./pipeline";

/** What the audit function logs ("audit clean" / "audit findings"). */
export type AuditLog = LogRecord & AuditSummary & { staleTargets?: AuditTarget[]; missingTargets?: AuditTarget[] };

/** Fires the stack's safety-net schedule: its rule sends the scheduled event to the queue. Returns a waiter for the batch that ran it. */
function fireSafetyNet(ctx: ActContext, label: string): () => BatchReport | undefined {
  const { p, s } = ctx;
  const rule = s.settings.reconcileSchedule;
  const seen = s.pipeline.reports.length;
  p.line("rules", `${label}: ${rule.rule} (${rule.expression}) fires now → its scheduled event goes to the queue → full reconcile in the next batch`);
  s.emulation.fireSchedule(rule.rule);
  return () => s.pipeline.reports.slice(seen).find((r) => r.schedule);
}

/** Waits for the safety net's batch and prints what the function reported, with the AWS calls made since `calls0`. */
async function safetyNetResult(ctx: ActContext, ran: () => BatchReport | undefined, calls0: number, timeoutMs = 120_000): Promise<void> {
  const { p, s, n } = ctx;
  await until(ctx, () => ran() !== undefined, timeoutMs);
  await n.flush();
  const r = ran();
  if (!r?.summary?.fullReconcile) {
    p.line("reconcile", p.red(`no batch ran the scheduled full reconcile within ${timeoutMs / 1000} s`));
    return;
  }
  const log = s.sim.calls.log.slice(calls0);
  const faulted = log.filter((c) => c.fault);
  const byKey = new Map<string, number>();
  for (const c of faulted) byKey.set(c.key, (byKey.get(c.key) ?? 0) + 1);
  const top = [...byKey]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  const calls =
    faulted.length > 0
      ? `${faulted.length} of the ${log.length} AWS calls made meanwhile were throttled (${top}${byKey.size > 3 ? ", ..." : ""}; the SDK retried them with backoff)`
      : `${log.length} AWS calls meanwhile`;
  const full = r.summary.fullReconcile;
  const sum = r.summary;
  if ("error" in full) {
    p.line(
      "reconcile",
      p.red(`the full reconcile failed (${full.error}); ${calls} → it published nothing, the document stays; SQS delivers the schedule's record again`),
    );
  } else {
    const kept = full.failed > 0 ? p.red(`; ${full.failed} failed parts kept their last targets`) : "";
    const result = sum.documentWritten
      ? `${p.green(`generation ${sum.generation}`)}, ${sum.targets} targets`
      : `nothing to publish${sum.withheld ? ` (${sum.withheld})` : ""}, generation stays ${sum.generation}`;
    p.line("reconcile", `the safety net reported: ${full.durationMs} ms, drift ${full.drift} (targets the events had missed)${kept}; ${calls} → ${result}`);
  }
}

/** How long the storm lasts once the safety net has fired. */
const STORM_AFTER_SAFETY_NET_MS = 8000;

export async function throttlingStorm(ctx: ActContext): Promise<void> {
  const { p, s, n } = ctx;
  const svc = pickServices(s.sim.scenario).deploy;
  p.heading("Act 6 · an AWS throttling storm");
  p.note(
    "Half of the Cloud Map, ECS, EC2 and SSM calls now fail with ThrottlingException. Events need no AWS read\n" +
      "(their own data + cached lookups), so they still flow, slowed by the retries of their manifest write to SSM;\n" +
      "the safety net's full reconcile retries with backoff (the SDK's adaptive mode also slows its own rate), a part\n" +
      "that still fails keeps its last targets; the sidecar's SSM reads fail and its file stays. (The old sidecar wrote [] here.)",
  );
  const since = Date.now();
  const gen0 = n.generations.length;
  const before = s.tracker.targets("document").size;
  const calls0 = s.sim.calls.log.length;
  s.sim.setFaults({ rate: 0.5, errors: ["ThrottlingException"], services: ["servicediscovery", "ecs", "ec2", "ssm"] });
  p.line("aws", p.red("ThrottlingException on 50% of servicediscovery, ecs, ec2 and ssm calls"));
  let ran: (() => BatchReport | undefined) | undefined;
  try {
    const id = s.lifecycle.launch(svc.cluster, svc.name);
    s.sim.state.ecs.service(svc.cluster, svc.name).desiredCount += 1;
    await until(ctx, () => s.sim.state.task(id).lastStatus === "RUNNING", 5000);
    const published = () => [...s.tracker.targets("document").values()].some((t) => t.taskid === id);
    await until(ctx, published, 20_000);
    ran = fireSafetyNet(ctx, "safety net during the storm");
    await sleep(ctx, STORM_AFTER_SAFETY_NET_MS);
  } finally {
    s.sim.setFaults(null);
  }
  p.line("aws", "the storm is over (the full reconcile may still be retrying)");
  await safetyNetResult(ctx, ran, calls0);
  await settle(ctx);
  const during = n.generations.slice(gen0).map((g) => g.targets);
  const low = Math.min(before, ...during);
  const path = [before, ...during].join(" → ");
  actResult(ctx, since);
  p.result(
    `targets per published generation during the storm: ${path}; lowest ${low} ${low >= before ? p.green("(never below the start)") : p.red("(shrank!)")}`,
  );
}

/** Fires the audit's schedule rule (an asynchronous invoke, as deployed) and prints its log and the alarms its metrics drive. */
async function runAudit(ctx: ActContext, timeoutMs = 60_000): Promise<void> {
  const { p, s } = ctx;
  const rule = s.settings.auditSchedule;
  const audits = () => s.logs.finished.filter((i) => i.fn === s.auditFn);
  const seen = audits().length;
  s.emulation.fireSchedule(rule.rule);
  if (!(await until(ctx, () => audits().length > seen, timeoutMs))) {
    p.line("audit", p.red(`${rule.rule} fired, but the audit did not finish within ${timeoutMs / 1000} s`));
    return;
  }
  const inv = audits()[seen]!;
  const r = inv.records.find((x) => x.message === "audit clean" || x.message === "audit findings") as AuditLog | undefined;
  if (!r) {
    p.line("audit", p.red(`the audit function failed: ${inv.error ?? inv.status ?? "no report in its log"}`), inv.endedAt);
    return;
  }
  const who = (t: AuditTarget) => `${t.service || "?"} ${t.key.replace(/^\w+:\/\//, "")}`;
  p.line(
    "audit",
    `${rule.rule} → document generation ${r.generation}: ${r.documentTargets} targets; AWS now: ${r.discoveredTargets} → ${r.missing} missing, ${r.stale} stale, ${r.errors} errors`,
    inv.endedAt,
  );
  for (const t of (r.missingTargets ?? []).slice(0, 3)) p.line("audit", p.red(`missing ${who(t)}`), inv.endedAt);
  for (const t of (r.staleTargets ?? []).slice(0, 3)) p.line("audit", p.red(`stale   ${who(t)}`), inv.endedAt);

  // The stack's alarms on the audit's metrics, from the EMF lines it just logged.
  const firing: string[] = [];
  const parts = s.settings.auditAlarms.map((a) => {
    const { state, value } = s.emulation.alarm(a.logicalName);
    if (state !== "ALARM") return `${a.metricName}=${value ?? "-"}`;
    firing.push(`${a.logicalName} (after ${a.evaluationPeriods} period${a.evaluationPeriods > 1 ? "s" : ""} of 5 min)`);
    return p.red(`${a.metricName}=${value} > ${a.threshold} ALARM`);
  });
  p.line("alarm", parts.join(" · "));
  if (firing.length > 0) p.line("alarm", p.red(`would notify SNS: ${firing.join(", ")}, unless the safety net fixes it first`));
  else p.line("alarm", p.green("no alarm"));
}

export async function lostEvents(ctx: ActContext): Promise<void> {
  const { p, s } = ctx;
  const svc = pickServices(s.sim.scenario).lost;
  const { auditSchedule, reconcileSchedule } = s.settings;
  p.heading("Act 7 · lost events, the audit and the safety net");
  p.note(
    `Someone disables the stack's event rules for a moment (or the CloudTrail trail stops) while ${svc.name} scales out:\n` +
      `no event reaches the queue. The audit (${auditSchedule.expression} when deployed; fired now) compares the document with\n` +
      `AWS and its metrics raise the alarms; the safety net (${reconcileSchedule.expression}; fired now) finds the drift and publishes it.`,
  );
  const since = Date.now();
  const rules = s.pipeline.pause();
  p.line("rules", p.red(`DisableRule ${rules.join(", ")}`));
  const id = s.lifecycle.launch(svc.cluster, svc.name);
  s.sim.state.ecs.service(svc.cluster, svc.name).desiredCount += 1;
  await until(ctx, () => s.sim.state.task(id).lastStatus === "RUNNING", 5000);
  await sleep(ctx, 300);
  const lost = s.pipeline.resume();
  p.line("rules", `EnableRule ${rules.join(", ")}; ${p.red(`${lost} events were lost`)} (task state changes and Cloud Map registrations)`);
  await runAudit(ctx);
  const calls0 = s.sim.calls.log.length;
  await safetyNetResult(ctx, fireSafetyNet(ctx, "safety net"), calls0);
  await settle(ctx);
  await runAudit(ctx);
  actResult(ctx, since, "the task's RUNNING (the event was lost: the safety net found it)");
}
