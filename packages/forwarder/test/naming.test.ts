// YACE-compatible series names and labels, and the canonical series key.
import { describe, expect, it } from "vitest";
import { metricName, promString, sanitize, seriesKey, seriesLabels, tagLabel } from "../src/naming";
import type { Resource } from "../src/resource";

describe("promString / metricName (YACE rules)", () => {
  it.each([
    ["CPUUtilization", "cpuutilization"],
    ["FreeableMemory", "freeable_memory"],
    ["ReadIOPS", "read_iops"],
    ["MaximumUsedTransactionIDs", "maximum_used_transaction_ids"],
    ["EngineCPUUtilization", "engine_cpuutilization"],
    ["DatabaseMemoryUsagePercentage", "database_memory_usage_percentage"],
    ["NetworkBytesIn", "network_bytes_in"],
    ["VolumeReadIOPs", "volume_read_iops"],
    ["5xxErrorRate", "5xx_error_rate"],
    ["Latency%", "latency_percent"],
    ["ClusterStatus.green", "cluster_status_green"],
  ])("%s -> %s", (input, out) => {
    expect(promString(input)).toBe(out);
  });

  it("builds aws_<namespace>_<metric>_<statistic>", () => {
    expect(metricName("AWS/RDS", "CPUUtilization", "Average")).toBe("aws_rds_cpuutilization_average");
    expect(metricName("AWS/ElastiCache", "CPUUtilization", "Maximum")).toBe("aws_elasticache_cpuutilization_maximum");
    expect(metricName("AWS/RDS", "FreeStorageSpace", "Minimum")).toBe("aws_rds_free_storage_space_minimum");
    expect(metricName("AWS/ElastiCache", "CacheHits", "Sum")).toBe("aws_elasticache_cache_hits_sum");
    // A metric repeating the namespace loses the repetition, as in YACE (Glue's glue_* metrics).
    expect(metricName("Glue", "glue.driver.aggregate.bytesRead", "Sum")).toBe("aws_glue_driver_aggregate_bytes_read_sum");
  });

  it("keeps case in sanitized label names; tag keys that cannot be labels are refused", () => {
    expect(sanitize("DBInstanceIdentifier")).toBe("DBInstanceIdentifier");
    expect(tagLabel("cost-center")).toBe("tag_cost_center");
    expect(tagLabel("aws:cloudformation:stack-name")).toBe("tag_aws_cloudformation_stack_name");
    expect(tagLabel("team+x")).toBeUndefined();
  });
});

describe("seriesLabels", () => {
  const node: Resource = {
    kind: "elastiCacheNode",
    id: "sessions-001/0001",
    arn: "arn:aws:elasticache:eu-west-1:123456789012:cluster:sessions-001",
    region: "eu-west-1",
    accountId: "123456789012",
    dimensions: [
      { Name: "CacheClusterId", Value: "sessions-001" },
      { Name: "CacheNodeId", Value: "0001" },
    ],
    tags: { team: "web", env: "" },
    engine: "redis",
    aurora: false,
  };

  it("has dimension_*, name (ARN), region, account_id, the chosen non-empty tags and job", () => {
    expect(seriesLabels(node, "AWS/ElastiCache", "EngineCPUUtilization", "Average", { job: "cloudwatch", tagLabels: ["team", "env", "missing"] })).toEqual({
      __name__: "aws_elasticache_engine_cpuutilization_average",
      dimension_CacheClusterId: "sessions-001",
      dimension_CacheNodeId: "0001",
      name: "arn:aws:elasticache:eu-west-1:123456789012:cluster:sessions-001",
      region: "eu-west-1",
      account_id: "123456789012",
      tag_team: "web",
      job: "cloudwatch",
    });
  });

  it("keys a series by its sorted label set, empty values left out, independent of insertion order", () => {
    const a = seriesKey({ __name__: "m", b: "2", a: "1", e: "" });
    expect(a).toBe('m{a="1",b="2"}');
    expect(seriesKey({ a: "1", e: "", b: "2", __name__: "m" })).toBe(a);
    expect(seriesKey({ __name__: "m", a: "1", b: "3" })).not.toBe(a);
  });
});
