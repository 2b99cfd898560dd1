// The default event bus of the emulated account, driven by the stack's own rules: an
// event is matched against every enabled rule's pattern (infra/event-match.ts, the
// documented EventBridge semantics) and each matching rule's targets get it, transformed
// as the target says (`input`, `inputPath`, `inputTransformer`). Schedules (`rate(...)`)
// emit EventBridge's own "Scheduled Event" on a timer, with an optional time scale so a
// 5-minute safety net can run every few seconds in a test. Delivery checks the
// resource policy AWS would check: the queue's policy must let the rule send, a function
// needs a Lambda permission for the rule; a refused delivery is counted, as AWS counts
// FailedInvocations, and logged.
import { randomUUID } from "node:crypto";
import type { EventEnvelope } from "@scrape-reconciler/sim";
import { matchesPattern } from "../../../infra/event-match";
import { functionAllowsRule, queueAllowsRule, type RuleModel, type StackModel, type TargetModel } from "./stack-model";

export class ScheduleError extends Error {
  override name = "ScheduleError";
}

/** An event on the bus: the EventBridge envelope the simulator's emitter also produces. */
export type BusEvent = EventEnvelope;

export interface Delivery {
  rule: string;
  target: TargetModel;
  /** The payload as the target receives it (JSON text). */
  payload: string;
}

export interface BusSinks {
  sendToQueue(queueArn: string, body: string, rule: RuleModel): void;
  invokeAsync(functionName: string, payload: string, rule: RuleModel): void;
  onRefused?(rule: RuleModel, target: TargetModel, reason: string): void;
}

const UNITS: Record<string, number> = { minute: 60_000, minutes: 60_000, hour: 3_600_000, hours: 3_600_000, day: 86_400_000, days: 86_400_000 };

/** Period of a `rate(N unit)` expression in ms; cron expressions are not emulated. */
export function schedulePeriodMs(expression: string): number {
  const m = /^rate\((\d+) (minutes?|hours?|days?)\)$/.exec(expression);
  if (!m) throw new ScheduleError(`schedule ${JSON.stringify(expression)}: only rate(N minutes|hours|days) is emulated`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

function pathValue(event: unknown, path: string): unknown {
  if (path === "$") return event;
  if (!path.startsWith("$.")) throw new ScheduleError(`JSON path ${path}: expected $ or $.a.b`);
  let v: unknown = event;
  for (const key of path.slice(2).split(".")) v = v == null ? undefined : (v as Record<string, unknown>)[key];
  return v;
}

/** The payload a target receives for `event`, as EventBridge's target input settings define it. */
export function targetPayload(target: TargetModel, event: BusEvent, rule: RuleModel): string {
  if (target.input !== undefined) return target.input;
  if (target.inputPath !== undefined) return JSON.stringify(pathValue(event, target.inputPath) ?? null);
  if (target.inputTransformer) {
    const vars: Record<string, unknown> = {
      "aws.events.rule-arn": rule.arn,
      "aws.events.rule-name": rule.name,
      "aws.events.event.ingestion-time": event.time,
      "aws.events.event": event,
      "aws.events.event.json": event,
    };
    for (const [k, p] of Object.entries(target.inputTransformer.inputPaths ?? {})) vars[k] = pathValue(event, p);
    return target.inputTransformer.inputTemplate.replace(/<([A-Za-z0-9_.-]+)>/g, (whole, name: string) => {
      if (!(name in vars)) return whole;
      const v = vars[name];
      return typeof v === "string" ? v : JSON.stringify(v ?? null);
    });
  }
  return JSON.stringify(event);
}

export class EventBus {
  private readonly timers: NodeJS.Timeout[] = [];
  /** Events put, matched (per rule) and refused deliveries. */
  readonly stats = { put: 0, matched: {} as Record<string, number>, refused: 0 };

  constructor(
    private readonly model: StackModel,
    private readonly sinks: BusSinks,
  ) {}

  /** PutEvents: routes each event to the targets of every rule that matches it; returns the matching rules' logical names. */
  put(events: BusEvent[]): string[][] {
    return events.map((e) => {
      this.stats.put += 1;
      const matched: string[] = [];
      for (const rule of this.model.rules) {
        if (!rule.enabled || rule.pattern === undefined) continue;
        if (!matchesPattern(rule.pattern, e)) continue;
        matched.push(rule.logicalName);
        this.stats.matched[rule.logicalName] = (this.stats.matched[rule.logicalName] ?? 0) + 1;
        this.deliver(rule, e);
      }
      return matched;
    });
  }

  /** Fires a scheduled rule now (as its timer would). */
  fireSchedule(logicalName: string, now = new Date()): void {
    const rule = this.model.rules.find((r) => r.logicalName === logicalName);
    if (!rule?.schedule) throw new ScheduleError(`rule ${logicalName} is not a scheduled rule of the stack`);
    this.deliver(rule, scheduledEvent(rule, this.model, now));
  }

  /** Starts every enabled schedule's timer; `scale` multiplies the periods (1/60: 5 minutes in 5 s). */
  startSchedules(scale: number): void {
    for (const rule of this.model.rules) {
      if (!rule.schedule) continue;
      const period = Math.max(50, Math.round(schedulePeriodMs(rule.schedule) * scale));
      const t = setInterval(() => {
        if (rule.enabled) this.deliver(rule, scheduledEvent(rule, this.model, new Date()));
      }, period);
      t.unref();
      this.timers.push(t);
    }
  }

  stop(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
  }

  private deliver(rule: RuleModel, event: BusEvent): void {
    for (const target of rule.targets) {
      const payload = targetPayload(target, event, rule);
      if (target.kind === "sqs") {
        const queue = this.model.queues.find((q) => q.arn === target.arn)!;
        if (!queueAllowsRule(queue, rule.arn)) {
          this.refuse(rule, target, `queue ${queue.name}'s policy does not let rule ${rule.name} send`);
          continue;
        }
        this.sinks.sendToQueue(queue.arn, payload, rule);
      } else {
        const fn = target.arn.replace(/^.*:function:([^:]+).*$/, "$1");
        if (!functionAllowsRule(this.model, fn, rule.arn)) {
          this.refuse(rule, target, `function ${fn} has no permission for rule ${rule.name}`);
          continue;
        }
        this.sinks.invokeAsync(fn, payload, rule);
      }
    }
  }

  private refuse(rule: RuleModel, target: TargetModel, reason: string): void {
    this.stats.refused += 1;
    this.sinks.onRefused?.(rule, target, reason);
  }
}

/** EventBridge's "Scheduled Event" for a rule. */
export function scheduledEvent(rule: RuleModel, m: Pick<StackModel, "account" | "region">, now: Date): BusEvent {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: m.account,
    time: now.toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: m.region,
    resources: [rule.arn],
    detail: {},
  };
}
