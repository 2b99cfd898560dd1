// Entry point: argv + env -> config -> sources, sync loops and HTTP server; runs until
// SIGTERM/SIGINT, then stops the timers, closes the server and returns exit code 0.
// Bad flags or values print one line each on stderr and return 2. `startSidecar` is the
// same thing without signals or process exit, for embedding and tests. One source is one
// Syncer writing --output (today's sidecar, byte for byte); several sources are one Syncer
// each (own polling and backoff, own file in --output-dir) and their union (union.ts) for
// --output and /targets. An index source (index-source.ts), or an ssm: source while its
// manifest names an index, may also fill --shard-dir (shard-dir.ts), one file per shard.
import { join } from "node:path";
import { ConfigError, USAGE, describeSource, parseConfig, sourcesOf, type SidecarConfig } from "./config";
import type { AtomicFs } from "./atomic-write";
import { createLogger, type Logger } from "./log";
import { createMetrics, type SidecarMetrics } from "./metrics";
import { startServer, syncerView, type SidecarServer, type SidecarView } from "./server";
import { ShardDir } from "./shard-dir";
import { describeSourceConfig, type SourceConfig } from "./source-config";
import { createSource, type AwsClientOptions, type CreatedSource, type Source } from "./sources";
import { Syncer, type SyncOutcome } from "./sync";
import { Union, labelWithSource, unionHealth, type UnionMember } from "./union";

export interface StartOptions extends AwsClientOptions {
  log?: Logger;
  /** Replaces the source built from config.source (tests; one source). */
  source?: Source;
  /** Replace the sources built from the config, by source name (tests). */
  sources?: Record<string, Source>;
  /** Extra client config for one source's clients (e.g. tests: each account's own endpoint). */
  clientOptions?: (source: SourceConfig) => AwsClientOptions;
  fs?: AtomicFs;
  onSync?: (outcome: SyncOutcome, source: string) => void;
  /** Start the timer loops (default true); false leaves syncing to `syncer.syncOnce()` / `syncAll()`. */
  loop?: boolean;
  defaultMetrics?: boolean;
  random?: () => number;
}

/** One source of a running sidecar. */
export interface SourceHandle {
  config: SourceConfig;
  syncer: Syncer;
  /** The source's own file (--output-dir). */
  output?: string;
  created: CreatedSource;
}

export interface SidecarHandle {
  config: SidecarConfig;
  /** The first source's Syncer (the only one with one source). */
  syncer: Syncer;
  /** Every source, in the configured order. */
  sources: SourceHandle[];
  /** The union (several sources, or --output beside --output-dir). */
  union?: Union;
  metrics: SidecarMetrics;
  server?: SidecarServer;
  /** Base URL of the HTTP endpoint when listening. */
  url?: string;
  /** One sync of every source (in parallel), then the union: for tests and `loop: false`. */
  syncAll(): Promise<SyncOutcome[]>;
  stop(): Promise<void>;
}

