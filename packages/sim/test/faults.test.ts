// Fault injection (rates, denials, queued faults) in each protocol's error shape,
// latency, and the call counters and log.
import { DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, DescribeTasksCommand } from "@aws-sdk/client-ecs";
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { ListNamespacesCommand, ListServicesCommand } from "@aws-sdk/client-servicediscovery";
import { GetParameterCommand } from "@aws-sdk/client-ssm";
import { beforeEach, describe, expect, it } from "vitest";
import { simClientConfig, startSimulator } from "../src/index";
import { clients, failure, useSimulator, type Clients } from "./helpers";

const env = useSimulator();
/** One ECS read (ecs:DescribeServices) that succeeds unless a fault is injected. */
const describeFrontend = (c: Clients) => c.ecs.send(new DescribeServicesCommand({ cluster: "web", services: ["frontend"] }));
beforeEach(() => {
  env.sim.setFaults(null);
  env.sim.setLatency(0);
  env.sim.calls.reset();
});

/** Whether a call succeeds. */
const succeeds = (call: Promise<unknown>) =>
  call.then(
    () => true,
    () => false,
  );

describe("injected faults", () => {
  it("at a rate: the SDK's own retries get every call through, and the log shows the injected errors", async () => {
    env.sim.setFaults({ rate: 0.3, errors: ["InternalFailure", "ServiceUnavailable"] });
    const retrying = clients(env.sim, { maxAttempts: 10 });
    for (let i = 0; i < 30; i++) {
      const r = await describeFrontend(retrying);
      expect(r.services).toHaveLength(1);
    }
    const log = env.sim.calls.log;
    const injected = log.filter((r) => r.fault === "rate");
    expect(log.filter((r) => r.status === 200)).toHaveLength(30);
    expect(injected.length).toBeGreaterThan(3);
    expect(new Set(injected.map((r) => `${r.status} ${r.error}`))).toEqual(new Set(["500 InternalFailure", "503 ServiceUnavailable"]));
    expect(env.sim.calls.get("ecs:DescribeServices")).toBe(30 + injected.length);
  });

  it("throttling is retried by the SDK (ThrottlingException, Cloud Map's RequestLimitExceeded, S3 SlowDown)", async () => {
    env.sim.setFaults({
      next: [
        { operation: "ecs:DescribeServices", error: "ThrottlingException" },
        { operation: "servicediscovery:ListNamespaces", error: "RequestLimitExceeded" },
        { operation: "s3:GetObject", error: "ThrottlingException" },
      ],
    });
    env.sim.state.s3.put("targets", "k", Buffer.from("v"));
    const retrying = clients(env.sim, { maxAttempts: 3 });
    await describeFrontend(retrying);
    await retrying.sd.send(new ListNamespacesCommand({}));
    await retrying.s3.send(new GetObjectCommand({ Bucket: "targets", Key: "k" }));
    expect(env.sim.calls.log.filter((r) => r.fault).map((r) => [r.key, r.status, r.error])).toEqual([
      ["ecs:DescribeServices", 400, "ThrottlingException"],
      ["servicediscovery:ListNamespaces", 400, "RequestLimitExceeded"],
      ["s3:GetObject", 503, "SlowDown"],
    ]);
    expect(env.sim.calls.get("ecs:DescribeServices")).toBe(2);
  });

  it("without retries the error reaches the caller with its name", async () => {
    env.sim.setFaults({ rate: 1, errors: ["ThrottlingException"], operations: ["ecs:DescribeTasks"] });
    const arns = env.sim.state.tasks({ cluster: "web", desiredStatus: "RUNNING" }).map((t) => t.taskArn!);
    const err = await failure(env.c.ecs.send(new DescribeTasksCommand({ cluster: "web", tasks: arns })));
    expect([err.name, err.$metadata?.httpStatusCode]).toEqual(["ThrottlingException", 400]);
    env.sim.setFaults({ rate: 1, services: ["ssm"] });
    await env.c.ecs.send(new DescribeTasksCommand({ cluster: "web", tasks: arns }));
    expect((await failure(env.c.ssm.send(new GetParameterCommand({ Name: "/app/dev/manifest" })))).name).toBe("ThrottlingException");
  });

  it("denies operations deterministically with each protocol's access-denied error; null clears", async () => {
    env.sim.setFaults({
      deny: { "servicediscovery:ListNamespaces": "AccessDeniedException", "s3:*": "AccessDeniedException", "ec2:DescribeInstances": "AccessDeniedException" },
    });
    const retrying = clients(env.sim, { maxAttempts: 3 });
    const sd = await failure(retrying.sd.send(new ListNamespacesCommand({})));
    expect(sd.name).toBe("AccessDeniedException");
    expect(sd.message).toContain("servicediscovery:ListNamespaces");
    expect(env.sim.calls.get("servicediscovery:ListNamespaces")).toBe(1);
    await retrying.sd.send(new ListServicesCommand({}));
    const s3 = await failure(retrying.s3.send(new PutObjectCommand({ Bucket: "targets", Key: "x", Body: "x" })));
    expect([s3.name, s3.$metadata?.httpStatusCode]).toEqual(["AccessDenied", 403]);
    const head = await failure(retrying.s3.send(new HeadObjectCommand({ Bucket: "targets", Key: "x" })));
    expect(head.$metadata?.httpStatusCode).toBe(403);
    const ec2 = await failure(retrying.ec2.send(new DescribeInstancesCommand({})));
    expect([ec2.name, ec2.$metadata?.httpStatusCode]).toEqual(["UnauthorizedOperation", 403]);
    expect(env.sim.calls.log.filter((r) => r.fault === "deny").map((r) => r.iamAction)).toEqual([
      "servicediscovery:ListNamespaces",
      "s3:PutObject",
      "s3:GetObject",
      "ec2:DescribeInstances",
    ]);
    env.sim.setFaults(null);
    await env.c.sd.send(new ListNamespacesCommand({}));
  });

  it("awsQuery services (RDS) answer Throttling 400 and AccessDenied 403", async () => {
    const rds = new RDSClient({ ...simClientConfig(env.sim), maxAttempts: 1 });
    env.sim.setFaults({
      next: [{ operation: "rds:DescribeDBInstances", error: "ThrottlingException" }],
      deny: { "rds:DescribeDBClusters": "AccessDeniedException" },
    });
    const throttled = await failure(rds.send(new DescribeDBInstancesCommand({})));
    expect([throttled.name, throttled.$metadata?.httpStatusCode]).toEqual(["Throttling", 400]);
    const denied = await failure(rds.send(new DescribeDBClustersCommand({})));
    expect([denied.name, denied.$metadata?.httpStatusCode]).toEqual(["AccessDenied", 403]);
    expect(denied.message).toContain("rds:DescribeDBClusters");
    expect((await rds.send(new DescribeDBInstancesCommand({}))).DBInstances).toEqual([]);
    expect(env.sim.calls.log.map((r) => [r.key, r.status, r.error])).toEqual([
      ["rds:DescribeDBInstances", 400, "Throttling"],
      ["rds:DescribeDBClusters", 403, "AccessDenied"],
      ["rds:DescribeDBInstances", 200, undefined],
    ]);
  });

  it("the same seed and calls give the same fault pattern", async () => {
    const pattern = async () => {
      const s = await startSimulator({ scenario: { seed: "faults", clusters: [{ name: "a" }] } });
      try {
        s.setFaults({ rate: 0.5 });
        const ecs = clients(s).ecs;
        const out: boolean[] = [];
        for (let i = 0; i < 20; i++) out.push(await succeeds(ecs.send(new DescribeServicesCommand({ cluster: "a", services: ["x"] }))));
        return out;
      } finally {
        await s.close();
      }
    };
    const [a, b] = [await pattern(), await pattern()];
    expect(a).toEqual(b);
    expect(a.filter(Boolean).length).toBeGreaterThan(2);
    expect(a.filter((x) => !x).length).toBeGreaterThan(2);
  });
});

