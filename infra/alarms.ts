// Alarms and where they go. The audit's metrics (namespace ScrapeReconciler,
// dimension `service` = the app name: Powertools Metrics' default dimension,
// from POWERTOOLS_SERVICE_NAME), the functions' Lambda Errors and a non-empty
// dead-letter queue all notify one SNS topic: created here (with an optional
// e-mail subscription) or an existing one named in the stage configuration.
import type { StageConfig } from "./config";
import { METRICS_NAMESPACE } from "./lambda";

const PERIOD_SECONDS = 300;

export interface AlarmTopic {
  topicArn: $util.Input<string>;
  topic?: aws.sns.Topic;
}

export function createAlarmTopic(cfg: StageConfig): AlarmTopic {
  if (cfg.alarms.topicArn) return { topicArn: cfg.alarms.topicArn };
  const topic = new aws.sns.Topic("Alarms", { displayName: `${cfg.app} ${cfg.stage} alarms` });
  if (cfg.alarms.email) {
    // The address must confirm the subscription from the e-mail AWS sends it.
    new aws.sns.TopicSubscription("AlarmsEmail", { topic: topic.arn, protocol: "email", endpoint: cfg.alarms.email });
  }
  return { topicArn: topic.arn, topic };
}

export interface AlarmSubjects {
  /** Function names by role; a missing function (no forwarder) has no alarm. */
  functions: { role: string; name: $util.Input<string> }[];
  deadLetterQueueName: $util.Input<string>;
  /** Names of every EventBridge rule of the stack (their FailedInvocations) and their targets' dead-letter queue. */
  eventRuleNames: $util.Input<string>[];
  eventDeadLetterQueueName: $util.Input<string>;
}

type AlarmArgs = Omit<aws.cloudwatch.MetricAlarmArgs, "alarmActions" | "okActions" | "alarmDescription"> & {
  alarmDescription: string;
};

/** A queue that should stay empty (a dead-letter queue): any visible message alarms at once. */
function queueNotEmpty(name: string, alarmDescription: string, queueName: $util.Input<string>): AlarmArgs {
  return {
    name,
    alarmDescription,
    namespace: "AWS/SQS",
    metricName: "ApproximateNumberOfMessagesVisible",
    dimensions: { QueueName: queueName },
    statistic: "Maximum",
    period: 60,
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
  };
}

export function createAlarms(cfg: StageConfig, topic: AlarmTopic, subjects: AlarmSubjects): aws.cloudwatch.MetricAlarm[] {
  const n = cfg.alarms.evaluationPeriods;
  const prefix = `${cfg.app}-${cfg.stage}`;
  const audit = (metric: string, stat: string, threshold: number, periods: number, missing: string, what: string): AlarmArgs => ({
    name: `${prefix}-${metric}`,
    alarmDescription: what,
    namespace: METRICS_NAMESPACE,
    metricName: metric,
    dimensions: { service: cfg.app },
    statistic: stat,
    period: PERIOD_SECONDS,
    evaluationPeriods: periods,
    threshold,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: missing,
  });

  const specs: Record<string, AlarmArgs> = {
    StaleTargetsAlarm: audit("StaleTargets", "Maximum", 0, n, "notBreaching", `Published targets that AWS no longer runs, for ${n} periods`),
    MissingTargetsAlarm: audit("MissingTargets", "Maximum", 0, n, "notBreaching", `Running opted-in tasks missing from the document, for ${n} periods`),
    DiscoveryErrorsAlarm: audit("DiscoveryErrors", "Sum", 0, n, "notBreaching", `AWS discovery calls failing, for ${n} periods`),
    // No data means the audit itself is not running: that is an alarm too.
    DocumentAgeAlarm: audit(
      "DocumentAgeSeconds",
      "Maximum",
      cfg.alarms.documentMaxAgeSeconds,
      1,
      "breaching",
      `The published document is older than ${cfg.alarms.documentMaxAgeSeconds} s (or the audit reports nothing)`,
    ),
    ReconcileAgeAlarm: audit(
      "ReconcileAgeSeconds",
      "Maximum",
      cfg.alarms.reconcileMaxAgeSeconds,
      1,
      "breaching",
      `No successful reconcile for ${cfg.alarms.reconcileMaxAgeSeconds} s (or the audit reports nothing)`,
    ),
    DeadLetterAlarm: queueNotEmpty(
      `${prefix}-ReconcileDeadLetters`,
      "Reconcile messages failed maxReceiveCount times and wait in the dead-letter queue",
      subjects.deadLetterQueueName,
    ),
  };
  for (const f of subjects.functions) {
    const role = f.role.charAt(0).toUpperCase() + f.role.slice(1);
    specs[`${role}ErrorsAlarm`] = {
      name: `${prefix}-${role}Errors`,
      alarmDescription: `The ${f.role} function failed, for ${n} periods`,
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: f.name },
      statistic: "Sum",
      period: PERIOD_SECONDS,
      evaluationPeriods: n,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
    };
  }
  // Events lost on the way: EventBridge could not deliver to a target after its retries
  // (FailedInvocations, summed over every rule of the stack), or they wait in the targets'
  // dead-letter queue.
  specs.EventDeliveryFailedAlarm = {
    name: `${prefix}-EventDeliveryFailed`,
    alarmDescription: "EventBridge failed to deliver events to a target of the stack's rules (they went to the event dead-letter queue)",
    metricQueries: [
      ...subjects.eventRuleNames.map((rule, i) => ({
        id: `m${i}`,
        returnData: false,
        metric: { namespace: "AWS/Events", metricName: "FailedInvocations", dimensions: { RuleName: rule }, period: PERIOD_SECONDS, stat: "Sum" },
      })),
      { id: "failed", expression: `SUM([${subjects.eventRuleNames.map((_, i) => `m${i}`).join(",")}])`, label: "FailedInvocations", returnData: true },
    ],
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
  };
  specs.EventDeadLettersAlarm = queueNotEmpty(
    `${prefix}-EventDeadLetters`,
    "Events EventBridge could not deliver wait in the event dead-letter queue",
    subjects.eventDeadLetterQueueName,
  );
  // Events that never arrived (CloudTrail delivers Cloud Map calls best effort): the
  // reconcile's full reconcile found the document out of step with AWS (EMF `Drift`,
  // service=reconcile) in N consecutive periods, so events are being lost, not one late.
  specs.ReconcileDriftAlarm = {
    ...audit("Drift", "Sum", 0, n, "notBreaching", `Full reconciles found changes the events missed, in ${n} consecutive periods`),
    name: `${prefix}-ReconcileDrift`,
    dimensions: { service: "reconcile" },
  };
  if (subjects.functions.some((f) => f.role === "forward")) {
    // A forward cycle with errors returns normally (a thrown scheduled invoke would be
    // retried and resend), so Lambda's Errors does not see it: its own metric does.
    specs.ForwardCycleErrorsAlarm = {
      ...audit("ForwardErrors", "Sum", 0, n, "notBreaching", `Forward cycles reported errors (CloudWatch, RDS/ElastiCache or remote write), for ${n} periods`),
      name: `${prefix}-ForwardCycleErrors`,
      dimensions: { service: "forward" },
    };
  }
  return Object.entries(specs).map(
    ([logical, args]) => new aws.cloudwatch.MetricAlarm(logical, { ...args, alarmActions: [topic.topicArn], okActions: [topic.topicArn] }),
  );
}
