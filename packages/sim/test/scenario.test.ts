// Scenario validation and seeding, generateScenario, startSimulator's endpoint
// environment, and the CLI.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { DescribeServicesCommand, ECSClient } from "@aws-sdk/client-ecs";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ListInstancesCommand, ListNamespacesCommand, ServiceDiscoveryClient } from "@aws-sdk/client-servicediscovery";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { describe, expect, it } from "vitest";
import { ScenarioError, generateScenario, loadScenarioFile, parseScenario, seedState, startSimulator } from "../src/index";
import { clients } from "./helpers";

const SAMPLE = fileURLToPath(new URL("../scenarios/sample.json", import.meta.url));
const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
/** The two ECS services of the sample scenario's prod-workers cluster. */
const SAMPLE_WORKERS = { cluster: "prod-workers", services: ["celery-worker", "scheduler"] };

const errorOf = (input: unknown): string => {
  try {
    parseScenario(input);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as Error).message;
  }
  throw new Error("expected a ScenarioError");
};

describe("scenario validation", () => {
  it("names the field in a one-line error", () => {
    const base = { namespaces: [{ name: "n" }], clusters: [{ name: "c" }] };
    const cases: [unknown, RegExp][] = [
      [{ ...base, services: [{ cluster: "c", name: "s", desiredCount: "2" }] }, /^scenario: services\[0\]\.desiredCount: /],
      [{ ...base, services: [{ cluster: "x", name: "s" }] }, /^scenario: services\[0\]\.cluster: unknown cluster "x"$/],
      [{ ...base, services: [{ cluster: "c", name: "s", namespace: "zzz" }] }, /^scenario: services\[0\]\.namespace: unknown namespace "zzz"$/],
      [
        { ...base, services: [{ cluster: "c", name: "s", networkMode: "bridge" }] },
        /^scenario: services\[0\]\.networkMode: FARGATE tasks need networkMode awsvpc/,
      ],
      [
        { ...base, services: [{ cluster: "c", name: "s", taskDefinition: { containers: [{ name: "a", ports: [70000] }] } }] },
        /^scenario: services\[0\]\.taskDefinition\.containers\[0\]\.ports\[0\]: /,
      ],
      [{ ...base, ipBase: "10.0.0" }, /^scenario: ipBase: /],
      [{ ...base, namespaces: [{ name: "n", type: "DNS" }] }, /^scenario: namespaces\[0\]\.type: /],
      [{ ...base, surprise: true }, /^scenario: \(root\): .*surprise/],
      [{ ...base, objects: [{ bucket: "nope", key: "k", body: "" }] }, /^scenario: objects\[0\]\.bucket: unknown bucket "nope"$/],
    ];
    for (const [input, re] of cases) {
      const msg = errorOf(input);
      expect(msg).toMatch(re);
      expect(msg).not.toContain("\n");
    }
  });

  it("reports an unreadable or invalid JSON file with its path", () => {
    const dir = mkdtempSync(join(tmpdir(), "sim-scenario-"));
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "{ not json");
    expect(() => loadScenarioFile(bad)).toThrow(/bad\.json: invalid JSON/);
    expect(() => loadScenarioFile(join(dir, "missing.json"))).toThrow(/missing\.json: cannot read scenario file/);
  });
});

describe("the bundled sample scenario", () => {
  it("is a realistic small account", () => {
    const state = seedState(loadScenarioFile(SAMPLE));
    expect([...state.ecs.clusters.keys()]).toEqual(["prod-web", "prod-workers", "prod-legacy"]);
    expect([...state.cloudMap.namespaces.values()].map((n) => n.type).sort()).toEqual(["DNS_PRIVATE", "DNS_PUBLIC", "HTTP"]);
    const cm = (cluster: string, service: string) => state.cloudMapServiceFor(cluster, service);
    expect(cm("prod-web", "admin").tags.METRICS_PORT).toBe("abc");
    expect(cm("prod-web", "api").tags.ECS_METRICS_PORT).toBe("9779");
    expect(cm("prod-web", "search").tags.METRICS_PORT).toBe("8080,9100");
    expect(cm("prod-web", "docs").tags).toEqual({});
    const worker = [...cm("prod-workers", "celery-worker").instances.values()];
    expect(worker.map((i) => i.attributes.AWS_INSTANCE_PORT)).toEqual(["9102", "9102"]);
    const billing = [...cm("prod-legacy", "billing").instances.values()];
    for (const i of billing) {
      expect(i.attributes.EC2_INSTANCE_ID).toMatch(/^i-/);
      expect(Number(i.attributes.AWS_INSTANCE_PORT)).toBeGreaterThanOrEqual(32768);
    }
    expect(() => state.cloudMapServiceFor("prod-workers", "scheduler")).toThrow(/no Cloud Map registry/);
    expect(state.tasks({ status: "RUNNING" })).toHaveLength(15);
  });

  it("takes addresses from ipBase (a loopback base for the demo)", () => {
    const state = seedState(parseScenario({ ...loadScenarioFile(SAMPLE), ipBase: "127.0.10.0" }));
    const ips = [...state.cloudMap.services.values()].flatMap((s) => [...s.instances.values()].map((i) => i.attributes.AWS_INSTANCE_IPV4!));
    expect(ips.filter((ip) => ip !== "10.0.200.10").every((ip) => ip.startsWith("127.0.10."))).toBe(true);
    expect(ips).toContain("127.0.10.1");
  });
});

