// The Lambda service of the emulator: registered functions, their execution environments
// (one Node 24 process each, lambda-environment.ts), and invocations as Lambda runs them:
// the runtime's reserved environment variables, INIT on a cold start (10 s limit, then one
// retry inside the invoke phase), one invocation per environment at a time, warm reuse,
// reserved concurrency (a synchronous invoke beyond it is throttled, 429; an asynchronous
// one waits), the timeout (the environment is killed), START/END/REPORT log lines and the
// per-function counts CloudWatch would show.
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { ExecutionEnvironment, lambdaNodeArgs, logStreamName, RESERVED_ENV_KEYS, traceHeader, type InitOutcome } from "./lambda-environment";
import { nodeVersion } from "./node24";

export { RESERVED_ENV_KEYS };

export interface FunctionSpec {
  /** Physical function name (AWS_LAMBDA_FUNCTION_NAME). */
  name: string;
  arn: string;
  /** Folder of the built bundle (reconcile.mjs + .map); LAMBDA_TASK_ROOT and the working directory. */
  bundleDir: string;
  /** `reconcile.handler`: file without extension, a dot, the export. */
  handler: string;
  /** `nodejs24.x`; its major must be the node binary's. */
  runtime: string;
  timeoutSeconds: number;
  memoryMb: number;
  reservedConcurrency?: number;
  /** Exactly as the stack sets it (reserved keys are refused, as Lambda refuses them). */
  environment: Record<string, string>;
  logGroup: string;
}

export interface InvokeResult {
  requestId: string;
  /** True when the handler returned (no function error, timeout or throttle). */
  ok: boolean;
  /** The handler's return value, through JSON as Lambda returns it. */
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
  timedOut: boolean;
  throttled: boolean;
  coldStart: boolean;
  /** The invoke phase (INIT excluded), as REPORT's Duration. */
  durationMs: number;
  initDurationMs?: number;
  /** This invocation's log events: INIT output on a cold start, START, the function's lines, END, REPORT. */
  logs: string[];
  /** Lambda's HTTP answer: 200 (also with a function error), 202 for Event, 429 throttled. */
  statusCode: number;
  logStreamName?: string;
}

export interface FunctionStats {
  invocations: number;
  /** Function errors (thrown, INIT failures, crashes), timeouts excluded. */
  errors: number;
  throttles: number;
  timeouts: number;
  coldStarts: number;
  concurrentPeak: number;
}

export interface LambdaServiceOptions {
  /** Path of the node binary (Node 24 for nodejs24.x). */
  node: string;
  region: string;
  accountId: string;
  /** AWS_ENDPOINT_URL*, credentials... added to every function's environment. */
  awsEnv: Record<string, string>;
  onLog?: (fn: string, line: string) => void;
  /** An environment idle this long is killed (default 5 minutes). */
  idleMs?: number;
  /** INIT limit of an on-demand environment (Lambda: 10 s). */
  initTimeoutMs?: number;
  /** Unreserved concurrency of the account (Lambda's default quota: 1000). */
  accountConcurrency?: number;
  /** SIGSTOP environments between invocations, as Lambda freezes them (default true). */
  freeze?: boolean;
}

/** A Lambda API error: `code` is the AWS error code, the message names the function. */
export class LambdaServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "LambdaServiceError";
  }
}

/** Lambda's limit on an invoke request and response payload, as its messages state it. */
export const MAX_PAYLOAD_BYTES = 6291556;
const BOOTSTRAP = fileURLToPath(new URL("./lambda-bootstrap.mjs", import.meta.url));

interface FunctionState {
  spec: FunctionSpec;
  idle: ExecutionEnvironment[];
  all: Set<ExecutionEnvironment>;
  active: number;
  waiters: Array<() => void>;
  stats: FunctionStats;
}

const ms = (n: number) => n.toFixed(2);

export class LambdaService {
  private readonly functions = new Map<string, FunctionState>();
  private readonly idleTimers = new Map<ExecutionEnvironment, NodeJS.Timeout>();
  private readonly retiring = new Set<Promise<void>>();
  private nodeVersionText?: string;
  private closed = false;

  constructor(private readonly opts: LambdaServiceOptions) {}

