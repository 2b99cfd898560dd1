// EventBridge delivery to every rule target (the reconcile rules' queue, the forward
// and audit schedules' functions): an explicit retry policy and a dead-letter queue, so
// an event EventBridge could not deliver (the queue or function refusing it, a policy
// or key problem) is kept instead of dropped. The dead-letter queue admits
// events.amazonaws.com SendMessage from this stack's rules only; its policy is declared
// once every rule exists (`allowRules`). The alarms (infra/alarms.ts) watch the rules'
// FailedInvocations and this queue.

/**
 * Retries per target kind. The reconcile queue: EventBridge's maximum (185 attempts over
 * 24 hours): a late event is still applied safely (ordered by the task's version, README
 * guarantee G3). A schedule's function: only as long as the period, since the next
 * scheduled event does the same work.
 */
export const DELIVERY_RETRY = {
  queue: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 },
  schedule: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 60 },
} as const;

export interface EventDelivery {
  deadLetters: aws.sqs.Queue;
  /** A rule's target arguments: its retry policy and the dead-letter queue. */
  targetArgs(kind: keyof typeof DELIVERY_RETRY): Pick<aws.cloudwatch.EventTargetArgs, "retryPolicy" | "deadLetterConfig">;
  /** Every rule whose target uses the dead-letter queue (registered by `target`). */
  rules: aws.cloudwatch.EventRule[];
  /** Declares `rule`'s target with the retry policy and the dead-letter queue. */
  target(name: string, rule: aws.cloudwatch.EventRule, arn: $util.Input<string>, kind: keyof typeof DELIVERY_RETRY): aws.cloudwatch.EventTarget;
  /** The dead-letter queue's policy: SendMessage from the registered rules only. Call once, after the last target. */
  allowRules(): aws.sqs.QueuePolicy;
}

export function createEventDelivery(): EventDelivery {
  const deadLetters = new aws.sqs.Queue("EventDeliveryDeadLetters", {
    messageRetentionSeconds: 14 * 24 * 3600,
    sqsManagedSseEnabled: true,
  });
  const rules: aws.cloudwatch.EventRule[] = [];
  const targetArgs = (kind: keyof typeof DELIVERY_RETRY) => ({
    retryPolicy: { ...DELIVERY_RETRY[kind] },
    deadLetterConfig: { arn: deadLetters.arn },
  });
  return {
    deadLetters,
    rules,
    targetArgs,
    target(name, rule, arn, kind) {
      rules.push(rule);
      return new aws.cloudwatch.EventTarget(name, { rule: rule.name, arn, ...targetArgs(kind) });
    },
    allowRules() {
      return new aws.sqs.QueuePolicy("EventDeliveryDeadLettersPolicy", {
        queueUrl: deadLetters.url,
        policy: $jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "EventBridgeDeadLetters",
              Effect: "Allow",
              Principal: { Service: "events.amazonaws.com" },
              Action: "sqs:SendMessage",
              Resource: deadLetters.arn,
              Condition: { ArnEquals: { "aws:SourceArn": rules.map((r) => r.arn) } },
            },
          ],
        }),
      });
    },
  };
}
