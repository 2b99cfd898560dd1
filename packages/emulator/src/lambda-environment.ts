// One Lambda execution environment seen from the emulator: a Node 24 child process running
// lambda-bootstrap.mjs in its own process group, its IPC channel, its stdout/stderr split
// into log lines, the INIT phase with its time limit, one invocation at a time with the
// function's timeout, the freeze between invocations (SIGSTOP/SIGCONT of the group, as
// Lambda freezes an idle environment) and the kill (SIGKILL of the group: no process left).
// Also what Lambda gives every environment: reserved variable names, Node's flags, the log
// stream name, the trace header.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { StringDecoder } from "node:string_decoder";

export type InitOutcome = { ok: true; durationMs: number } | { ok: false; timedOut: boolean; errorType: string; errorMessage: string; durationMs: number };

export type RunOutcome =
  | { kind: "result"; payload: string }
  | { kind: "error"; errorType: string; errorMessage: string; fatal: boolean }
  | { kind: "timeout" }
  | { kind: "exit"; errorMessage: string };

export interface EnvironmentOptions {
  node: string;
  nodeArgs: string[];
  bootstrap: string;
  cwd: string;
  env: Record<string, string>;
  /** SIGSTOP the environment between invocations (default true). */
  freeze: boolean;
  /** AWS_LAMBDA_LOG_STREAM_NAME of this environment. */
  logStreamName: string;
  /** Every complete log line, as it arrives. */
  onLine: (line: string) => void;
}

interface ChildMessage {
  type: "ready" | "init-error" | "result" | "error";
  requestId?: string;
  payload?: string;
  errorType?: string;
  errorMessage?: string;
  fatal?: boolean;
  stdoutBytes: number;
  stderrBytes: number;
  maxMemoryMb: number;
}

/** Keys Lambda sets itself and refuses in a function's configuration. */
export const RESERVED_ENV_KEYS = [
  "_HANDLER",
  "_X_AMZN_TRACE_ID",
  "AWS_DEFAULT_REGION",
  "AWS_REGION",
  "AWS_EXECUTION_ENV",
  "AWS_LAMBDA_FUNCTION_NAME",
  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
  "AWS_LAMBDA_FUNCTION_VERSION",
  "AWS_LAMBDA_INITIALIZATION_TYPE",
  "AWS_LAMBDA_LOG_GROUP_NAME",
  "AWS_LAMBDA_LOG_STREAM_NAME",
  "AWS_ACCESS_KEY",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_LAMBDA_RUNTIME_API",
  "LAMBDA_TASK_ROOT",
  "LAMBDA_RUNTIME_DIR",
];

/** Node's flags as the Lambda Node.js runtime's bootstrap derives them from the memory size. */
export function lambdaNodeArgs(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return ["--expose-gc", "--max-http-header-size=81920", `--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMb - newSpace}`];
}

/** Lambda's log stream name of a new environment: `2026/12/05/[$LATEST]<32 hex>`. */
export function logStreamName(now = new Date()): string {
  return `${now.toISOString().slice(0, 10).replace(/-/g, "/")}/[$LATEST]${randomBytes(16).toString("hex")}`;
}

/** An X-Ray trace header (_X_AMZN_TRACE_ID) for an untraced invocation. */
export function traceHeader(now = Date.now()): string {
  const epoch = Math.floor(now / 1000)
    .toString(16)
    .padStart(8, "0");
  return `Root=1-${epoch}-${randomBytes(12).toString("hex")};Parent=${randomBytes(8).toString("hex")};Sampled=0;Lineage=1:${randomBytes(4).toString("hex")}:0`;
}

type Stream = "stdout" | "stderr";
/** How long to wait for output the child reported writing before closing the logs anyway. */
const OUTPUT_GRACE_MS = 1_000;

const SIGNAL_WORDS: Record<string, string> = {
  SIGABRT: "aborted",
  SIGKILL: "killed",
  SIGSEGV: "segmentation fault",
  SIGTERM: "terminated",
  SIGBUS: "bus error",
};