  /** Adds a function, or replaces its configuration (its environments are retired, as an update does). */
  register(spec: FunctionSpec): void {
    this.assertOpen();
    const what = `function ${spec.name}`;
    const bad = (m: string) => new LambdaServiceError("InvalidParameterValueException", `${what}: ${m}`);
    if (!spec.name) throw new LambdaServiceError("InvalidParameterValueException", "a function needs a name");
    const reserved = Object.keys(spec.environment).filter((k) => RESERVED_ENV_KEYS.includes(k));
    if (reserved.length > 0) throw bad(`environment variables use reserved keys: ${reserved.join(", ")}`);
    const major = /^nodejs(\d+)\.x$/.exec(spec.runtime)?.[1];
    if (!major) throw bad(`runtime ${spec.runtime} is not emulated (Node.js runtimes only)`);
    this.nodeVersionText ??= nodeVersion(this.opts.node);
    if (!this.nodeVersionText.startsWith(`v${major}.`)) throw bad(`runtime ${spec.runtime} needs Node ${major}, ${this.opts.node} is ${this.nodeVersionText}`);
    if (!Number.isInteger(spec.timeoutSeconds) || spec.timeoutSeconds < 1 || spec.timeoutSeconds > 900)
      throw bad(`timeout ${spec.timeoutSeconds} s is outside 1-900`);
    if (!Number.isInteger(spec.memoryMb) || spec.memoryMb < 128 || spec.memoryMb > 10240) throw bad(`memory ${spec.memoryMb} MB is outside 128-10240`);
    if (spec.reservedConcurrency !== undefined && (!Number.isInteger(spec.reservedConcurrency) || spec.reservedConcurrency < 0)) {
      throw bad(`reserved concurrency ${spec.reservedConcurrency} is not a whole number >= 0`);
    }
    if (!existsSync(spec.bundleDir)) throw bad(`bundle folder ${spec.bundleDir} does not exist`);
    const previous = this.functions.get(spec.name);
    if (previous) for (const env of [...previous.all]) this.retire(previous, env);
    this.functions.set(spec.name, {
      spec: { ...spec, environment: { ...spec.environment } },
      idle: [],
      all: new Set(),
      active: 0,
      waiters: [],
      stats: previous?.stats ?? { invocations: 0, errors: 0, throttles: 0, timeouts: 0, coldStarts: 0, concurrentPeak: 0 },
    });
  }

  /**
   * Invokes a function. RequestResponse beyond the function's concurrency answers
   * throttled (TooManyRequestsException, 429); Event waits for a free environment, as
   * Lambda's internal queue retries throttled events. Both resolve when the run ends.
   */
  async invoke(name: string, event: unknown, opts: { invocationType?: "RequestResponse" | "Event" } = {}): Promise<InvokeResult> {
    this.assertOpen();
    const fn = this.functions.get(name);
    if (!fn)
      throw new LambdaServiceError(
        "ResourceNotFoundException",
        `Function not found: arn:aws:lambda:${this.opts.region}:${this.opts.accountId}:function:${name}`,
      );
    const asyncInvoke = opts.invocationType === "Event";
    let payload: string;
    try {
      payload = JSON.stringify(event === undefined ? {} : event);
    } catch (err) {
      throw new LambdaServiceError("InvalidRequestContentException", `function ${name}: the event is not JSON-serialisable (${(err as Error).message})`);
    }
    if (!asyncInvoke && Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
      throw new LambdaServiceError(
        "RequestTooLargeException",
        `function ${name}: request payload size exceeded maximum allowed payload size (${MAX_PAYLOAD_BYTES} bytes)`,
      );
    }
    const requestId = randomUUID();
    const statusCode = asyncInvoke ? 202 : 200;

    let env = this.takeIdle(fn);
    while (!env && !this.canGrow(fn)) {
      if (!asyncInvoke || this.limit(fn) === 0) {
        fn.stats.throttles += 1;
        const error = { errorType: "TooManyRequestsException", errorMessage: "Rate Exceeded." };
        return { requestId, ok: false, error, timedOut: false, throttled: true, coldStart: false, durationMs: 0, logs: [], statusCode: 429 };
      }
      await new Promise<void>((resolve) => fn.waiters.push(resolve));
      this.assertOpen();
      env = this.takeIdle(fn);
    }
    fn.active += 1;
    fn.stats.concurrentPeak = Math.max(fn.stats.concurrentPeak, fn.active);
    fn.stats.invocations += 1;
    try {
      return await this.run(fn, env, requestId, payload, statusCode);
    } finally {
      fn.active -= 1;
      fn.waiters.shift()?.();
    }
  }

  stats(name: string): FunctionStats {
    const fn = this.functions.get(name);
    if (!fn) throw new LambdaServiceError("ResourceNotFoundException", `Function not found: ${name}`);
    return { ...fn.stats };
  }

