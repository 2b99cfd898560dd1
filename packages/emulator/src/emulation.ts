// The deployed stack, run whole on this machine: `EmulatedStack.deploy` synthesises the
// real sst.config.ts (synth.ts), reads its wiring (stack-model.ts) and brings it up
// against an AWS endpoint (the local simulator): the stack's buckets, its queues with
// their redrive policies, its event source mappings, its functions running from the
// bundles SST builds, on Node 24, each in its own process (lambda.ts), its EventBridge
// rules and schedules (eventbridge.ts), then its deploy-time invocations, as a deploy
// runs them. Events put on the bus then travel exactly the way the stack routes them.
// Change a rule's target in infra/ and the emulation follows.
import { rmSync } from "node:fs";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { EventBus, type BusEvent } from "./eventbridge";
import { LambdaService, type InvokeResult } from "./lambda";
import { alarmState, emfDatapoints, sameDimensions, type AlarmState, type Datapoint } from "./metrics";
import { ensureNode24 } from "./node24";
import { EmulatedQueue, SqsEventSource, type BatchRecord } from "./sqs";
import { stackModel, type StackModel } from "./stack-model";
import { synthesize } from "./synth";
import type { Synthesis } from "./synth-run";

export class DeployError extends Error {
  override name = "DeployError";
}

/** The AWS endpoint the stack is deployed against (the local simulator's shape). */
export interface AwsEndpoint {
  url: string;
  state: { region: string; accountId: string };
  endpointEnv(): Record<string, string>;
}

export interface EmulationOptions {
  root: string;
  stage: string;
  /** Stage configuration (default: infra/stages/<stage>.json). */
  config?: unknown;
  aws: AwsEndpoint;
  /** A synthesis to reuse (tests share one); default: synthesise now. */
  synthesis?: Synthesis;
  /** Multiplies schedule periods (1 = real time, 1/60 = 5 minutes in 5 s); 0 = no timers (fire by hand). */
  scheduleScale?: number;
  /** Multiplies queue visibility timeouts (redelivery delays); default 1. */
  visibilityScale?: number;
  /** Delay before Lambda's asynchronous retries (AWS: about 1 and 2 minutes); default 60 s x visibilityScale. */
  asyncRetryDelayMs?: number;
  /** Path of a Node 24 binary (default: installed under .cache/node24). */
  node?: string;
  onLog?: (fn: string, line: string) => void;
  /** Skip the deploy-time invocations (to see a stack before its first reconcile). */
  skipDeployInvocations?: boolean;
}

export interface AsyncRecord {
  functionName: string;
  rule: string;
  attempts: number;
  ok: boolean;
  error?: string;
}

export class EmulatedStack {
  readonly queues = new Map<string, EmulatedQueue>();
  readonly sources: SqsEventSource[] = [];
  readonly bus: EventBus;
  readonly logs = new Map<string, string[]>();
  readonly datapoints: Datapoint[] = [];
  readonly asyncInvocations: AsyncRecord[] = [];
  readonly refused: string[] = [];
  /** Results of the deploy-time invocations, in order. */
  readonly deployInvocations: InvokeResult[] = [];
  private readonly pendingAsync = new Set<Promise<void>>();
  private readonly cleanups: (() => void)[] = [];
  private closed = false;

  private constructor(
    readonly model: StackModel,
    readonly lambda: LambdaService,
    private readonly opts: EmulationOptions,
  ) {
    for (const q of model.queues) this.queues.set(q.arn, new EmulatedQueue(q));
    for (const q of this.queues.values()) {
      const dlq = q.model.redrive ? this.queues.get(q.model.redrive.deadLetterTargetArn) : undefined;
      if (q.model.redrive && !dlq)
        throw new DeployError(`queue ${q.model.name}: its dead-letter queue ${q.model.redrive.deadLetterTargetArn} is not in the stack`);
      q.deadLetters = dlq;
    }
    this.bus = new EventBus(model, {
      sendToQueue: (arn, body) => this.queues.get(arn)!.send(body),
      invokeAsync: (fn, payload, rule) => this.invokeAsync(fn, payload, rule.logicalName),
      onRefused: (rule, target, reason) => this.refused.push(`${rule.logicalName} -> ${target.logicalName}: ${reason}`),
    });
  }

