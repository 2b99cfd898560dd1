// The reconcile rules' event patterns against the AWS documentation's sample
// events (and the Cloud Map events built from them): what must reach the
// queue does, what must not does not.
import { describe, expect, it } from "vitest";
import { matchesPattern } from "../../infra/event-match";
import { CLOUD_MAP_EVENT_NAMES, cloudMapApiCallPattern, ecsTaskStateChangePattern } from "../../infra/patterns";
import { samples, variant } from "./fixtures";

const FARGATE_CLUSTER = "arn:aws:ecs:us-west-2:111122223333:cluster/FargateCluster";
const EC2_CLUSTER = "arn:aws:ecs:us-east-1:111122223333:cluster/default";

describe("ECS task state change pattern", () => {
  it("matches both documented sample events when no cluster is configured", () => {
    const p = ecsTaskStateChangePattern();
    expect(matchesPattern(p, samples.fargate())).toBe(true);
    expect(matchesPattern(p, samples.ec2())).toBe(true);
  });

  it("with clusters configured, matches only events of those clusters", () => {
    const onlyFargate = ecsTaskStateChangePattern([FARGATE_CLUSTER]);
    expect(matchesPattern(onlyFargate, samples.fargate())).toBe(true);
    expect(matchesPattern(onlyFargate, samples.ec2())).toBe(false);
    const both = ecsTaskStateChangePattern([EC2_CLUSTER, FARGATE_CLUSTER]);
    expect(matchesPattern(both, samples.ec2())).toBe(true);
    expect(matchesPattern(both, samples.fargate())).toBe(true);
  });

  it("rejects a cluster whose ARN only shares a prefix with a configured one", () => {
    const p = ecsTaskStateChangePattern([FARGATE_CLUSTER]);
    const other = variant(samples.fargate(), (e) => {
      e.detail.clusterArn = `${FARGATE_CLUSTER}-staging`;
    });
    expect(matchesPattern(p, other)).toBe(false);
  });

  it("keeps every state from ACTIVATING to STOPPED and drops PROVISIONING and PENDING", () => {
    const p = ecsTaskStateChangePattern();
    for (const s of ["ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"]) {
      expect(
        matchesPattern(
          p,
          variant(samples.fargate(), (e) => {
            e.detail.lastStatus = s;
          }),
        ),
        s,
      ).toBe(true);
    }
    for (const s of ["PROVISIONING", "PENDING"]) {
      expect(
        matchesPattern(
          p,
          variant(samples.fargate(), (e) => {
            e.detail.lastStatus = s;
          }),
        ),
        s,
      ).toBe(false);
    }
  });

  it("rejects other sources and detail types", () => {
    const p = ecsTaskStateChangePattern();
    expect(
      matchesPattern(
        p,
        variant(samples.fargate(), (e) => {
          e.source = "aws.ec2";
        }),
      ),
    ).toBe(false);
    expect(
      matchesPattern(
        p,
        variant(samples.fargate(), (e) => {
          e["detail-type"] = "ECS Container Instance State Change";
        }),
      ),
    ).toBe(false);
    expect(matchesPattern(p, samples.s3ApiCall())).toBe(false);
    expect(matchesPattern(p, samples.register())).toBe(false);
  });

  it("lists cluster ARNs once and sorted, so the rule does not churn between deploys", () => {
    const p = ecsTaskStateChangePattern([FARGATE_CLUSTER, EC2_CLUSTER, FARGATE_CLUSTER]);
    expect((p.detail as Record<string, unknown>).clusterArn).toEqual([EC2_CLUSTER, FARGATE_CLUSTER]);
  });
});

describe("Cloud Map API call pattern", () => {
  const p = cloudMapApiCallPattern();

  it("matches the RegisterInstance and DeregisterInstance events", () => {
    expect(matchesPattern(p, samples.register())).toBe(true);
    expect(matchesPattern(p, samples.deregister())).toBe(true);
  });

  it("matches every listed Cloud Map write and no other call", () => {
    expect([...CLOUD_MAP_EVENT_NAMES].sort()).toEqual([
      "CreateService",
      "DeleteService",
      "DeregisterInstance",
      "RegisterInstance",
      "TagResource",
      "UntagResource",
      "UpdateService",
    ]);
    for (const name of CLOUD_MAP_EVENT_NAMES) {
      expect(
        matchesPattern(
          p,
          variant(samples.register(), (e) => {
            e.detail.eventName = name;
          }),
        ),
        name,
      ).toBe(true);
    }
    for (const name of ["CreatePublicDnsNamespace", "ListInstances", "DiscoverInstances", "GetService", "registerinstance"]) {
      expect(
        matchesPattern(
          p,
          variant(samples.register(), (e) => {
            e.detail.eventName = name;
          }),
        ),
        name,
      ).toBe(false);
    }
  });

  it("rejects the documented CreatePublicDnsNamespace record wrapped in the EventBridge envelope", () => {
    const record = samples.cloudTrailLog().Records as Record<string, unknown>[];
    const event = variant(samples.s3ApiCall(), (e) => {
      e.source = "aws.servicediscovery";
      e.detail = record[0]!;
    });
    expect(matchesPattern(p, event)).toBe(false);
    // ...and the same record renamed to a listed call is accepted, so the envelope is right.
    const renamed = variant(event, (e) => {
      e.detail.eventName = "RegisterInstance";
    });
    expect(matchesPattern(p, renamed)).toBe(true);
  });

  it("rejects other sources, other event sources and failed calls", () => {
    expect(matchesPattern(p, samples.s3ApiCall())).toBe(false);
    expect(
      matchesPattern(
        p,
        variant(samples.register(), (e) => {
          e.source = "aws.ecs";
        }),
      ),
    ).toBe(false);
    expect(
      matchesPattern(
        p,
        variant(samples.register(), (e) => {
          e.detail.eventSource = "ecs.amazonaws.com";
        }),
      ),
    ).toBe(false);
    const failed = variant(samples.register(), (e) => {
      e.detail.errorCode = "AccessDenied";
      e.detail.errorMessage = "User is not authorized";
    });
    expect(matchesPattern(p, failed)).toBe(false);
    expect(matchesPattern(p, samples.fargate())).toBe(false);
  });

  it("the built events keep the documented envelope's and record's field names", () => {
    const envelope = Object.keys(samples.s3ApiCall()).sort();
    const record = Object.keys((samples.cloudTrailLog().Records as object[])[0]!);
    for (const e of [samples.register(), samples.deregister()]) {
      expect(Object.keys(e).sort()).toEqual(envelope);
      for (const k of record) expect(e.detail, k).toHaveProperty(k);
    }
  });
});