  /** Kills every environment; no process is left. Invokes after close are refused. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.idleTimers.values()) clearTimeout(t);
    this.idleTimers.clear();
    const kills: Promise<void>[] = [...this.retiring];
    for (const fn of this.functions.values()) {
      for (const env of fn.all) kills.push(env.kill());
      fn.all.clear();
      fn.idle = [];
      for (const wake of fn.waiters.splice(0)) wake();
    }
    await Promise.all(kills);
  }

  private assertOpen(): void {
    if (this.closed) throw new LambdaServiceError("ServiceClosed", "the Lambda service is closed");
  }

  private limit(fn: FunctionState): number {
    return Math.min(fn.spec.reservedConcurrency ?? Infinity, this.opts.accountConcurrency ?? 1000);
  }

  private canGrow(fn: FunctionState): boolean {
    return fn.active < this.limit(fn);
  }

  /** The most recently used idle environment (Lambda reuses warm environments first); dead ones are dropped. */
  private takeIdle(fn: FunctionState): ExecutionEnvironment | undefined {
    if (!this.canGrow(fn)) return undefined;
    for (let env = fn.idle.pop(); env; env = fn.idle.pop()) {
      clearTimeout(this.idleTimers.get(env));
      this.idleTimers.delete(env);
      if (env.state === "idle") return env;
      this.retire(fn, env);
    }
    return undefined;
  }

  private async run(fn: FunctionState, warm: ExecutionEnvironment | undefined, requestId: string, payload: string, statusCode: number): Promise<InvokeResult> {
    const { spec } = fn;
    const logs: string[] = [];
    const platform = (line: string) => {
      logs.push(line);
      this.opts.onLog?.(spec.name, line);
    };
    const base = { requestId, timedOut: false, throttled: false, statusCode };
    let env = warm;
    let initDurationMs: number | undefined;
    let timeoutMs = spec.timeoutSeconds * 1000;
    let invokeStart = performance.now();

    if (!env) {
      fn.stats.coldStarts += 1;
      env = this.newEnvironment(fn);
      let init = await this.startEnvironment(fn, env, this.opts.initTimeoutMs ?? 10_000, logs, platform);
      if (!init.ok && init.timedOut) {
        // Lambda retries a timed-out INIT once, inside the invoke phase and its timeout.
        platform(`INIT_REPORT Init Duration: ${ms(init.durationMs)} ms\tPhase: init\tStatus: timeout`);
        this.retire(fn, env);
        invokeStart = performance.now();
        env = this.newEnvironment(fn);
        init = await this.startEnvironment(fn, env, timeoutMs, logs, platform);
        timeoutMs = Math.max(1, timeoutMs - (performance.now() - invokeStart));
      }
      initDurationMs = init.durationMs;
      if (!init.ok) {
        this.retire(fn, env);
        fn.stats[init.timedOut ? "timeouts" : "errors"] += 1;
        platform(`START RequestId: ${requestId} Version: $LATEST`);
        const error = init.timedOut
          ? this.timeoutError(requestId, performance.now() - invokeStart, platform)
          : { errorType: init.errorType, errorMessage: init.errorMessage };
        platform(`END RequestId: ${requestId}`);
        platform(this.report(fn, env, requestId, 0, initDurationMs, init.timedOut ? "timeout" : init.errorType));
        return { ...base, ok: false, error, timedOut: init.timedOut, coldStart: true, durationMs: 0, initDurationMs, logs, logStreamName: env.logStreamName };
      }
      invokeStart = performance.now();
    }
    for (const line of env.drainLogs()) logs.push(line);
    platform(`START RequestId: ${requestId} Version: $LATEST`);
    const outcome = await env.run(
      { requestId, event: payload, invokedFunctionArn: spec.arn, deadlineMs: Date.now() + timeoutMs, traceId: traceHeader() },
      timeoutMs,
    );
    const durationMs = performance.now() - invokeStart;
    for (const line of env.drainLogs()) logs.push(line);
    const common = { ...base, coldStart: warm === undefined, durationMs, initDurationMs, logs, logStreamName: env.logStreamName };

    let result: InvokeResult;
    let status: string | undefined;
    if (outcome.kind === "result") {
      result = { ...common, ok: true, result: JSON.parse(outcome.payload) };
    } else if (outcome.kind === "timeout") {
      fn.stats.timeouts += 1;
      status = "timeout";
      result = { ...common, ok: false, timedOut: true, error: this.timeoutError(requestId, durationMs, platform) };
    } else {
      fn.stats.errors += 1;
      const error =
        outcome.kind === "error"
          ? { errorType: outcome.errorType, errorMessage: outcome.errorMessage }
          : { errorType: "Runtime.ExitError", errorMessage: `RequestId: ${requestId} Error: ${outcome.errorMessage}` };
      if (outcome.kind === "error" && outcome.fatal) status = "Runtime.ExitError"; // uncaught: the runtime exits
      if (outcome.kind === "exit") {
        status = "Runtime.ExitError";
        platform(`${new Date().toISOString()} ${requestId} Error: ${outcome.errorMessage}`);
      }
      result = { ...common, ok: false, error };
    }
    platform(`END RequestId: ${requestId}`);
    platform(this.report(fn, env, requestId, durationMs, initDurationMs, status));
    if (env.state === "idle") this.park(fn, env);
    else this.retire(fn, env);
    return result;
  }

