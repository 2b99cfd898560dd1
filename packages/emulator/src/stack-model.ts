// The deployed wiring, read from the synthesised stack and from nothing written by hand:
// EventBridge rules (pattern or schedule) and their targets (with input / inputPath /
// inputTransformer), SQS queues with their redrive policy, Lambda event source mappings,
// functions (handler, environment, timeout, memory, reserved concurrency) with the bundle
// SST built for each, Lambda permissions, queue policies, deploy-time invocations and
// CloudWatch alarms. Pure: a Synthesis in, a StackModel out; a wiring it cannot read
// (a target that is neither a queue nor a function of the stack) is an error naming it.
import type { Synthesis, SynthResource } from "./synth-run";

export class StackModelError extends Error {
  override name = "StackModelError";
}

export interface RuleModel {
  logicalName: string;
  name: string;
  arn: string;
  pattern?: unknown;
  schedule?: string;
  enabled: boolean;
  targets: TargetModel[];
}

export interface TargetModel {
  logicalName: string;
  arn: string;
  kind: "sqs" | "lambda";
  input?: string;
  inputPath?: string;
  inputTransformer?: { inputPaths?: Record<string, string>; inputTemplate: string };
}

export interface QueueModel {
  logicalName: string;
  name: string;
  arn: string;
  url: string;
  visibilityTimeoutSeconds: number;
  messageRetentionSeconds: number;
  delaySeconds: number;
  redrive?: { deadLetterTargetArn: string; maxReceiveCount: number };
  /** The queue policy's statements (who may send). */
  policy?: { Statement: PolicyStatement[] };
}

