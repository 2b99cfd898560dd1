// The reconcile pipeline: EventBridge rules (ECS task state changes, Cloud Map
// API calls via CloudTrail, a schedule) -> one SQS queue (with a dead-letter
// queue) -> the reconcile function.
//
// Coalescing: the queue turns a burst of events into batches. By default the event
// source invokes at once with up to 10 messages (a batch costs what it changes);
// with a batching window (`reconcile.batchingWindowSeconds`) it gathers up to 1,000.
// At most `maxConcurrency` (default 2) invocations run at once (reserved
// concurrency on the function, maximum concurrency on the event source), each
// committing one conditional state write per batch, and a later batch always
// re-reads the state it builds on.
//
// First reconcile: a fresh stack publishes a complete document as soon as it is
// deployed (ReconcileOnDeploy) instead of waiting for the first schedule.
import { createHash } from "node:crypto";
import type { StageConfig } from "./config";
import type { DeployContext } from "./context";
import type { EventDelivery } from "./delivery";
import { appFunction, discoveryEnvironment, discoveryScope, type AppFunction } from "./lambda";
import { reconcileStatements } from "./iam";
import { cloudMapApiCallPattern, ecsTaskStateChangePattern } from "./patterns";
import type { Storage } from "./storage";

/** Messages taken per invocation, by the batching window (stage setting
 * `reconcile.batchingWindowSeconds`, default 0). A batch costs what its events change (the
 * changed shards, state parts and index: issue "Cost per event"), not the fleet, so the
 * default takes events at once: a task's targets reach the sidecar within 2 s at p99
 * (docs/performance.md). Lambda then takes at most 10 messages per batch (AWS refuses a
 * larger batch size without a window of at least 1 s). A window of 1 s or more gathers up
 * to 1,000 messages (about 3 KB each, well inside Lambda's 6 MB payload): fewer, larger
 * batches for accounts whose deployments burst, each event waiting up to the window. */
export function batchSizeFor(batchingWindowSeconds: number): number {
  return batchingWindowSeconds === 0 ? MAX_BATCH_WITHOUT_WINDOW : BATCH_SIZE;
}
export const BATCH_SIZE = 1000;
/** Lambda's largest SQS batch without a batching window. */
export const MAX_BATCH_WITHOUT_WINDOW = 10;
/** AWS's advice for an SQS event source: visibility timeout at least 6x the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

export interface Reconcile extends AppFunction {
  queue: aws.sqs.Queue;
  dlq: aws.sqs.Queue;
  rules: aws.cloudwatch.EventRule[];
  /** The full reconcile run by the deploy itself. */
  firstReconcile: aws.lambda.Invocation;
}