  private timeoutError(requestId: string, elapsedMs: number, platform: (line: string) => void) {
    const text = `Task timed out after ${(elapsedMs / 1000).toFixed(2)} seconds`;
    platform(`${new Date().toISOString()} ${requestId} ${text}`);
    return { errorType: "Sandbox.Timedout", errorMessage: `RequestId: ${requestId} Error: ${text}` };
  }

  private report(fn: FunctionState, env: ExecutionEnvironment, requestId: string, durationMs: number, initMs: number | undefined, status?: string): string {
    // Lambda bills the INIT phase of on-demand functions since August 2025.
    const billed = Math.ceil(durationMs + (initMs ?? 0));
    let line = `REPORT RequestId: ${requestId}\tDuration: ${ms(durationMs)} ms\tBilled Duration: ${billed} ms\tMemory Size: ${fn.spec.memoryMb} MB\tMax Memory Used: ${env.maxMemoryMb} MB`;
    if (initMs !== undefined) line += `\tInit Duration: ${ms(initMs)} ms`;
    if (status === "timeout") line += "\tStatus: timeout";
    else if (status) line += `\tStatus: error\tError Type: ${status}`;
    return line;
  }

  private newEnvironment(fn: FunctionState): ExecutionEnvironment {
    const { spec } = fn;
    const stream = logStreamName();
    const memory = spec.memoryMb;
    const env: Record<string, string> = {
      PATH: `${dirname(this.opts.node)}:/usr/local/bin:/usr/bin:/bin`,
      LANG: "en_US.UTF-8",
      NODE_PATH: spec.bundleDir,
      ...spec.environment,
      ...this.opts.awsEnv,
      TZ: ":UTC",
      _HANDLER: spec.handler,
      AWS_REGION: this.opts.region,
      AWS_DEFAULT_REGION: this.opts.region,
      AWS_EXECUTION_ENV: `AWS_Lambda_${spec.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: spec.name,
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memory),
      AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
      AWS_LAMBDA_LOG_GROUP_NAME: spec.logGroup,
      AWS_LAMBDA_LOG_STREAM_NAME: stream,
      LAMBDA_TASK_ROOT: spec.bundleDir,
      LAMBDA_RUNTIME_DIR: dirname(BOOTSTRAP),
    };
    const created = new ExecutionEnvironment({
      node: this.opts.node,
      nodeArgs: lambdaNodeArgs(memory),
      bootstrap: BOOTSTRAP,
      cwd: spec.bundleDir,
      env,
      freeze: this.opts.freeze ?? true,
      logStreamName: stream,
      onLine: (line) => this.opts.onLog?.(spec.name, line),
    });
    fn.all.add(created);
    return created;
  }

  /** INIT of a new environment; its output joins the invocation's logs. */
  private async startEnvironment(
    fn: FunctionState,
    env: ExecutionEnvironment,
    limitMs: number,
    logs: string[],
    platform: (line: string) => void,
  ): Promise<InitOutcome> {
    platform(`INIT_START Runtime Version: nodejs:${fn.spec.runtime.replace(/^nodejs|\.x$/g, "")} (emulated, node ${this.nodeVersionText})`);
    const init = await env.start(limitMs);
    logs.push(...env.drainLogs());
    return init;
  }

  /** Keeps a warm environment for reuse, frozen, until it has been idle for idleMs. */
  private park(fn: FunctionState, env: ExecutionEnvironment): void {
    if (this.closed || !fn.all.has(env)) {
      void env.kill();
      return;
    }
    env.freeze();
    fn.idle.push(env);
    const timer = setTimeout(() => {
      fn.idle = fn.idle.filter((e) => e !== env);
      this.retire(fn, env);
    }, this.opts.idleMs ?? 300_000);
    timer.unref();
    this.idleTimers.set(env, timer);
  }

  private retire(fn: FunctionState, env: ExecutionEnvironment): void {
    fn.all.delete(env);
    fn.idle = fn.idle.filter((e) => e !== env);
    clearTimeout(this.idleTimers.get(env));
    this.idleTimers.delete(env);
    const p = env.kill().finally(() => this.retiring.delete(p));
    this.retiring.add(p);
  }
}
