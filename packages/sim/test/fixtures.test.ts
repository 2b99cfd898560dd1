// The simulator's answers, deserialized by the real SDK clients, have every field that
// the AWS documentation's sample responses (fixtures/*.json) show.
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import { DescribeContainerInstancesCommand, DescribeServicesCommand, DescribeTasksCommand } from "@aws-sdk/client-ecs";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { GetNamespaceCommand, GetServiceCommand, ListInstancesCommand, ListNamespacesCommand, ListServicesCommand } from "@aws-sdk/client-servicediscovery";
import { GetParameterCommand, PutParameterCommand } from "@aws-sdk/client-ssm";
import { beforeAll, describe, expect, it } from "vitest";
import { SMALL, useSimulator } from "./helpers";

interface Fixture {
  source: string;
  service: string;
  operation: string;
  ignore: string[];
  response: unknown;
}

const dir = fileURLToPath(new URL("./fixtures/", import.meta.url));
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .map((f) => ({ file: f, ...(JSON.parse(readFileSync(dir + f, "utf8")) as Fixture) }));

/** Every field path of a value: objects by key, arrays as `[]`, leaves included. */
export function fieldPaths(value: unknown, prefix = "", out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) fieldPaths(v, `${prefix}[]`, out);
  } else if (value !== null && typeof value === "object" && !(value instanceof Date) && !(value instanceof Uint8Array)) {
    for (const [k, v] of Object.entries(value)) {
      if (k === "$metadata" || v === undefined) continue;
      const p = prefix ? `${prefix}.${k}` : k;
      out.add(p);
      fieldPaths(v, p, out);
    }
  }
  return out;
}

const env = useSimulator({
  scenario: { ...SMALL, namespaces: SMALL.namespaces!.map((n) => ({ ...n, description: `the ${n.name} namespace` })) },
});
beforeAll(() => {
  env.sim.state.s3.put("targets", "index.html", Buffer.from("<html></html>"), { contentType: "text/html" });
});

async function call(service: string, operation: string): Promise<unknown> {
  const nsId = (name: string) => [...env.sim.state.cloudMap.namespaces.values()].find((n) => n.name === name)!.id;
  const frontend = env.sim.state.cloudMapServiceFor("web", "frontend");
  const key = `${service}:${operation}`;
  switch (key) {
    case "servicediscovery:ListNamespaces":
      return env.c.sd.send(new ListNamespacesCommand({}));
    case "servicediscovery:GetNamespace":
      return env.c.sd.send(new GetNamespaceCommand({ Id: nsId("apps") }));
    case "servicediscovery:ListServices":
      return env.c.sd.send(new ListServicesCommand({}));
    case "servicediscovery:GetService":
      return env.c.sd.send(new GetServiceCommand({ Id: env.sim.state.cloudMapServiceFor("web", "worker").id }));
    case "servicediscovery:ListInstances":
      return env.c.sd.send(new ListInstancesCommand({ ServiceId: frontend.id }));
    case "ecs:DescribeTasks": {
      const tasks = env.sim.state.tasks({ cluster: "web", service: "worker", desiredStatus: "RUNNING" }).map((t) => t.taskArn!);
      return env.c.ecs.send(new DescribeTasksCommand({ cluster: "web", tasks }));
    }
    case "ecs:DescribeServices":
      return env.c.ecs.send(new DescribeServicesCommand({ cluster: "web", services: ["frontend"] }));
    case "ecs:DescribeContainerInstances": {
      const arns = env.sim.state.ecs.cluster("legacy").containerInstances.map((ci) => ci.arn);
      return env.c.ecs.send(new DescribeContainerInstancesCommand({ cluster: "legacy", containerInstances: arns }));
    }
    case "ssm:GetParameter":
      return env.c.ssm.send(new GetParameterCommand({ Name: "/app/dev/manifest" }));
    case "ssm:PutParameter":
      return env.c.ssm.send(new PutParameterCommand({ Name: "/app/dev/manifest", Value: "{}", Overwrite: true }));
    case "s3:HeadObject":
      return env.c.s3.send(new HeadObjectCommand({ Bucket: "targets", Key: "index.html" }));
    case "ec2:DescribeInstances":
      return env.c.ec2.send(new DescribeInstancesCommand({}));
    default:
      throw new Error(`no call for fixture operation ${key}`);
  }
}

describe("AWS documentation samples", () => {
  it("has fixtures for every simulated service", () => {
    expect(new Set(fixtures.map((f) => f.service))).toEqual(new Set(["servicediscovery", "ecs", "ssm", "s3", "ec2"]));
  });

  for (const f of fixtures) {
    it(`${f.service}:${f.operation} has the fields of ${f.file}`, async () => {
      const sample = fieldPaths(f.response);
      const ours = fieldPaths(await call(f.service, f.operation));
      const ignored = (p: string) => f.ignore.some((i) => p === i || p.startsWith(`${i}.`) || p.startsWith(`${i}[]`));
      const missing = [...sample].filter((p) => !ours.has(p) && !ignored(p));
      expect(missing).toEqual([]);
    });
  }
});