  static async deploy(o: EmulationOptions): Promise<EmulatedStack> {
    const own = o.synthesis
      ? undefined
      : await synthesize({ root: o.root, stage: o.stage, config: o.config, account: o.aws.state.accountId, region: o.aws.state.region });
    const synthesis = o.synthesis ?? own!;
    if (synthesis.region !== o.aws.state.region || synthesis.account !== o.aws.state.accountId) {
      throw new DeployError(`the synthesis is for ${synthesis.account}/${synthesis.region}, the endpoint is ${o.aws.state.accountId}/${o.aws.state.region}`);
    }
    const model = stackModel(synthesis);
    const node = o.node ?? (await ensureNode24(o.root));
    const awsEnv = { ...o.aws.endpointEnv() };
    delete awsEnv.AWS_REGION; // the Lambda runtime sets it
    let stack: EmulatedStack | undefined;
    const lambda = new LambdaService({
      node,
      region: model.region,
      accountId: model.account,
      awsEnv,
      onLog: (fn, line) => stack?.log(fn, line),
    });
    stack = new EmulatedStack(model, lambda, o);
    // A synthesis made here (bundles and stack.json) goes with the stack.
    if (own) stack.cleanups.push(() => rmSync(own.outDir, { recursive: true, force: true }));
    try {
      await stack.createBuckets();
      for (const f of model.functions) lambda.register({ ...f });
      for (const m of model.eventSourceMappings) {
        const queue = [...stack.queues.values()].find((q) => q.model.arn === m.queueArn)!;
        stack.sources.push(
          new SqsEventSource(m, queue, async (event) => stack!.outcome(await lambda.invoke(m.functionName, event)), {
            region: model.region,
            visibilityScale: o.visibilityScale ?? 1,
          }),
        );
      }
      if (!o.skipDeployInvocations) await stack.runDeployInvocations();
      for (const s of stack.sources) s.start();
      if ((o.scheduleScale ?? 1) > 0) stack.bus.startSchedules(o.scheduleScale ?? 1);
      return stack;
    } catch (err) {
      await stack.close();
      throw err;
    }
  }

  /** The deploy-time invocations (aws.lambda.Invocation): a function error fails the deploy, as it fails `sst deploy`. */
  async runDeployInvocations(): Promise<InvokeResult[]> {
    const results: InvokeResult[] = [];
    for (const inv of this.model.invocations) {
      const r = await this.lambda.invoke(inv.functionName, JSON.parse(inv.input));
      if (!r.ok) throw new DeployError(`${inv.logicalName}: ${inv.functionName} failed: ${r.error?.errorType}: ${r.error?.errorMessage}`);
      results.push(r);
      this.deployInvocations.push(r);
    }
    return results;
  }

  /** PutEvents on the default bus; returns the matching rules per event. */
  put(events: BusEvent[]): string[][] {
    return this.bus.put(events);
  }

  fireSchedule(ruleLogicalName: string): void {
    this.bus.fireSchedule(ruleLogicalName);
  }

  /** DisableRule / EnableRule: a disabled rule passes no event (a missing CloudTrail trail looks the same). */
  setRuleEnabled(ruleLogicalName: string, enabled: boolean): void {
    const rule = this.model.rules.find((r) => r.logicalName === ruleLogicalName);
    if (!rule) throw new DeployError(`no rule ${ruleLogicalName} in the stack`);
    rule.enabled = enabled;
  }

  /** A synchronous invoke by an operator (`aws lambda invoke`). */
  invoke(functionName: string, payload: unknown): Promise<InvokeResult> {
    return this.lambda.invoke(functionName, payload);
  }

  functionNamed(logicalOrRole: string): string {
    const f = this.model.functions.find((x) => x.logicalName === logicalOrRole || x.name === logicalOrRole || x.name.endsWith(`-${logicalOrRole}`));
    if (!f) throw new DeployError(`no function ${logicalOrRole} in the stack (${this.model.functions.map((x) => x.name).join(", ")})`);
    return f.name;
  }

  queue(logicalName: string): EmulatedQueue {
    const q = [...this.queues.values()].find((x) => x.model.logicalName === logicalName);
    if (!q) throw new DeployError(`no queue ${logicalName} in the stack`);
    return q;
  }

  batches(): BatchRecord[] {
    return this.sources.flatMap((s) => s.batches);
  }

  /** Log lines of a function (by name, logical name or role). */
  logsOf(fn: string): string[] {
    return this.logs.get(this.functionNamed(fn)) ?? [];
  }