export interface PolicyStatement {
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface EventSourceMappingModel {
  logicalName: string;
  queueArn: string;
  functionName: string;
  batchSize: number;
  batchingWindowSeconds: number;
  maximumConcurrency?: number;
  reportBatchItemFailures: boolean;
  enabled: boolean;
}

export interface FunctionModel {
  logicalName: string;
  name: string;
  arn: string;
  handler: string;
  /** The handler as infra/ declares it (functions/reconcile.handler). */
  source: string;
  runtime: string;
  bundleDir: string;
  timeoutSeconds: number;
  memoryMb: number;
  reservedConcurrency?: number;
  environment: Record<string, string>;
  logGroup: string;
}

export interface PermissionModel {
  functionName: string;
  principal: string;
  sourceArn?: string;
  action: string;
}

export interface InvocationModel {
  logicalName: string;
  functionName: string;
  input: string;
}

export interface AlarmModel {
  logicalName: string;
  name: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  statistic?: string;
  comparisonOperator: string;
  threshold: number;
  evaluationPeriods: number;
}

export interface StackModel {
  app: string;
  stage: string;
  account: string;
  region: string;
  rules: RuleModel[];
  queues: QueueModel[];
  eventSourceMappings: EventSourceMappingModel[];
  functions: FunctionModel[];
  permissions: PermissionModel[];
  invocations: InvocationModel[];
  alarms: AlarmModel[];
  buckets: string[];
  outputs: Record<string, unknown>;
}

const T = {
  rule: "aws:cloudwatch/eventRule:EventRule",
  target: "aws:cloudwatch/eventTarget:EventTarget",
  queue: "aws:sqs/queue:Queue",
  queuePolicy: "aws:sqs/queuePolicy:QueuePolicy",
  esm: "aws:lambda/eventSourceMapping:EventSourceMapping",
  fn: "aws:lambda/function:Function",
  permission: "aws:lambda/permission:Permission",
  invocation: "aws:lambda/invocation:Invocation",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  bucket: "aws:s3/bucket:Bucket",
  bucketV2: "aws:s3/bucketV2:BucketV2",
} as const;

/** `text` parsed (or as is when already parsed), as the `T` that the stack declares there. */
function parseJson<T>(text: unknown, what: string): T {
  if (typeof text !== "string") return text as T;
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new StackModelError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

/** A function name, ARN or partial ARN -> the function's name. */
export function functionNameOf(ref: string): string {
  const m = /:function:([^:]+)(:[^:]+)?$/.exec(ref);
  return m ? m[1]! : ref;
}

function enabledOf(r: SynthResource): boolean {
  if (r.inputs.state !== undefined) return r.inputs.state === "ENABLED";
  return r.inputs.isEnabled !== false;
}

export function stackModel(s: Synthesis): StackModel {
  const of = (type: string) => s.resources.filter((r) => r.type === type);
  const functions: FunctionModel[] = of(T.fn).map((r) => {
    const build = s.builds.find((b) => `${b.functionID}Function` === r.name);
    if (!build) throw new StackModelError(`function ${r.inputs.name}: no bundle was built for it (SST component ${r.name.replace(/Function$/, "")})`);
    return {
      logicalName: r.name,
      name: String(r.inputs.name ?? r.state.name),
      arn: String(r.state.arn),
      handler: String(r.inputs.handler),
      source: build.source,
      runtime: String(r.inputs.runtime),
      bundleDir: build.out,
      timeoutSeconds: Number(r.inputs.timeout ?? 3),
      memoryMb: Number(r.inputs.memorySize ?? 128),
      ...(r.inputs.reservedConcurrentExecutions !== undefined && r.inputs.reservedConcurrentExecutions >= 0
        ? { reservedConcurrency: Number(r.inputs.reservedConcurrentExecutions) }
        : {}),
      environment: { ...(r.inputs.environment?.variables ?? {}) },
      logGroup: String(r.inputs.loggingConfig?.logGroup ?? `/aws/lambda/${r.inputs.name}`),
    };
  });
  const fnNames = new Set(functions.map((f) => f.name));
  const queues: QueueModel[] = of(T.queue).map((r) => {
    const redrive = r.inputs.redrivePolicy
      ? parseJson<{ deadLetterTargetArn?: unknown; maxReceiveCount?: unknown }>(r.inputs.redrivePolicy, `queue ${r.name} redrivePolicy`)
      : undefined;
    const policy = of(T.queuePolicy).find((p) => p.inputs.queueUrl === r.state.url);
    return {
      logicalName: r.name,
      name: String(r.state.name),
      arn: String(r.state.arn),
      url: String(r.state.url),
      visibilityTimeoutSeconds: Number(r.inputs.visibilityTimeoutSeconds ?? 30),
      messageRetentionSeconds: Number(r.inputs.messageRetentionSeconds ?? 345600),
      delaySeconds: Number(r.inputs.delaySeconds ?? 0),
      ...(redrive ? { redrive: { deadLetterTargetArn: String(redrive.deadLetterTargetArn), maxReceiveCount: Number(redrive.maxReceiveCount) } } : {}),
      ...(policy ? { policy: parseJson<QueueModel["policy"]>(policy.inputs.policy, `queue policy ${policy.name}`) } : {}),
    };
  });
  const queueArns = new Set(queues.map((q) => q.arn));
  const targets = of(T.target);
  const rules: RuleModel[] = of(T.rule).map((r) => ({
    logicalName: r.name,
    name: String(r.state.name),
    arn: String(r.state.arn),
    ...(r.inputs.eventPattern ? { pattern: parseJson<unknown>(r.inputs.eventPattern, `rule ${r.name} eventPattern`) } : {}),
    ...(r.inputs.scheduleExpression ? { schedule: String(r.inputs.scheduleExpression) } : {}),
    enabled: enabledOf(r),
    targets: targets
      .filter((t) => t.inputs.rule === r.state.name)
      .map((t) => {
        const arn = String(t.inputs.arn);
        const kind = queueArns.has(arn) ? "sqs" : fnNames.has(functionNameOf(arn)) && arn.includes(":lambda:") ? "lambda" : undefined;
        if (!kind) throw new StackModelError(`rule ${r.name}: target ${t.name} (${arn}) is neither a queue nor a function of the stack`);
        return {
          logicalName: t.name,
          arn,
          kind,
          ...(t.inputs.input !== undefined ? { input: String(t.inputs.input) } : {}),
          ...(t.inputs.inputPath !== undefined ? { inputPath: String(t.inputs.inputPath) } : {}),
          ...(t.inputs.inputTransformer ? { inputTransformer: t.inputs.inputTransformer } : {}),
        } satisfies TargetModel;
      }),
  }));
  const eventSourceMappings: EventSourceMappingModel[] = of(T.esm).map((r) => {
    const functionName = functionNameOf(String(r.inputs.functionName));
    if (!fnNames.has(functionName)) throw new StackModelError(`event source ${r.name}: function ${functionName} is not in the stack`);
    if (!queueArns.has(String(r.inputs.eventSourceArn)))
      throw new StackModelError(`event source ${r.name}: ${r.inputs.eventSourceArn} is not a queue of the stack`);
    const batchSize = Number(r.inputs.batchSize ?? 10);
    // As CreateEventSourceMapping refuses it for a standard queue.
    if (batchSize > 10 && Number(r.inputs.maximumBatchingWindowInSeconds ?? 0) < 1) {
      throw new StackModelError(`event source ${r.name}: a batch size of ${batchSize} (over 10) needs a batching window of at least 1 s`);
    }
    return {
      logicalName: r.name,
      queueArn: String(r.inputs.eventSourceArn),
      functionName,
      batchSize,
      batchingWindowSeconds: Number(r.inputs.maximumBatchingWindowInSeconds ?? 0),
      ...(r.inputs.scalingConfig?.maximumConcurrency ? { maximumConcurrency: Number(r.inputs.scalingConfig.maximumConcurrency) } : {}),
      reportBatchItemFailures: (r.inputs.functionResponseTypes ?? []).includes("ReportBatchItemFailures"),
      enabled: r.inputs.enabled !== false,
    };
  });
  return {
    app: s.app,
    stage: s.stage,
    account: s.account,
    region: s.region,
    rules,
    queues,
    eventSourceMappings,
    functions,
    permissions: of(T.permission).map((r) => ({
      functionName: functionNameOf(String(r.inputs.function)),
      principal: String(r.inputs.principal),
      ...(r.inputs.sourceArn ? { sourceArn: String(r.inputs.sourceArn) } : {}),
      action: String(r.inputs.action),
    })),
    invocations: of(T.invocation).map((r) => ({
      logicalName: r.name,
      functionName: functionNameOf(String(r.inputs.functionName)),
      input: String(r.inputs.input),
    })),
    alarms: of(T.alarm).map((r) => ({
      logicalName: r.name,
      name: String(r.inputs.name ?? r.name),
      namespace: String(r.inputs.namespace),
      metricName: String(r.inputs.metricName),
      dimensions: { ...(r.inputs.dimensions ?? {}) },
      ...(r.inputs.statistic ? { statistic: String(r.inputs.statistic) } : {}),
      comparisonOperator: String(r.inputs.comparisonOperator),
      threshold: Number(r.inputs.threshold ?? 0),
      evaluationPeriods: Number(r.inputs.evaluationPeriods ?? 1),
    })),
    buckets: [...of(T.bucket), ...of(T.bucketV2)].map((r) => String(r.state.bucket)),
    outputs: s.outputs,
  };
}

/** True when the queue's policy lets EventBridge rule `ruleArn` send to it. */
export function queueAllowsRule(q: QueueModel, ruleArn: string): boolean {
  const list = (x: unknown): string[] => (Array.isArray(x) ? x.map(String) : x === undefined ? [] : [String(x)]);
  return (q.policy?.Statement ?? []).some((st) => {
    if (st.Effect !== "Allow") return false;
    const principal = st.Principal as { Service?: string | string[] } | string | undefined;
    const services = typeof principal === "string" ? [principal] : list(principal?.Service);
    if (!services.includes("events.amazonaws.com") && !services.includes("*")) return false;
    if (!list(st.Action).some((a) => a === "sqs:SendMessage" || a === "sqs:*")) return false;
    if (st.Resource !== undefined && !list(st.Resource).includes(q.arn)) return false;
    const cond = st.Condition ?? {};
    for (const [op, kv] of Object.entries(cond)) {
      const wanted = list(kv["aws:SourceArn"]);
      if (wanted.length === 0) continue;
      if (op === "ArnEquals" || op === "StringEquals") {
        if (!wanted.includes(ruleArn)) return false;
      } else if (op === "ArnLike" || op === "StringLike") {
        if (
          !wanted.some((w) =>
            new RegExp(
              `^${w
                .replace(/[.+^${}()|[\]\\]/g, "\\$&")
                .replace(/\*/g, ".*")
                .replace(/\?/g, ".")}$`,
            ).test(ruleArn),
          )
        )
          return false;
      } else {
        return false;
      }
    }
    return true;
  });
}

/** True when a Lambda permission lets EventBridge rule `ruleArn` invoke the function. */
export function functionAllowsRule(m: StackModel, functionName: string, ruleArn: string): boolean {
  return m.permissions.some(
    (p) =>
      p.functionName === functionName &&
      p.principal === "events.amazonaws.com" &&
      (p.action === "lambda:InvokeFunction" || p.action === "lambda:*") &&
      (!p.sourceArn || p.sourceArn === ruleArn),
  );
}
