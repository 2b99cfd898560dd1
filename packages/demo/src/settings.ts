// What the demo tells about the deployed stack, read from its synthesised model and from
// nothing written by hand: the reconcile function's event source (batch size, batching
// window, concurrency), its queue (visibility timeout, dead-letter queue after N
// receives), the event rules that feed that queue, the schedules (the safety net through
// the queue, the audit straight to its function) and the alarms on the audit's metrics.
// Pure: a StackModel in, the settings out; a stack without that wiring is an error naming it.
import { AUDIT_METRIC_NAMES } from "@scrape-reconciler/audit";
import type { StackModel } from "@scrape-reconciler/emulator";

export type AlarmModel = StackModel["alarms"][number];

export class StackSettingsError extends Error {
  override name = "StackSettingsError";
}

export interface ScheduleSetting {
  rule: string;
  expression: string;
}

export interface DeployedSettings {
  reconcileFn: string;
  /** The reconcile function's timeout (s). */
  reconcileTimeoutSeconds: number;
  auditFn: string;
  /** Logical names of the event queue and its dead-letter queue. */
  queue: string;
  deadLetterQueue?: string;
  batchSize: number;
  batchWindowSeconds: number;
  maxConcurrency?: number;
  visibilityTimeoutSeconds: number;
  maxReceiveCount?: number;
  /** The rules with an event pattern that send to the queue (logical names). */
  eventRules: string[];
  /** The scheduled rule that sends to the queue (the safety net) and the one that invokes the audit. */
  reconcileSchedule: ScheduleSetting;
  auditSchedule: ScheduleSetting;
  /** The alarms on the metrics the audit emits (StaleTargets, MissingTargets, ...). */
  auditAlarms: AlarmModel[];
}

/** A function of the stack by its role: `scrape-reconciler-demo-reconcile` for "reconcile". */
export function functionOf(model: StackModel, role: string): string {
  const f = model.functions.find((x) => x.name.endsWith(`-${role}`));
  if (!f) throw new StackSettingsError(`the stack has no ${role} function (functions: ${model.functions.map((x) => x.name).join(", ") || "none"})`);
  return f.name;
}

export function deployedSettings(model: StackModel): DeployedSettings {
  const reconcileFn = functionOf(model, "reconcile");
  const reconcileTimeoutSeconds = model.functions.find((f) => f.name === reconcileFn)!.timeoutSeconds;
  const auditFn = functionOf(model, "audit");
  const esm = model.eventSourceMappings.find((m) => m.functionName === reconcileFn);
  if (!esm) throw new StackSettingsError(`the stack has no event source mapping for ${reconcileFn}`);
  const queue = model.queues.find((q) => q.arn === esm.queueArn);
  if (!queue) throw new StackSettingsError(`event source ${esm.logicalName}: queue ${esm.queueArn} is not in the stack`);
  const dlq = queue.redrive ? model.queues.find((q) => q.arn === queue.redrive!.deadLetterTargetArn) : undefined;
  const toQueue = model.rules.filter((r) => r.targets.some((t) => t.kind === "sqs" && t.arn === queue.arn));
  const reconcileSchedule = toQueue.find((r) => r.schedule !== undefined);
  if (!reconcileSchedule) throw new StackSettingsError(`no scheduled rule sends to queue ${queue.logicalName} (the safety net)`);
  const auditSchedule = model.rules.find(
    (r) => r.schedule !== undefined && r.targets.some((t) => t.kind === "lambda" && t.arn.endsWith(`:function:${auditFn}`)),
  );
  if (!auditSchedule) throw new StackSettingsError(`no scheduled rule invokes ${auditFn}`);
  return {
    reconcileFn,
    reconcileTimeoutSeconds,
    auditFn,
    queue: queue.logicalName,
    ...(dlq ? { deadLetterQueue: dlq.logicalName } : {}),
    batchSize: esm.batchSize,
    batchWindowSeconds: esm.batchingWindowSeconds,
    ...(esm.maximumConcurrency !== undefined ? { maxConcurrency: esm.maximumConcurrency } : {}),
    visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
    ...(queue.redrive ? { maxReceiveCount: queue.redrive.maxReceiveCount } : {}),
    eventRules: toQueue.filter((r) => r.pattern !== undefined).map((r) => r.logicalName),
    reconcileSchedule: { rule: reconcileSchedule.logicalName, expression: reconcileSchedule.schedule! },
    auditSchedule: { rule: auditSchedule.logicalName, expression: auditSchedule.schedule! },
    auditAlarms: model.alarms.filter((a) => (AUDIT_METRIC_NAMES as readonly string[]).includes(a.metricName)),
  };
}