describe("latency", () => {
  it("delays every call, or one operation, by the configured milliseconds", async () => {
    env.sim.setLatency(120);
    let t = Date.now();
    await describeFrontend(env.c);
    expect(Date.now() - t).toBeGreaterThanOrEqual(115);
    env.sim.setLatency({ "ecs:DescribeTaskDefinition": 150 });
    t = Date.now();
    await describeFrontend(env.c);
    expect(Date.now() - t).toBeLessThan(100);
    t = Date.now();
    await env.c.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "frontend" }));
    expect(Date.now() - t).toBeGreaterThanOrEqual(145);
    expect(env.sim.calls.log.at(-1)!.durationMs).toBeGreaterThanOrEqual(145);
  });
});

describe("call counters", () => {
  it("counts per service:Operation, totals by service and read-only, and logs the IAM action", async () => {
    env.sim.state.s3.put("targets", "doc", Buffer.from("[]"));
    await describeFrontend(env.c);
    await describeFrontend(env.c);
    await env.c.sd.send(new ListNamespacesCommand({}));
    await env.c.s3.send(new HeadObjectCommand({ Bucket: "targets", Key: "doc" }));
    await env.c.s3.send(new PutObjectCommand({ Bucket: "targets", Key: "doc", Body: "[1]" }));
    expect(env.sim.calls.get("ecs:DescribeServices")).toBe(2);
    expect(env.sim.calls.snapshot()).toEqual({ "ecs:DescribeServices": 2, "s3:HeadObject": 1, "s3:PutObject": 1, "servicediscovery:ListNamespaces": 1 });
    expect(env.sim.calls.total()).toBe(5);
    expect(env.sim.calls.total({ service: "ecs" })).toBe(2);
    expect(env.sim.calls.total({ readOnly: false })).toBe(1);
    expect(env.sim.calls.total({ service: "s3", readOnly: true })).toBe(1);
    expect(env.sim.calls.iamActions()).toEqual(["ecs:DescribeServices", "s3:GetObject", "s3:PutObject", "servicediscovery:ListNamespaces"]);
    const last = env.sim.calls.log.at(-1)!;
    expect(last).toMatchObject({ key: "s3:PutObject", service: "s3", operation: "PutObject", iamAction: "s3:PutObject", readOnly: false, status: 200 });
    expect(typeof last.time).toBe("number");
    env.sim.calls.reset();
    expect(env.sim.calls.snapshot()).toEqual({});
    expect(env.sim.calls.log).toEqual([]);
  });

  it("records failed calls with their status and error code", async () => {
    await failure(env.c.ecs.send(new DescribeTasksCommand({ cluster: "ghost", tasks: ["x"] })));
    expect(env.sim.calls.log).toMatchObject([{ key: "ecs:DescribeTasks", status: 400, error: "ClusterNotFoundException" }]);
    expect(env.sim.calls.log[0]!.fault).toBeUndefined();
  });
});