  /** The latest value of a metric, as CloudWatch would hold it. */
  metric(namespace: string, name: string, dimensions: Record<string, string>): number | undefined {
    if (namespace === "AWS/SQS") {
      const q = [...this.queues.values()].find((x) => x.model.name === dimensions.QueueName);
      if (!q) return undefined;
      if (name === "ApproximateNumberOfMessagesVisible") return q.visibleCount();
      if (name === "ApproximateNumberOfMessagesNotVisible") return q.inFlightCount();
      return undefined;
    }
    if (namespace === "AWS/Lambda" && dimensions.FunctionName) {
      const s = this.lambda.stats(dimensions.FunctionName);
      const table: Record<string, number> = { Errors: s.errors + s.timeouts, Throttles: s.throttles, Invocations: s.invocations };
      return table[name];
    }
    const points = this.datapoints.filter((d) => d.namespace === namespace && d.name === name && sameDimensions(d.dimensions, dimensions));
    return points.at(-1)?.value;
  }

  /**
   * An alarm's state: ALARM when its last `evaluationPeriods` values all breach. Custom
   * metrics give one value per datapoint the functions logged; queue depths and Lambda
   * counts are read now, as one value.
   */
  alarm(logicalName: string): { state: AlarmState; value: number | undefined } {
    const a = this.model.alarms.find((x) => x.logicalName === logicalName || x.name === logicalName);
    if (!a) throw new DeployError(`no alarm ${logicalName} in the stack`);
    const value = this.metric(a.namespace, a.metricName, a.dimensions);
    const custom = !a.namespace.startsWith("AWS/");
    const values = custom
      ? this.datapoints.filter((d) => d.namespace === a.namespace && d.name === a.metricName && sameDimensions(d.dimensions, a.dimensions)).map((d) => d.value)
      : value === undefined
        ? []
        : [value];
    return { state: alarmState(a, values), value };
  }

  /** Resolves once every queue (dead-letter queues aside) is empty and nothing runs. */
  async settle(timeoutMs = 60_000): Promise<void> {
    const dlqs = new Set(this.model.queues.flatMap((q) => (q.redrive ? [q.redrive.deadLetterTargetArn] : [])));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const busy =
        [...this.queues.values()].some((q) => !dlqs.has(q.model.arn) && q.size() > 0) || this.sources.some((s) => s.running > 0) || this.pendingAsync.size > 0;
      if (!busy) return;
      if (Date.now() > deadline) throw new DeployError(`the stack did not settle within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.bus.stop();
    await Promise.all(this.sources.map((s) => s.stop()));
    await Promise.allSettled([...this.pendingAsync]);
    await this.lambda.close();
    for (const c of this.cleanups.splice(0)) c();
  }

  private log(fn: string, line: string): void {
    const lines = this.logs.get(fn) ?? [];
    lines.push(line);
    this.logs.set(fn, lines);
    this.datapoints.push(...emfDatapoints(line));
    this.opts.onLog?.(fn, line);
  }

  private outcome(r: InvokeResult) {
    return { ok: r.ok && !r.timedOut && !r.throttled, result: r.result, throttled: r.throttled, requestId: r.requestId };
  }

  /** Lambda's asynchronous invocation: on a function error, two retries after a delay (AWS's defaults). */
  private invokeAsync(functionName: string, payload: string, rule: string): void {
    const delay = this.opts.asyncRetryDelayMs ?? 60_000 * (this.opts.visibilityScale ?? 1);
    const record: AsyncRecord = { functionName, rule, attempts: 0, ok: false };
    this.asyncInvocations.push(record);
    const p = (async () => {
      for (let attempt = 0; attempt < 3 && !this.closed; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, delay * attempt));
        if (this.closed) return;
        record.attempts += 1;
        const r = await this.lambda.invoke(functionName, JSON.parse(payload), { invocationType: "Event" });
        if (r.ok) {
          record.ok = true;
          return;
        }
        record.error = r.error ? `${r.error.errorType}: ${r.error.errorMessage}` : "failed";
      }
    })().finally(() => this.pendingAsync.delete(p));
    this.pendingAsync.add(p);
  }

  private async createBuckets(): Promise<void> {
    const env = this.opts.aws.endpointEnv();
    const s3 = new S3Client({
      endpoint: env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? this.opts.aws.url,
      region: this.model.region,
      forcePathStyle: true,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? "x", secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "x" },
    });
    try {
      for (const bucket of this.model.buckets) {
        await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((err: Error) => {
          if (err.name !== "BucketAlreadyOwnedByYou" && err.name !== "BucketAlreadyExists") throw new DeployError(`bucket ${bucket}: ${err.message}`);
        });
      }
    } finally {
      s3.destroy();
    }
  }
}