export function createReconcile(cfg: StageConfig, ctx: DeployContext, storage: Storage, delivery: EventDelivery): Reconcile {
  const r = cfg.reconcile;
  const dlq = new aws.sqs.Queue("ReconcileDeadLetters", {
    messageRetentionSeconds: 14 * 24 * 3600,
    sqsManagedSseEnabled: true,
  });
  const queue = new aws.sqs.Queue("ReconcileEvents", {
    visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_FACTOR * r.timeoutSeconds,
    messageRetentionSeconds: 4 * 24 * 3600,
    sqsManagedSseEnabled: true,
    redrivePolicy: $jsonStringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: r.maxReceiveCount }),
  });
  new aws.sqs.RedriveAllowPolicy("ReconcileDeadLettersSource", {
    queueUrl: dlq.url,
    redriveAllowPolicy: $jsonStringify({ redrivePermission: "byQueue", sourceQueueArns: [queue.arn] }),
  });

  const f = appFunction(cfg, ctx, "Reconcile", {
    role: "reconcile",
    handler: "functions/reconcile.handler",
    description: "Discovers ECS/Cloud Map scrape targets and publishes the file_sd document",
    timeoutSeconds: r.timeoutSeconds,
    memoryMb: 512,
    reservedConcurrency: r.maxConcurrency,
    environment: discoveryEnvironment(cfg, storage),
    statements: (logStreamsArn) =>
      reconcileStatements<$util.Input<string>>(
        {
          bucketArn: storage.bucketArn,
          documentKey: storage.documentKey,
          stateKey: storage.stateKey,
          scope: discoveryScope(cfg, ctx),
          documentObjectArn: storage.documentObjectArn,
          stateObjectArn: storage.stateObjectArn,
          indexKey: storage.indexKey,
          indexObjectArn: storage.indexObjectArn,
          shardObjectsArn: storage.shardObjectsArn,
          statePartsArn: storage.statePartsArn,
          manifestParameterArn: storage.manifestParameterArn,
          queueArn: queue.arn,
          logStreamsArn,
        },
        "*",
      ),
  });

  const eventSource = new aws.lambda.EventSourceMapping("ReconcileEventSource", {
    eventSourceArn: queue.arn,
    functionName: f.fn.name,
    batchSize: batchSizeFor(r.batchingWindowSeconds),
    maximumBatchingWindowInSeconds: r.batchingWindowSeconds,
    functionResponseTypes: ["ReportBatchItemFailures"],
    scalingConfig: { maximumConcurrency: r.maxConcurrency },
  });

  const clusterArns = ctx.ecsClusterArns(cfg.clusters);
  const rules: Record<string, aws.cloudwatch.EventRule> = {
    EcsTaskStateChange: new aws.cloudwatch.EventRule("EcsTaskStateChange", {
      description: "ECS task state changes of the included clusters -> reconcile queue",
      eventPattern: clusterArns.apply((arns) => JSON.stringify(ecsTaskStateChangePattern(arns))),
    }),
    CloudMapApiCall: new aws.cloudwatch.EventRule("CloudMapApiCall", {
      description: "Cloud Map registrations and service changes (CloudTrail) -> reconcile queue",
      eventPattern: JSON.stringify(cloudMapApiCallPattern()),
    }),
    ReconcileSchedule: new aws.cloudwatch.EventRule("ReconcileSchedule", {
      description: "Full reconcile, the safety net -> reconcile queue",
      scheduleExpression: cfg.schedules.reconcile,
    }),
  };
  // Retries and a dead-letter queue for what EventBridge cannot deliver (infra/delivery.ts).
  const targets = Object.entries(rules).map(([name, rule]) => delivery.target(`${name}Target`, rule, queue.arn, "queue"));

  // Only these rules may send to the queue.
  const queuePolicy = new aws.sqs.QueuePolicy("ReconcileEventsPolicy", {
    queueUrl: queue.url,
    policy: $jsonStringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "EventBridgeRules",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: queue.arn,
          Condition: { ArnEquals: { "aws:SourceArn": Object.values(rules).map((rule) => rule.arn) } },
        },
      ],
    }),
  });

  const firstReconcile = reconcileOnDeploy(f, [eventSource, ...Object.values(rules), ...targets, queuePolicy]);
  return { ...f, queue, dlq, rules: Object.values(rules), firstReconcile };
}

/** What the deploy-time invocation sends: the manual full reconcile, publishing. */
export const RECONCILE_ON_DEPLOY_INPUT = { action: "reconcile", dryRun: false } as const;

/**
 * A full reconcile once the function, its role (with its inline policy), the event
 * source, the rules, their targets and the queue policy exist, so a fresh stack
 * publishes a complete document at once. Events that arrive meanwhile are safe: both
 * paths write conditionally on the state's ETag. `triggers` re-runs it on every deploy
 * that changes the function's code (the code object's key carries its sha256) or
 * configuration. When discovery withholds publication (parts failed on a state never
 * completed, or failures and no target), the function returns a summary with
 * `withheld`, not an error, so the deploy goes on and the schedule retries. An error
 * (the namespace listing denied, a failed write) is a function error: it fails the
 * invocation and so the deploy, and the next deploy invokes again.
 */
function reconcileOnDeploy(f: AppFunction, after: $util.Resource[]): aws.lambda.Invocation {
  const lambda = f.fn.nodes.function;
  const configuration = $util
    .all([
      lambda.environment.apply((e) => e?.variables ?? {}),
      lambda.handler,
      lambda.runtime,
      lambda.architectures,
      lambda.memorySize,
      lambda.timeout,
      lambda.role,
    ])
    .apply((parts) => createHash("sha256").update(JSON.stringify(parts)).digest("hex"));
  return new aws.lambda.Invocation(
    "ReconcileOnDeploy",
    {
      functionName: f.fn.name,
      input: JSON.stringify(RECONCILE_ON_DEPLOY_INPUT),
      triggers: {
        code: lambda.s3Key.apply((key) => key ?? ""),
        configuration,
      },
    },
    { dependsOn: [lambda, f.fn.nodes.role, ...after] },
  );
}