describe("generateScenario", () => {
  it("builds 200 services x 50 tasks quickly and serves them", async () => {
    const t = Date.now();
    const sim = await startSimulator({
      scenario: generateScenario({ services: 200, tasksPerService: 50, namespaces: 3, clusters: 4, ec2Every: 10, untaggedEvery: 7 }),
    });
    try {
      expect(Date.now() - t).toBeLessThan(15_000);
      expect(sim.state.tasks({ status: "RUNNING" })).toHaveLength(10_000);
      expect(sim.state.cloudMap.services.size).toBe(200);
      const untagged = [...sim.state.cloudMap.services.values()].filter((s) => !s.tags.METRICS_PORT);
      expect(untagged).toHaveLength(28);
      const ec2 = sim.state.ecs.service("cluster-2", "svc-010");
      expect(ec2).toMatchObject({ launchType: "EC2", networkMode: "bridge" });
      const r = await clients(sim).sd.send(new ListInstancesCommand({ ServiceId: ec2.cloudMapServiceId! }));
      expect(r.Instances).toHaveLength(50);
      expect(r.NextToken).toBeUndefined();
    } finally {
      await sim.close();
    }
  });
});

describe("startSimulator", () => {
  it("endpointEnv points every registered service's SDK endpoint variable at the simulator", async () => {
    const sim = await startSimulator();
    try {
      const env = sim.endpointEnv();
      for (const name of ["SERVICEDISCOVERY", "ECS", "S3", "SSM", "EC2"]) expect(env[`AWS_ENDPOINT_URL_${name}`]).toBe(sim.url);
      expect(env).toMatchObject({ AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: expect.any(String), AWS_SECRET_ACCESS_KEY: expect.any(String) });
      expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await sim.close();
    }
  });
});

describe("clients configured only by the environment", () => {
  it("reach every service through AWS_ENDPOINT_URL_* (S3 path-style on 127.0.0.1)", async () => {
    const sim = await startSimulator({ scenario: loadScenarioFile(SAMPLE) });
    const saved = { ...process.env };
    Object.assign(process.env, sim.endpointEnv());
    try {
      const sd = new ServiceDiscoveryClient({ maxAttempts: 1 });
      const ecs = new ECSClient({ maxAttempts: 1 });
      const s3 = new S3Client({ maxAttempts: 1 });
      const ssm = new SSMClient({ maxAttempts: 1 });
      const ec2 = new EC2Client({ maxAttempts: 1 });
      expect((await sd.send(new ListNamespacesCommand({}))).Namespaces).toHaveLength(3);
      expect((await ecs.send(new DescribeServicesCommand(SAMPLE_WORKERS))).services).toHaveLength(2);
      await s3.send(new PutObjectCommand({ Bucket: "scrape-reconciler-targets-dev", Key: "targets/ecs-services.json", Body: "[]", IfNoneMatch: "*" }));
      expect(
        await (await s3.send(new GetObjectCommand({ Bucket: "scrape-reconciler-targets-dev", Key: "targets/ecs-services.json" }))).Body!.transformToString(),
      ).toBe("[]");
      await ssm.send(new PutParameterCommand({ Name: "/scrape-reconciler/targets/manifest", Value: "{}", Type: "String" }));
      expect((await ec2.send(new DescribeInstancesCommand({}))).Reservations).toHaveLength(2);
      expect(sim.calls.snapshot()).toEqual({
        "ec2:DescribeInstances": 1,
        "ecs:DescribeServices": 1,
        "s3:GetObject": 1,
        "s3:PutObject": 1,
        "servicediscovery:ListNamespaces": 1,
        "ssm:PutParameter": 1,
      });
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
      await sim.close();
    }
  });
});

describe("CLI", () => {
  it("prints the endpoint environment, serves the scenario and stops cleanly on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, "--scenario", SAMPLE, "--latency-ms", "1"], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const env = await new Promise<Record<string, string>>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.includes("AWS_SECRET_ACCESS_KEY=")) {
            resolve(
              Object.fromEntries(
                out
                  .trim()
                  .split("\n")
                  .map((l) => l.replace(/^export /, "").split("=") as [string, string]),
              ),
            );
          }
        });
        child.on("exit", (code) => reject(new Error(`exited early with ${code}`)));
        setTimeout(() => reject(new Error("no output within 20 s")), 20_000);
      });
      expect(env.AWS_ENDPOINT_URL_ECS).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(env.AWS_REGION).toBe("us-east-1");
      const ecs = new ECSClient({
        endpoint: env.AWS_ENDPOINT_URL_ECS,
        region: env.AWS_REGION,
        credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
      });
      expect((await ecs.send(new DescribeServicesCommand(SAMPLE_WORKERS))).services).toHaveLength(2);
      const exit = new Promise<number | null>((resolve) => child.on("exit", resolve));
      child.kill("SIGTERM");
      expect(await exit).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("exits 2 with a one-line error for a bad scenario", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sim-cli-"));
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ services: [{ cluster: "x", name: "a" }] }));
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, "--scenario", bad], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(2);
    expect(
      err
        .trim()
        .split("\n")
        .filter((l) => l.startsWith("sim:")),
    ).toEqual([`sim: ${bad}: services[0].cluster: unknown cluster "x"`]);
  });
});
