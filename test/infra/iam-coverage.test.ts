// Every AWS SDK call the functions' code makes is granted to that function's
// role: the commands imported from @aws-sdk/client-* by the packages a
// function bundles, mapped to IAM actions, must all be in its statements.
// Keeps least privilege and the code in step as the code changes.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { forwardStatements, reconcileStatements, type Statement } from "../../infra/iam";
import { placeholderReconcileResources } from "./iam-scope";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PREFIX: Record<string, string> = {
  servicediscovery: "servicediscovery",
  ecs: "ecs",
  ec2: "ec2",
  s3: "s3",
  ssm: "ssm",
  cloudwatch: "cloudwatch",
  rds: "rds",
  elasticache: "elasticache",
  sts: "sts",
};
/** Calls whose IAM action has another name. */
const ACTION_OF: Record<string, string> = { "s3:HeadObject": "s3:GetObject" };

function sources(dir: string): string[] {
  const abs = join(ROOT, dir);
  return readdirSync(abs).flatMap((name) => {
    const p = join(abs, name);
    if (statSync(p).isDirectory()) return sources(join(dir, name));
    return /\.ts$/.test(name) && !/\.test\.ts$/.test(name) ? [p] : [];
  });
}

/** IAM actions of the SDK commands (and paginators) the given folders import. */
function sdkActions(dirs: string[]): string[] {
  const out = new Set<string>();
  for (const file of dirs.flatMap(sources)) {
    const code = readFileSync(file, "utf8");
    for (const m of code.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*"@aws-sdk\/client-([a-z0-9-]+)"/g)) {
      const prefix = PREFIX[m[2]!];
      if (!prefix) throw new Error(`${file}: no IAM prefix known for @aws-sdk/client-${m[2]}`);
      for (const raw of m[1]!.split(",")) {
        const name = raw
          .trim()
          .replace(/^type\s+/, "")
          .split(/\s+as\s+/)[0]!;
        const call = /^paginate([A-Z]\w+)$/.exec(name)?.[1] ?? /^([A-Z]\w+)Command$/.exec(name)?.[1];
        if (!call) continue;
        const action = `${prefix}:${call}`;
        out.add(ACTION_OF[action] ?? action);
      }
    }
  }
  return [...out].sort();
}

const granted = (statements: Statement<string>[]) => new Set(statements.flatMap((s) => s.actions));

describe("IAM covers the code's AWS calls", () => {
  it("reconcile: packages/aws, packages/events, packages/core", () => {
    const needed = sdkActions(["packages/discovery/src", "packages/store/src", "packages/reconcile/src", "packages/core/src"]);
    expect(needed.length).toBeGreaterThan(5);
    const have = granted(reconcileStatements(placeholderReconcileResources(), "*"));
    expect(needed.filter((a) => !have.has(a))).toEqual([]);
  });

  it("forward: packages/forwarder, packages/remote-write", () => {
    const needed = sdkActions(["packages/forwarder/src", "packages/remote-write/src"]);
    expect(needed).toContain("cloudwatch:GetMetricData");
    const all = (amp: "workspace" | "assume-role") =>
      granted(
        forwardStatements(
          {
            bucketArn: "b",
            forwardStateKey: "forwarder/state.json",
            forwardStateObjectArn: "f",
            amp: amp === "workspace" ? { kind: "workspace", workspaceArn: "w" } : { kind: "assume-role", roleArn: "r" },
            rdsInstanceArns: ["i"],
            rdsClusterArns: ["c"],
            elastiCacheArns: ["e"],
            logStreamsArn: "l",
          },
          "*",
        ),
      );
    // sts:AssumeRole is used only with a central role, which is when it is granted.
    expect(needed.filter((a) => a !== "sts:AssumeRole" && !all("workspace").has(a))).toEqual([]);
    expect(needed.filter((a) => !all("assume-role").has(a))).toEqual([]);
  });

  it("maps imports to actions", () => {
    expect(sdkActions(["infra"])).toEqual([]);
  });
});
