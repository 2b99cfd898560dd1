// Entry point: argv + env -> config -> source, sync loop and HTTP server; runs until
// SIGTERM/SIGINT, then stops the timer, closes the server and returns exit code 0.
// Bad flags or values print one line each on stderr and return 2. `startSidecar` is the
// same thing without signals or process exit, for embedding and tests.
import { ConfigError, USAGE, describeSource, parseConfig, type SidecarConfig } from "./config";
import type { AtomicFs } from "./atomic-write";
import { createLogger, type Logger } from "./log";
import { createMetrics, type SidecarMetrics } from "./metrics";
import { startServer, type SidecarServer } from "./server";
import { createSource, type AwsClientOptions, type Source } from "./sources";
import { Syncer, type SyncOutcome } from "./sync";

export interface StartOptions extends AwsClientOptions {
  log?: Logger;
  /** Replaces the source built from config.source (tests). */
  source?: Source;
  fs?: AtomicFs;
  onSync?: (outcome: SyncOutcome) => void;
  /** Start the timer loop (default true); false leaves syncing to `syncer.syncOnce()`. */
  loop?: boolean;
  defaultMetrics?: boolean;
  random?: () => number;
}

export interface SidecarHandle {
  config: SidecarConfig;
  syncer: Syncer;
  metrics: SidecarMetrics;
  server?: SidecarServer;
  /** Base URL of the HTTP endpoint when listening. */
  url?: string;
  stop(): Promise<void>;
}

export async function startSidecar(config: SidecarConfig, opts: StartOptions = {}): Promise<SidecarHandle> {
  const log = opts.log ?? createLogger(config.logLevel);
  const metrics = createMetrics({ defaultMetrics: opts.defaultMetrics ?? true });
  const created = opts.source ? { source: opts.source, close() {} } : createSource(config.source, opts);
  const syncer = new Syncer({
    source: created.source,
    ...(config.output !== undefined ? { output: config.output } : {}),
    intervalMs: config.intervalMs,
    maxBackoffMs: config.maxBackoffMs,
    metrics,
    log,
    ...(opts.fs ? { fs: opts.fs } : {}),
    ...(opts.onSync ? { onSync: opts.onSync } : {}),
    ...(opts.random ? { random: opts.random } : {}),
  });
  await syncer.inspectOutput();
  let server: SidecarServer | undefined;
  if (config.listen) {
    try {
      server = await startServer(config.listen, syncer, metrics, log);
    } catch (err) {
      created.close();
      throw err;
    }
  }
  log.info("sidecar started", {
    source: describeSource(config.source),
    output: config.output ?? null,
    listen: server ? `${config.listen?.host ?? ""}:${server.port}` : null,
    intervalMs: config.intervalMs,
    maxBackoffMs: config.maxBackoffMs,
  });
  if (opts.loop !== false) syncer.start();
  let stopping: Promise<void> | undefined;
  return {
    config,
    syncer,
    metrics,
    ...(server ? { server, url: server.url } : {}),
    stop: () =>
      (stopping ??= (async () => {
        await syncer.stop();
        await server?.close();
        created.close();
      })()),
  };
}

export interface RunIo {
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  /** Program name for error lines. */
  prog?: string;
  /** Resolves when the sidecar should stop (default: SIGTERM or SIGINT). */
  until?: Promise<unknown>;
}

function signalled(): { promise: Promise<string>; dispose(): void } {
  let handler: (s: NodeJS.Signals) => void = () => {};
  const promise = new Promise<string>((resolve) => {
    handler = (s) => resolve(s);
  });
  process.once("SIGTERM", handler);
  process.once("SIGINT", handler);
  return {
    promise,
    dispose() {
      process.off("SIGTERM", handler);
      process.off("SIGINT", handler);
    },
  };
}

/** Process warnings (e.g. the AWS SDK's Node-version notice) become JSON log lines too. */
function routeWarningsToLog(log: Logger): void {
  const original = process.emitWarning;
  if ((original as { sidecarRouted?: boolean }).sidecarRouted) return;
  const routed = ((warning: string | Error, ...rest: unknown[]) => {
    const w = typeof warning === "string" ? { name: typeof rest[0] === "string" ? rest[0] : "Warning", message: warning } : warning;
    log.warn("process warning", { name: w.name, warning: w.message.split("\n")[0] });
  }) as typeof process.emitWarning;
  (routed as { sidecarRouted?: boolean }).sidecarRouted = true;
  process.emitWarning = routed;
}

/** Runs the sidecar until SIGTERM/SIGINT; resolves with the process exit code. */
export async function runSidecar(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: RunIo = {}): Promise<number> {
  const out = io.stdout ?? ((t: string) => void process.stdout.write(t));
  const err = io.stderr ?? ((t: string) => void process.stderr.write(t));
  const prog = io.prog ?? "scrape-reconciler-sidecar";
  let config: SidecarConfig;
  try {
    const parsed = parseConfig(argv, env);
    if (parsed.help) {
      out(USAGE.replace("scrape-reconciler-sidecar", prog));
      return 0;
    }
    config = parsed.config;
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const problem of e.problems) err(`${prog}: ${problem.message}\n`);
      return 2;
    }
    throw e;
  }
  const log = createLogger(config.logLevel);
  routeWarningsToLog(log);
  const sig = io.until ? undefined : signalled();
  let handle: SidecarHandle;
  try {
    handle = await startSidecar(config, { env });
  } catch (e) {
    sig?.dispose();
    err(`${prog}: cannot start: ${(e as Error).message}\n`);
    return 1;
  }
  const why = await (io.until ?? sig!.promise);
  sig?.dispose();
  log.info("sidecar stopping", { signal: typeof why === "string" ? why : null });
  await handle.stop();
  log.info("sidecar stopped");
  return 0;
}

/** `scrape-reconciler sidecar ...` from the project CLI. */
export function sidecarMain(argv: string[], env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
  return runSidecar(argv, env, { prog: "scrape-reconciler sidecar" });
}
