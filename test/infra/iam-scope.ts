// The discovery resources the IAM unit tests pass to infra/iam.ts's statement builders:
// the patterns infra/naming.ts builds for one account and region (as the stack does).
import type { DiscoveryScope, ReconcileResources } from "../../infra/iam";
import { cloudMapResourcePattern, ecsResourcePatterns } from "../../infra/naming";

export const AT = { partition: "aws", region: "eu-west-1", account: "111122223333" };

/** The account's patterns, or (given cluster ARNs) ECS services and container instances of those clusters. */
export function scopeFor(clusterArns: string[] = []): DiscoveryScope<string> {
  return {
    ecsTasks: ecsResourcePatterns("task", AT),
    ecsServices: ecsResourcePatterns("service", AT, clusterArns),
    ecsContainerInstances: ecsResourcePatterns("container-instance", AT, clusterArns),
    cloudMapServices: [cloudMapResourcePattern("service", AT)],
    cloudMapNamespaces: [cloudMapResourcePattern("namespace", AT)],
  };
}

/** Keys and scope every reconcile/audit statement builder needs, beside the ARNs a test gives. */
export const KEYS = { documentKey: "targets/ecs-services.json", stateKey: "targets/state.json", indexKey: "targets/ecs-services.index.json" };

/** The reconcile role's resources with one-letter ARNs: for the tests that compare actions, not resources. */
export function placeholderReconcileResources(): ReconcileResources<string> {
  return {
    bucketArn: "b",
    ...KEYS,
    scope: scopeFor(),
    documentObjectArn: "d",
    stateObjectArn: "s",
    indexObjectArn: "i",
    shardObjectsArn: "sh",
    statePartsArn: "sp",
    manifestParameterArn: "p",
    queueArn: "q",
    logStreamsArn: "l",
  };
}