/** Lambda's wording for a runtime that exited: `exit status 1`, `signal: aborted`. */
export function exitDescription(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal: ${SIGNAL_WORDS[signal] ?? signal}` : `exit status ${code ?? 0}`;
}

export class ExecutionEnvironment {
  state: "new" | "init" | "idle" | "busy" | "dead" = "new";
  /** Highest resident memory the child reported (MB). */
  maxMemoryMb = 0;
  private child?: ChildProcess;
  private readonly received: Record<Stream, number> = { stdout: 0, stderr: 0 };
  private readonly partial: Record<Stream, string> = { stdout: "", stderr: "" };
  private readonly decoders: Record<Stream, StringDecoder> = { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") };
  private buffer: string[] = [];
  private onMessage?: (msg: ChildMessage) => void;
  /** Called once the process has exited and its channel closed, while INIT or an invocation waits. */
  private onGone?: () => void;
  private outputWaiters: Array<() => void> = [];
  private exitInfo?: { code: number | null; signal: NodeJS.Signals | null };
  private readonly gone: Promise<void>;
  private markGone!: () => void;
  private frozen = false;

  constructor(private readonly opts: EnvironmentOptions) {
    this.gone = new Promise((resolve) => (this.markGone = resolve));
    void this.gone.then(() => this.onGone?.());
  }

  get logStreamName(): string {
    return this.opts.logStreamName;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Log lines collected since the last call: INIT output, output between invocations, the invocation's. */
  drainLogs(): string[] {
    const lines = this.buffer;
    this.buffer = [];
    return lines;
  }

  /** Spawns the process and runs INIT (the handler module's import) within `limitMs`. */
  start(limitMs: number): Promise<InitOutcome> {
    this.state = "init";
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    const child = spawn(this.opts.node, [...this.opts.nodeArgs, this.opts.bootstrap], {
      cwd: this.opts.cwd,
      env: this.opts.env,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "json",
      detached: true,
    });
    this.child = child;
    for (const name of ["stdout", "stderr"] as const) {
      child[name]!.on("data", (chunk: Buffer) => this.onOutput(name, chunk));
      child[name]!.on("end", () => this.flushPartial(name));
    }
    child.on("message", (msg: ChildMessage) => {
      this.maxMemoryMb = Math.max(this.maxMemoryMb, msg.maxMemoryMb ?? 0);
      this.onMessage?.(msg);
    });
    let exited = false;
    let disconnected = false;
    const checkGone = () => {
      if (exited && disconnected) this.markGone();
    };
    child.on("exit", (code, signal) => {
      this.exitInfo = { code, signal };
      exited = true;
      this.state = "dead";
      // Messages sent just before exit arrive before the channel closes; give it a moment.
      setTimeout(() => {
        disconnected = true;
        checkGone();
      }, 200);
      checkGone();
    });
    child.on("disconnect", () => {
      disconnected = true;
      checkGone();
    });
    // The emulator's own process may exit while environments idle (close() kills them).
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    (child.stderr as unknown as { unref?: () => void }).unref?.();
    (child.channel as unknown as { unref?: () => void } | undefined)?.unref?.();

    return this.phase<InitOutcome>(
      limitMs,
      () => ({
        ok: false,
        timedOut: true,
        errorType: "Runtime.InitTimeout",
        errorMessage: `INIT phase did not finish within ${(limitMs / 1000).toFixed(2)} seconds`,
        durationMs: elapsed(),
      }),
      (outcome) => {
        if (outcome.ok) this.state = "idle";
      },
      (settle) => {
        const fail = (errorType: string, errorMessage: string) => settle({ ok: false, timedOut: false, errorType, errorMessage, durationMs: elapsed() });
        child.once("error", (err) => fail("Runtime.InvalidEntrypoint", `cannot start ${this.opts.node}: ${err.message}`));
        let initError: ChildMessage | undefined;
        this.onMessage = (msg) => {
          if (msg.type === "ready") void this.awaitOutput(msg).then(() => settle({ ok: true, durationMs: elapsed() }));
          else if (msg.type === "init-error") {
            initError = msg;
            void this.awaitOutput(msg).then(() => fail(msg.errorType ?? "Runtime.Unknown", msg.errorMessage ?? ""));
          }
        };
        this.onGone = () =>
          initError
            ? fail(initError.errorType ?? "Runtime.Unknown", initError.errorMessage ?? "")
            : fail("Runtime.ExitError", `Runtime exited with error: ${this.exitText()}`);
      },
    );
  }

  /** Runs one invocation; a timeout kills the environment. */
  run(msg: { requestId: string; event: string; invokedFunctionArn: string; deadlineMs: number; traceId: string }, timeoutMs: number): Promise<RunOutcome> {
    if (this.state !== "idle" || !this.child) throw new Error(`execution environment ${this.pid ?? "?"} is ${this.state}, not idle`);
    this.state = "busy";
    this.thaw();
    return this.phase<RunOutcome>(
      timeoutMs,
      () => ({ kind: "timeout" }),
      () => {
        if (this.state === "busy") this.state = "idle";
      },
      (settle) => {
        let answer: RunOutcome | undefined;
        this.onMessage = (m) => {
          if (m.requestId !== msg.requestId) return;
          if (m.type === "result") answer = { kind: "result", payload: m.payload ?? "null" };
          else if (m.type === "error")
            answer = { kind: "error", errorType: m.errorType ?? "Runtime.Unknown", errorMessage: m.errorMessage ?? "", fatal: m.fatal === true };
          const outcome = answer;
          if (outcome) void this.awaitOutput(m).then(() => settle(outcome));
        };
        this.onGone = () => settle(answer ?? { kind: "exit", errorMessage: `Runtime exited with error: ${this.exitText()}` });
        this.child!.send({ type: "invoke", ...msg });
      },
    );
  }

  /**
   * One phase with a time limit (INIT or an invocation), settled once:
   * 1. `begin` installs the phase's handlers (this.onMessage, this.onGone) and starts the
   *    phase; they settle it through the `settle` they are given.
   * 2. Settling stops the timer, removes the handlers, applies `settled` (the state the
   *    outcome leaves) and resolves; later settles are ignored.
   * 3. At the time limit the handlers are removed first, the environment is killed, and the
   *    phase settles with `timedOut()` once the kill is done: a timed-out environment is gone
   *    when the caller hears of it.
   */
  private phase<T>(limitMs: number, timedOut: () => T, settled: (outcome: T) => void, begin: (settle: (outcome: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve) => {
      let done = false;
      const detach = () => {
        this.onMessage = undefined;
        this.onGone = undefined;
      };
      const settle = (outcome: T) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        detach();
        settled(outcome);
        resolve(outcome);
      };
      const timer = setTimeout(() => {
        detach();
        void this.kill().then(() => settle(timedOut()));
      }, limitMs);
      begin(settle);
    });
  }

  /** Stops every process of the environment until the next invocation. */
  freeze(): void {
    if (!this.opts.freeze || this.state !== "idle" || this.frozen) return;
    this.frozen = this.signalGroup("SIGSTOP");
  }

  /** Kills every process of the environment (its process group) and waits for the exit. */
  async kill(): Promise<void> {
    if (!this.child || this.child.pid === undefined) {
      this.state = "dead";
      return;
    }
    if (this.exitInfo === undefined) {
      this.child.ref(); // whoever awaits the kill keeps the process alive until the exit
      if (!this.signalGroup("SIGKILL")) this.child.kill("SIGKILL");
    }
    this.state = "dead";
    await this.gone;
  }

  private exitText(): string {
    return exitDescription(this.exitInfo?.code ?? null, this.exitInfo?.signal ?? null);
  }

  private thaw(): void {
    if (this.frozen) this.signalGroup("SIGCONT");
    this.frozen = false;
  }

  private signalGroup(signal: NodeJS.Signals): boolean {
    const pid = this.child?.pid;
    if (pid === undefined || this.exitInfo !== undefined) return false;
    try {
      process.kill(-pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  private onOutput(name: Stream, chunk: Buffer): void {
    this.received[name] += chunk.length;
    const text = this.partial[name] + this.decoders[name].write(chunk);
    const lines = text.split("\n");
    this.partial[name] = lines.pop() ?? "";
    for (const line of lines) this.emit(line);
    if (this.outputWaiters.length > 0) {
      const waiters = this.outputWaiters;
      this.outputWaiters = [];
      for (const w of waiters) w();
    }
  }

  private flushPartial(name: Stream): void {
    const rest = this.partial[name] + this.decoders[name].end();
    this.partial[name] = "";
    if (rest !== "") this.emit(rest);
  }

  private emit(line: string): void {
    // The runtime writes a multi-line message as one line with carriage returns.
    const event = line.replace(/\r/g, "\n");
    this.buffer.push(event);
    this.opts.onLine(event);
  }

  /** Resolves once every byte the child reported writing has arrived (or after a grace period). */
  private awaitOutput(msg: ChildMessage): Promise<void> {
    const done = () => this.received.stdout >= msg.stdoutBytes && this.received.stderr >= msg.stderrBytes;
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const deadline = setTimeout(resolve, OUTPUT_GRACE_MS);
      const check = () => {
        if (done()) {
          clearTimeout(deadline);
          resolve();
        } else this.outputWaiters.push(check);
      };
      this.outputWaiters.push(check);
    });
  }
}