export async function startSidecar(config: SidecarConfig, opts: StartOptions = {}): Promise<SidecarHandle> {
  const log = opts.log ?? createLogger(config.logLevel);
  const list = sourcesOf(config);
  const several = list.length > 1;
  const metrics = createMetrics({
    defaultMetrics: opts.defaultMetrics ?? true,
    ...(several ? { sources: list.map((s) => s.name), combined: config.output !== undefined } : {}),
  });
  // With one source and no --output-dir, its Syncer owns --output (as before); otherwise the union does.
  const unionOwnsOutput = several || config.outputDir !== undefined;
  let union: Union | undefined;
  const sources: SourceHandle[] = list.map((sc, i) => {
    const labels = several ? { source: sc.name } : {};
    const given = opts.sources?.[sc.name] ?? (i === 0 && !several ? opts.source : undefined);
    const clientOptions: AwsClientOptions = {
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.s3Config ? { s3Config: opts.s3Config } : {}),
      ...(opts.ssmConfig ? { ssmConfig: opts.ssmConfig } : {}),
      ...(opts.stsConfig ? { stsConfig: opts.stsConfig } : {}),
      ...opts.clientOptions?.(sc),
    };
    const created: CreatedSource = given
      ? { source: given, close() {} }
      : createSource(sc.spec, clientOptions, {
          name: sc.name,
          ...(sc.region ? { region: sc.region } : {}),
          ...(sc.role ? { role: sc.role } : {}),
          ...(sc.externalId ? { externalId: sc.externalId } : {}),
          log,
          onShardFetched: (bytes) => {
            metrics.shardFetches.inc(labels);
            metrics.shardBytes.inc(labels, bytes);
          },
        });
    // config.ts allows --shard-dir with one source only (an index source, or ssm: while it follows an index).
    const shardDir =
      i === 0 && config.shardDir !== undefined ? new ShardDir({ dir: config.shardDir, metrics, labels, log, ...(opts.fs ? { fs: opts.fs } : {}) }) : undefined;
    const output = config.outputDir !== undefined ? join(config.outputDir, `${sc.name}.json`) : unionOwnsOutput ? undefined : config.output;
    const syncer = new Syncer({
      source: created.source,
      ...(output !== undefined ? { output } : {}),
      ...(shardDir ? { shardDir } : {}),
      ...(several ? { name: sc.name, labels, render: (doc) => labelWithSource(sc.name, doc) } : {}),
      afterSync: async () => {
        await union?.refresh();
      },
      intervalMs: config.intervalMs,
      maxBackoffMs: config.maxBackoffMs,
      metrics,
      log,
      ...(opts.fs ? { fs: opts.fs } : {}),
      ...(opts.onSync ? { onSync: (o: SyncOutcome) => opts.onSync?.(o, sc.name) } : {}),
      ...(opts.random ? { random: opts.random } : {}),
    });
    return { config: sc, syncer, created, ...(output !== undefined ? { output } : {}) };
  });
  const closeSources = () => {
    for (const s of sources) s.created.close();
  };
  if (several || (unionOwnsOutput && config.output !== undefined)) {
    const members: UnionMember[] = sources.map((s) => ({ name: s.config.name, syncer: s.syncer }));
    union = new Union({
      members,
      ...(config.output !== undefined ? { output: config.output } : {}),
      labelled: several,
      metrics,
      log,
      ...(opts.fs ? { fs: opts.fs } : {}),
    });
  }
  for (const s of sources) await s.syncer.inspectOutput();
  await union?.inspectOutput();
  const first = sources[0]!.syncer;
  const view: SidecarView =
    several && union ? { targets: () => union!.current, health: () => unionHealth(union!) } : syncerView(first, union?.outputValidAtStart ?? false);
  let server: SidecarServer | undefined;
  if (config.listen) {
    try {
      server = await startServer(config.listen, view, metrics, log);
    } catch (err) {
      closeSources();
      throw err;
    }
  }
  log.info("sidecar started", {
    ...(several ? { sources: list.map(describeSourceConfig) } : { source: describeSource(config.source) }),
    output: config.output ?? null,
    ...(config.outputDir !== undefined ? { outputDir: config.outputDir } : {}),
    ...(config.shardDir !== undefined ? { shardDir: config.shardDir } : {}),
    listen: server ? `${config.listen?.host ?? ""}:${server.port}` : null,
    intervalMs: config.intervalMs,
    maxBackoffMs: config.maxBackoffMs,
  });
  if (opts.loop !== false) for (const s of sources) s.syncer.start();
  let stopping: Promise<void> | undefined;
  return {
    config,
    syncer: first,
    sources,
    ...(union ? { union } : {}),
    metrics,
    ...(server ? { server, url: server.url } : {}),
    syncAll: () => Promise.all(sources.map((s) => s.syncer.syncOnce())),
    stop: () =>
      (stopping ??= (async () => {
        await Promise.all(sources.map((s) => s.syncer.stop()));
        await server?.close();
        closeSources();
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
