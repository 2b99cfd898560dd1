// The one reader of container instances against the simulator: DescribeContainerInstances
// per cluster in batches of 100, DescribeInstances for up to 1,000 ids per call, the EC2
// instance's IP, id and type per container instance; an entry known by its EC2 instance id
// needs no DescribeContainerInstances; a failed call or a missing instance is reported,
// never thrown; an ECS Anywhere instance ("mi-...") is never sent to EC2.
import type { ContainerInstanceRef } from "@scrape-reconciler/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSimEnv, type SimEnv } from "../../../test/support/sim-env";
import { readContainerInstances } from "../src";

let env: SimEnv;
beforeAll(async () => {
  env = await startSimEnv({
    scenario: {
      clusters: [
        { name: "a", containerInstances: 500 },
        { name: "b", containerInstances: 500 },
        { name: "c", containerInstances: 3 },
      ],
      services: [],
    },
  });
  // Instance types other than the simulator's default, so each value is traced to its instance.
  const types = ["c6g.large", "m5.large", "t3.micro"];
  let i = 0;
  for (const ec2 of env.sim.state.ecs.ec2Instances.values()) ec2.instanceType = types[i++ % types.length]!;
});
afterAll(async () => env?.sim.close());
beforeEach(() => {
  env.sim.setFaults(null);
  env.sim.calls.reset();
});

const refsOf = (cluster: string, n?: number): ContainerInstanceRef[] =>
  env.sim.state.ecs
    .cluster(cluster)
    .containerInstances.slice(0, n)
    .map((ci) => ({ cluster: env.sim.state.ecs.cluster(cluster).arn, arn: ci.arn }));

function expected(cluster: string, n?: number) {
  return Object.fromEntries(
    env.sim.state.ecs
      .cluster(cluster)
      .containerInstances.slice(0, n)
      .map((ci) => [
        ci.arn,
        { ip: ci.privateIp, ec2InstanceId: ci.ec2InstanceId, instanceType: env.sim.state.ecs.ec2Instances.get(ci.ec2InstanceId)!.instanceType },
      ]),
  );
}

const simCalls = () => ({
  describeContainerInstances: env.sim.calls.get("ecs:DescribeContainerInstances"),
  describeInstances: env.sim.calls.get("ec2:DescribeInstances"),
});

describe("readContainerInstances", () => {
  it("reads 150 + 3 container instances of two clusters in 3 DescribeContainerInstances and 1 DescribeInstances", async () => {
    const r = await readContainerInstances(env.clients, [...refsOf("a", 150), ...refsOf("c"), ...refsOf("c", 1)]);
    expect(r.failures).toEqual([]);
    expect(r.found).toEqual({ ...expected("a", 150), ...expected("c") });
    expect(new Set(Object.values(r.found).map((f) => f.instanceType))).toEqual(new Set(["c6g.large", "m5.large", "t3.micro"]));
    expect(r.calls).toEqual({ describeContainerInstances: 3, describeInstances: 1 });
    expect(simCalls()).toEqual(r.calls);
  });

  it("1,003 EC2 instances: DescribeInstances takes 1,000 ids at a time", async () => {
    const r = await readContainerInstances(env.clients, [...refsOf("a"), ...refsOf("b"), ...refsOf("c")], { concurrency: 4 });
    expect(r.failures).toEqual([]);
    expect(Object.keys(r.found)).toHaveLength(1003);
    expect(r.calls).toEqual({ describeContainerInstances: 11, describeInstances: 2 });
    expect(simCalls()).toEqual(r.calls);
  });

  it("an entry known by its EC2 instance id (cached without its type) needs only DescribeInstances", async () => {
    const known = env.sim.state.ecs.cluster("c").containerInstances.map((ci) => ({ cluster: "c", arn: ci.arn, ec2InstanceId: ci.ec2InstanceId }));
    const r = await readContainerInstances(env.clients, known);
    expect(r.found).toEqual(expected("c"));
    expect(simCalls()).toEqual({ describeContainerInstances: 0, describeInstances: 1 });
  });

  it("reports, never throws: a container instance ECS does not know, a failed DescribeInstances, an ECS Anywhere instance", async () => {
    const gone = "arn:aws:ecs:us-east-1:123456789012:container-instance/c/00000000000000000000000000000000";
    let r = await readContainerInstances(env.clients, [...refsOf("c", 1), { cluster: "c", arn: gone }]);
    expect(Object.keys(r.found)).toEqual([refsOf("c", 1)[0]!.arn]);
    expect(r.failures).toEqual([{ arn: gone, operation: "ecs:DescribeContainerInstances", reason: `container instance ${gone} not found` }]);

    env.sim.setFaults({ deny: { "ec2:DescribeInstances": "AccessDeniedException" } });
    r = await readContainerInstances(env.clientsWith({ maxAttempts: 1 }), refsOf("c"));
    expect(r.found).toEqual({});
    expect(r.failures.map((f) => [f.arn, f.operation])).toEqual(refsOf("c").map((x) => [x.arn, "ec2:DescribeInstances"]));
    expect(r.failures[0]!.reason).toMatch(/AccessDenied|UnauthorizedOperation/);
    expect(r.failures[0]!.error).toBeInstanceOf(Error);

    env.sim.setFaults(null);
    env.sim.calls.reset();
    r = await readContainerInstances(env.clients, [{ cluster: "c", arn: gone, ec2InstanceId: "mi-0123456789abcdef0" }]);
    expect(r.failures).toEqual([{ arn: gone, operation: "ec2:DescribeInstances", reason: "mi-0123456789abcdef0 is not an EC2 instance" }]);
    expect(simCalls()).toEqual({ describeContainerInstances: 0, describeInstances: 0 });
  });
});
