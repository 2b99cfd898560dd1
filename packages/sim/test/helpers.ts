// Shared test setup: a small account and SDK clients pointed at a simulator.
import { EC2Client } from "@aws-sdk/client-ec2";
import { ECSClient } from "@aws-sdk/client-ecs";
import { S3Client } from "@aws-sdk/client-s3";
import { ServiceDiscoveryClient } from "@aws-sdk/client-servicediscovery";
import { SSMClient } from "@aws-sdk/client-ssm";
import { afterAll, beforeAll } from "vitest";
import { simClientConfig, startSimulator, type ScenarioInput, type Simulator, type SimulatorOptions } from "../src/index";

/** Two clusters, three namespaces (one of each type), Fargate, bridge and host services. */
export const SMALL: ScenarioInput = {
  seed: "small",
  buckets: ["targets"],
  parameters: { "/app/dev/manifest": '{"generation":1}' },
  namespaces: [
    { name: "internal.local", type: "DNS_PRIVATE", description: "private" },
    { name: "apps", type: "HTTP" },
    { name: "example.com", type: "DNS_PUBLIC" },
  ],
  clusters: [{ name: "web" }, { name: "legacy", containerInstances: 2 }],
  services: [
    {
      cluster: "web",
      name: "frontend",
      namespace: "internal.local",
      tags: { METRICS_PORT: "8080", METRICS_PATH: "/metrics" },
      taskDefinition: { family: "frontend", revision: 3, containers: [{ name: "app", ports: [8080] }] },
      desiredCount: 2,
    },
    {
      cluster: "web",
      name: "worker",
      namespace: "apps",
      tags: { METRICS_PORT: "9102" },
      taskDefinition: {
        family: "worker",
        revision: 1,
        containers: [
          { name: "celery", ports: [] },
          { name: "statsd-exporter", ports: [9102, 9125] },
        ],
      },
      desiredCount: 1,
    },
    { cluster: "web", name: "untagged", namespace: "example.com", desiredCount: 1 },
    {
      cluster: "legacy",
      name: "billing",
      namespace: "internal.local",
      tags: { METRICS_PORT: "8080" },
      launchType: "EC2",
      networkMode: "bridge",
      taskDefinition: { family: "billing", revision: 7, containers: [{ name: "billing", ports: [8080, 8081] }] },
      desiredCount: 3,
    },
    {
      cluster: "legacy",
      name: "haproxy",
      namespace: "internal.local",
      launchType: "EC2",
      networkMode: "host",
      taskDefinition: { family: "haproxy", revision: 1, containers: [{ name: "haproxy", ports: [8404] }] },
      desiredCount: 2,
    },
  ],
};

export interface Clients {
  sd: ServiceDiscoveryClient;
  ecs: ECSClient;
  s3: S3Client;
  ssm: SSMClient;
  ec2: EC2Client;
}

/** SDK clients for the simulator; no retries unless asked (tests assert single calls). */
export function clients(sim: Simulator, extra: { maxAttempts?: number } = {}): Clients {
  const cfg = { ...simClientConfig(sim), maxAttempts: extra.maxAttempts ?? 1 };
  return {
    sd: new ServiceDiscoveryClient(cfg),
    ecs: new ECSClient(cfg),
    s3: new S3Client(cfg),
    ssm: new SSMClient(cfg),
    ec2: new EC2Client(cfg),
  };
}

export interface SimEnv {
  sim: Simulator;
  c: Clients;
}

/**
 * A simulator (the SMALL scenario unless told otherwise) and clients for it, shared by a
 * test file: the fields are set in beforeAll and the simulator is closed in afterAll.
 */
export function useSimulator(options: SimulatorOptions = { scenario: SMALL }): SimEnv {
  const env = {} as SimEnv;
  beforeAll(async () => {
    env.sim = await startSimulator(options);
    env.c = clients(env.sim);
  });
  afterAll(() => env.sim.close());
  return env;
}

/** Resolves to the error a promise rejects with (fails the test if it resolves). */
export async function failure(p: Promise<unknown>): Promise<Error & { name: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { name: string; $metadata?: { httpStatusCode?: number } };
  }
  throw new Error("expected the call to fail, it succeeded");
}
