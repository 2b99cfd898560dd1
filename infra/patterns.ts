// EventBridge event patterns of the reconcile rules, as plain JSON. Pure:
// sst.config.ts puts them in the rules, and the tests match them against the
// AWS documentation's sample events with event-match.ts.

export type EventPattern = { [key: string]: unknown };

export const ECS_TASK_STATE_CHANGE = "ECS Task State Change";
export const API_CALL_VIA_CLOUDTRAIL = "AWS API Call via CloudTrail";

/**
 * Cloud Map API calls that change what is registered or which services opt in
 * (tags). ECS itself calls Register/DeregisterInstance for service tasks.
 */
export const CLOUD_MAP_EVENT_NAMES = [
  "RegisterInstance",
  "DeregisterInstance",
  "CreateService",
  "DeleteService",
  "UpdateService",
  "TagResource",
  "UntagResource",
] as const;

/**
 * Task states that carry no address yet: a task is registered in Cloud Map
 * during ACTIVATING, so PROVISIONING and PENDING changes are dropped at the rule.
 */
export const IGNORED_TASK_STATES = ["PROVISIONING", "PENDING"] as const;

/** ECS task state changes, narrowed to the given cluster ARNs when any are given. */
export function ecsTaskStateChangePattern(clusterArns: readonly string[] = []): EventPattern {
  const detail: EventPattern = {
    lastStatus: [{ "anything-but": [...IGNORED_TASK_STATES] }],
  };
  if (clusterArns.length > 0) detail.clusterArn = [...new Set(clusterArns)].sort();
  return {
    source: ["aws.ecs"],
    "detail-type": [ECS_TASK_STATE_CHANGE],
    detail,
  };
}

/**
 * Cloud Map writes, as CloudTrail records them (a trail must be logging
 * management events). Calls that failed (`errorCode` present) changed nothing.
 */
export function cloudMapApiCallPattern(): EventPattern {
  return {
    source: ["aws.servicediscovery"],
    "detail-type": [API_CALL_VIA_CLOUDTRAIL],
    detail: {
      eventSource: ["servicediscovery.amazonaws.com"],
      eventName: [...CLOUD_MAP_EVENT_NAMES],
      errorCode: [{ exists: false }],
    },
  };
}
