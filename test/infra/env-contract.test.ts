// The environment contract between the stack and the functions, checked mechanically:
// every variable a function reads is set by the stack under the same name or has a
// documented default, and every variable the stack sets is read. Each function's
// environment comes from the stack itself (the real sst.config.ts, stage ci, under Pulumi
// mocks: the Lambda function's `environment.variables`). What the function reads comes
// from its real handler module, imported afresh with process.env replaced by a Proxy over
// exactly that environment (plus what Lambda itself sets) that records each read made by
// this project's code (functions/, packages/*/src); libraries' own reads are theirs.
// Skips when .sst/platform is absent.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { ConfigError, ENV, ENV_DEFAULTS, isEnvName, isRuntimeEnv, REQUIRED } from "@scrape-reconciler/core";
import { platformAvailable, REGION, ROOT, runStack, type StackRun } from "./sst-harness";

const THIS_FILE = fileURLToPath(import.meta.url);
/** A frame in this project's own code (not a dependency, not this test). */
const PROJECT_FRAME = /[/\\](functions|packages[/\\][^/\\]+[/\\]src)[/\\][^:]+\.ts:\d+/;

/** Set by Lambda in every function's environment, whatever the stack says. */
const LAMBDA_ENV = (functionName: string): Record<string, string> => ({
  AWS_REGION: REGION,
  AWS_DEFAULT_REGION: REGION,
  AWS_LAMBDA_FUNCTION_NAME: functionName,
  AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x",
  LAMBDA_TASK_ROOT: "/var/task",
  _HANDLER: "index.handler",
  TZ: ":UTC",
});

function readByProject(): boolean {
  const frames = (new Error().stack ?? "").split("\n").slice(1);
  const caller = frames.find((f) => !f.includes(THIS_FILE));
  return caller !== undefined && !caller.includes("node_modules") && PROJECT_FRAME.test(caller);
}

interface Init {
  reads: Set<string>;
  error?: unknown;
}

/** Imports `functions/<file>.ts` afresh with `env` as process.env; records the project's reads. */
async function initHandler(file: string, env: Record<string, string>): Promise<Init> {
  const reads = new Set<string>();
  const note = (prop: string | symbol) => {
    if (typeof prop === "string" && readByProject()) reads.add(prop);
  };
  const proxy = new Proxy(
    { ...env },
    {
      get(target, prop, receiver) {
        note(prop);
        return Reflect.get(target, prop, receiver);
      },
      has(target, prop) {
        note(prop);
        return Reflect.has(target, prop);
      },
      getOwnPropertyDescriptor(target, prop) {
        note(prop);
        return Reflect.getOwnPropertyDescriptor(target, prop);
      },
    },
  );
  const real = process.env;
  vi.resetModules();
  process.env = proxy;
  try {
    await import(`../../functions/${file}.ts`);
    return { reads };
  } catch (error) {
    return { reads, error };
  } finally {
    process.env = real;
  }
}

interface Fn {
  logicalName: string;
  handlerFile: string;
  name: string;
  /** What the stack sets. */
  stackEnv: Record<string, string>;
  init: Init;
}

describe.skipIf(!platformAvailable())("environment contract between the stack and the functions (stage ci)", () => {
  let s: StackRun;
  const fns: Fn[] = [];

  beforeAll(async () => {
    s = await runStack("ci");
    for (const build of s.builds) {
      const fn = s.one("aws:lambda/function:Function", `${build.functionID}Function`).inputs;
      const handlerFile = /^functions\/(\w+)\.handler$/.exec(build.handler)![1]!;
      const stackEnv = fn.environment.variables as Record<string, string>;
      const init = await initHandler(handlerFile, { ...LAMBDA_ENV(fn.name), ...stackEnv });
      fns.push({ logicalName: build.functionID, handlerFile, name: fn.name, stackEnv, init });
    }
  }, 180_000);

  it("covers every function the stack declares", () => {
    expect(fns.map((f) => f.handlerFile).sort()).toEqual(["audit", "forward", "reconcile"]);
    expect(fns.map((f) => f.name).sort()).toEqual(
      s
        .byType("aws:lambda/function:Function")
        .map((f) => f.inputs.name)
        .sort(),
    );
    // The recording works: each function read its settings through the Proxy.
    for (const f of fns) expect(f.init.reads.has(ENV.TARGETS_BUCKET)).toBe(true);
  });

  it("each function starts with the stack's environment: every required variable is set and accepted", () => {
    for (const f of fns) expect({ fn: f.logicalName, error: f.init.error }).toEqual({ fn: f.logicalName, error: undefined });
  });

  it("every variable the stack sets is read by that function, or is a documented runtime variable", () => {
    for (const f of fns) {
      const unread = Object.keys(f.stackEnv).filter((v) => !f.init.reads.has(v) && !isRuntimeEnv(v));
      expect({ fn: f.logicalName, setButNotRead: unread }).toEqual({ fn: f.logicalName, setButNotRead: [] });
    }
  });

  it("every variable a function reads is a documented one (env-names) or a runtime one", () => {
    for (const f of fns) {
      const unknown = [...f.init.reads].filter((v) => !isEnvName(v) && !isRuntimeEnv(v));
      expect({ fn: f.logicalName, undocumented: unknown }).toEqual({ fn: f.logicalName, undocumented: [] });
    }
  });

  it("every variable read but not set has a documented default; every required one is set", () => {
    for (const f of fns) {
      const unset = [...f.init.reads].filter((v) => isEnvName(v) && !(v in f.stackEnv));
      const requiredButUnset = unset.filter((v) => isEnvName(v) && ENV_DEFAULTS[v] === REQUIRED);
      expect({ fn: f.logicalName, requiredButUnset }).toEqual({ fn: f.logicalName, requiredButUnset: [] });
      for (const v of unset) expect(isEnvName(v) && ENV_DEFAULTS[v]).toMatch(/\S/);
    }
  });

  it("a variable documented as required really is: without it the function does not start, and says which", async () => {
    let checked = 0;
    for (const f of fns) {
      for (const v of Object.keys(f.stackEnv).filter((name) => isEnvName(name) && ENV_DEFAULTS[name] === REQUIRED)) {
        const { [v]: _dropped, ...rest } = f.stackEnv;
        const { error } = await initHandler(f.handlerFile, { ...LAMBDA_ENV(f.name), ...rest });
        // A fresh module graph has its own ConfigError class: compare by name.
        expect((error as Error | undefined)?.name, `${f.logicalName} without ${v}`).toBe(ConfigError.name);
        expect((error as ConfigError).message).toContain(v);
        checked += 1;
      }
    }
    // TARGETS_BUCKET for each function, AMP_REMOTE_WRITE_URL for the forwarder.
    expect(checked).toBe(4);
  }, 60_000);

  it("every variable in env-names is documented in the README's or the forwarder's configuration table", () => {
    const docs = ["README.md", "packages/forwarder/README.md"].map((p) => readFileSync(`${ROOT}${p}`, "utf8")).join("\n");
    const missing = Object.values(ENV).filter((v) => !docs.includes(`\`${v}\``));
    expect(missing).toEqual([]);
  });
});
