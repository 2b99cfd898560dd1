// A discovered resource whose CloudWatch metrics are forwarded: its kind, the exact
// dimensions CloudWatch files its metrics under, its ARN (the `name` label), and the
// region, account and tags the labels are made of.
import type { ResourceKind } from "./metric-sets";

export interface Dimension {
  Name: string;
  Value: string;
}

export interface Resource {
  kind: ResourceKind;
  /** DBInstanceIdentifier, DBClusterIdentifier, or `CacheClusterId/CacheNodeId`. */
  id: string;
  /** The resource ARN (for a cache node: its cache cluster's ARN, as YACE labels it). */
  arn: string;
  region: string;
  accountId: string;
  dimensions: Dimension[];
  tags: Record<string, string>;
  engine: string;
  /** Aurora engine (aurora-postgresql, aurora-mysql): decides which instance metrics apply. */
  aurora: boolean;
}

/** Region and account of an ARN (`arn:partition:service:region:account:...`); empty strings when absent. */
export function arnParts(arn: string): { region: string; accountId: string } {
  const parts = arn.split(":");
  return { region: parts[3] ?? "", accountId: parts[4] ?? "" };
}
