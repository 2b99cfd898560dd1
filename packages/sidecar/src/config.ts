// Sidecar configuration: command-line flags and SIDECAR_* environment variables into one
// typed, validated config. Flags win over the environment. Every flag and variable is read;
// the mistakes raise one ConfigError (@scrape-reconciler/core's) with a one-line problem
// naming each flag or variable; the entry point prints one line per problem and exits 2.
// `--source` may be repeated (SIDECAR_SOURCE: one source per line); the text of one source
// (location, name, role, region) is source-config.ts's. --shard-dir needs one index source
// (s3://BUCKET/KEY.index.json) or one ssm: source (filled while its manifest names an index),
// and a folder of its own.
import { join, resolve } from "node:path";
import { ConfigError, ConfigProblems } from "@scrape-reconciler/core";
import {
  defaultSourceName,
  describeSource,
  isIndexSource,
  maskSourceText,
  parseSource,
  parseSourceEntry,
  type SourceConfig,
  type SourceEntry,
  type SourceSpec,
} from "./source-config";

export { ConfigError, describeSource, parseSource, type SourceConfig, type SourceSpec };

export interface ListenAddress {
  /** Undefined means every interface. */
  host?: string;
  port: number;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface SidecarConfig {
  /** The (first) source's location. */
  source: SourceSpec;
  /**
   * Every source with its name and options, in the order given. Absent for one source given
   * without options: that is `source`, named by defaultSourceName (see sourcesOf).
   */
  sources?: SourceConfig[];
  /** One file_sd file: the source's document with one source, the union with several. */
  output?: string;
  /** A folder for one file per source, `NAME.json`. */
  outputDir?: string;
  /** A folder for one file per shard of the (one) index or ssm: source, `ID.json`. */
  shardDir?: string;
  listen?: ListenAddress;
  intervalMs: number;
  /** Upper bound of the error backoff (never below the interval). */
  maxBackoffMs: number;
  logLevel: LogLevel;
}

export type ParsedArgs = { help: true } | { help: false; config: SidecarConfig };

export const MIN_INTERVAL_MS = 1000;
export const DEFAULT_INTERVAL_MS = 1000;
export const DEFAULT_MAX_BACKOFF_MS = 60_000;

export const USAGE = `Usage: scrape-reconciler-sidecar --source SOURCE [--source SOURCE ...] (--output PATH | --output-dir DIR | --shard-dir DIR | --listen ADDR) [options]

Keeps Prometheus file_sd files and/or an http_sd endpoint in step with the published targets documents.

  --source SOURCE        s3://BUCKET/KEY | ssm:/PARAMETER | file:PATH,         (SIDECAR_SOURCE,
                         then optionally ?name=NAME&role=ROLE_ARN               one per line)
                         &region=REGION&external-id=ID; repeat --source
                         for several sources; a KEY ending in .index.json
                         is a sharded index: only changed shards are fetched
  --output PATH          file_sd file to publish atomically (with several      (SIDECAR_OUTPUT)
                         sources: the union of their documents)
  --output-dir DIR       one file_sd file per source, DIR/NAME.json            (SIDECAR_OUTPUT_DIR)
  --shard-dir DIR        one file_sd file per shard, DIR/ID.json, with one     (SIDECAR_SHARD_DIR)
                         index or ssm: source (ssm: while its manifest names
                         an index); the folder is the sidecar's: shard
                         files no longer listed are removed
  --listen ADDR          serve /targets, /metrics, /healthz on ADDR (:9099)    (SIDECAR_LISTEN)
  --interval DURATION    poll interval, e.g. 1s, 30s, 2m; default 1s, min 1s   (SIDECAR_INTERVAL)
  --max-backoff DURATION cap of the error backoff; default 60s                 (SIDECAR_MAX_BACKOFF)
  --log-level LEVEL      debug | info | warn | error; default info             (SIDECAR_LOG_LEVEL)
  -h, --help             print this help
`;

interface Setting {
  flag: string;
  env: string;
}

const SETTINGS = {
  source: { flag: "--source", env: "SIDECAR_SOURCE" },
  output: { flag: "--output", env: "SIDECAR_OUTPUT" },
  outputDir: { flag: "--output-dir", env: "SIDECAR_OUTPUT_DIR" },
  shardDir: { flag: "--shard-dir", env: "SIDECAR_SHARD_DIR" },
  listen: { flag: "--listen", env: "SIDECAR_LISTEN" },
  interval: { flag: "--interval", env: "SIDECAR_INTERVAL" },
  maxBackoff: { flag: "--max-backoff", env: "SIDECAR_MAX_BACKOFF" },
  logLevel: { flag: "--log-level", env: "SIDECAR_LOG_LEVEL" },
} satisfies Record<string, Setting>;

type Key = keyof typeof SETTINGS;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go-style duration such as `1s`, `30s`, `2m`, `1m30s`, `500ms` into milliseconds. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(s)) {
    throw new Error(`not a duration (want e.g. 1s, 30s, 2m)`);
  }
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
  }
  return Math.round(total);
}

/** Parses `:9099`, `127.0.0.1:9099`, `localhost:9099` or `[::1]:9099`. Port 0 picks a free port. */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([a-zA-Z0-9.-]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) throw new Error(`not a listen address (want :PORT or HOST:PORT)`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`port ${port} is out of range`);
  const host = m[1] ?? m[2];
  return host ? { host, port } : { port };
}

function parseLogLevel(text: string): LogLevel {
  const v = text.trim().toLowerCase();
  if (v === "debug" || v === "info" || v === "warn" || v === "error") return v;
  throw new Error(`not a log level (want debug, info, warn or error)`);
}

/**
 * The sources from the --source flags (every one, in order) or else SIDECAR_SOURCE (one per
 * line; blank lines ignored): each parsed, named (given or derived) and checked for a name
 * used twice. Any problem is recorded and gives no list.
 */
function parseSources(
  flags: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  problems: ConfigProblems,
  bad: Set<Key>,
): { sources?: SourceConfig[]; hadOptions: boolean } {
  let texts: { text: string; origin: string }[];
  if (flags.length > 0) texts = flags.map((text) => ({ text, origin: SETTINGS.source.flag }));
  else if (bad.has("source")) return { hadOptions: false };
  else {
    const value = env[SETTINGS.source.env];
    if (value === undefined || value.trim() === "") return { hadOptions: false };
    texts = value
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean)
      .map((text) => ({ text, origin: SETTINGS.source.env }));
  }
  const before = problems.problems.length;
  const out: SourceConfig[] = [];
  const seen = new Map<string, string>();
  let hadOptions = false;
  for (const { text, origin } of texts) {
    if (text.trim() === "") {
      problems.add(origin, `${origin} is empty`);
      continue;
    }
    const parsed = parseSourceEntry(text);
    hadOptions ||= parsed.hasOptions;
    for (const p of parsed.problems) problems.add(origin, `${origin} "${maskSourceText(text)}": ${p}`);
    if (!parsed.entry) continue;
    const entry: SourceEntry = parsed.entry;
    const name = entry.name ?? defaultSourceName(entry);
    const other = seen.get(name.toLowerCase());
    if (other !== undefined) {
      problems.add(origin, `${origin} "${maskSourceText(text)}": name "${name}" is also the name of "${other}" (give each source its own ?name=)`);
      continue;
    }
    seen.set(name.toLowerCase(), text);
    out.push({ ...entry, name });
  }
  if (problems.problems.length > before) {
    bad.add("source");
    return { hadOptions };
  }
  return { sources: out, hadOptions };
}

/**
 * --shard-dir is for one index source, or one ssm: source (filled while its manifest names an
 * index), and the folder is the sidecar's (it removes shard files no longer listed, and a name
 * like `ecs-services` is a valid shard id): --output and --output-dir are kept out of it (a
 * DIR/*.json glob would also read every target twice).
 */
function checkShardDir(
  dir: string,
  origin: string,
  given: { sources: SourceConfig[] | undefined; output: string | undefined; outputDir: string | undefined },
  problems: ConfigProblems,
): void {
  const { sources, output, outputDir } = given;
  if (sources && sources.length !== 1) problems.add(origin, `${origin} "${dir}" works with one source, not ${sources.length}`);
  else if (sources && !isIndexSource(sources[0]!.spec) && sources[0]!.spec.kind !== "ssm") {
    problems.add(origin, `${origin} "${dir}" needs an index source, s3://BUCKET/KEY.index.json, or an ssm: source (not ${describeSource(sources[0]!.spec)})`);
  }
  if (output !== undefined && resolve(output, "..") === resolve(dir)) {
    problems.add(
      SETTINGS.output.flag,
      `--output "${output}" is in --shard-dir "${dir}": the folder is the sidecar's (a ${join(dir, "*.json")} glob would read every target twice)`,
    );
  }
  if (outputDir !== undefined && resolve(outputDir) === resolve(dir)) {
    problems.add(SETTINGS.outputDir.flag, `--output-dir "${outputDir}" is the --shard-dir: give each its own folder`);
  }
}

/** Every source of a config with its name (a config without `sources` has the one `source`). */
export function sourcesOf(config: Pick<SidecarConfig, "source" | "sources">): SourceConfig[] {
  return config.sources ?? [{ name: defaultSourceName({ spec: config.source }), spec: config.source }];
}

/** Reads flags (`--name value` or `--name=value`) and SIDECAR_* variables into a config. */
export function parseConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedArgs {
  if (argv.some((a) => a === "-h" || a === "--help")) return { help: true };
  const problems = new ConfigProblems();
  const byFlag = new Map<string, Key>(Object.entries(SETTINGS).map(([k, s]) => [s.flag, k as Key]));
  const fromFlags = new Map<Key, string>();
  /** Settings given but unusable (no value, or a bad one): not reported again as missing. */
  const bad = new Set<Key>();
  /** Every --source value, in order (the only repeatable flag). */
  const sourceFlags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const key = byFlag.get(name);
    if (!key) {
      problems.add(name, arg.startsWith("-") ? `unknown flag ${name}` : `unexpected argument "${arg}"`);
      continue;
    }
    let value: string | undefined;
    if (eq > 0 && arg.startsWith("--")) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || (value.startsWith("--") && value.length > 2)) {
        problems.add(name, `${name} needs a value`);
        bad.add(key);
        continue;
      }
      i++;
    }
    if (key === "source") sourceFlags.push(value);
    else if (fromFlags.has(key)) problems.add(name, `${name} given more than once`);
    else fromFlags.set(key, value);
  }

  const get = (key: Key): { value: string; origin: string } | undefined => {
    const s = SETTINGS[key];
    const f = fromFlags.get(key);
    if (f !== undefined) return { value: f, origin: s.flag };
    const e = env[s.env];
    if (e !== undefined && e.trim() !== "") return { value: e, origin: s.env };
    return undefined;
  };
  const parse = <T>(key: Key, fn: (v: string) => T): T | undefined => {
    const got = get(key);
    if (!got || bad.has(key)) return undefined;
    const fail = (message: string): undefined => {
      problems.add(got.origin, message);
      bad.add(key);
      return undefined;
    };
    if (got.value.trim() === "") return fail(`${got.origin} is empty`);
    try {
      return fn(got.value);
    } catch (err) {
      return fail(`${got.origin} "${got.value}": ${(err as Error).message}`);
    }
  };
  const atLeastOneSecond = (v: string): number => {
    const ms = parseDuration(v);
    if (ms < MIN_INTERVAL_MS) throw new Error(`must be at least 1s`);
    return ms;
  };

  const { sources, hadOptions } = parseSources(sourceFlags, env, problems, bad);
  const source = sources?.[0]?.spec;
  if (!sources && !bad.has("source")) problems.add(SETTINGS.source.flag, `--source (or SIDECAR_SOURCE) is required`);
  const output = parse("output", (v) => v.trim());
  const outputDir = parse("outputDir", (v) => v.trim());
  const shardDir = parse("shardDir", (v) => v.trim());
  const listen = parse("listen", parseListen);
  const given = output !== undefined || outputDir !== undefined || shardDir !== undefined || listen !== undefined;
  if (!given && !bad.has("output") && !bad.has("outputDir") && !bad.has("shardDir") && !bad.has("listen")) {
    if ((sources?.length ?? 0) > 1) {
      problems.add(SETTINGS.output.flag, `give --output-dir (SIDECAR_OUTPUT_DIR), --output (SIDECAR_OUTPUT) or --listen (SIDECAR_LISTEN)`);
    } else problems.add(SETTINGS.output.flag, `give --output (SIDECAR_OUTPUT) or --listen (SIDECAR_LISTEN), or both`);
  }
  if (output !== undefined && outputDir !== undefined && resolve(output, "..") === resolve(outputDir) && output.endsWith(".json")) {
    problems.add(
      SETTINGS.output.flag,
      `--output "${output}" is in --output-dir "${outputDir}": a ${join(outputDir, "*.json")} glob would read every target twice`,
    );
  }
  if (shardDir !== undefined) checkShardDir(shardDir, get("shardDir")!.origin, { sources, output, outputDir }, problems);
  for (const s of sources ?? []) {
    if (s.spec.kind !== "file") continue;
    const path = s.spec.path;
    if (output !== undefined && (path === output || resolve(path) === resolve(output))) {
      problems.add(SETTINGS.output.flag, `--output "${output}" is the same file as the source`);
    }
    if (outputDir !== undefined && (sources ?? []).some((o) => resolve(path) === resolve(outputDir, `${o.name}.json`))) {
      problems.add(SETTINGS.outputDir.flag, `--output-dir "${outputDir}" would overwrite the source file:${path}`);
    }
  }
  const intervalMs = parse("interval", atLeastOneSecond) ?? DEFAULT_INTERVAL_MS;
  const maxBackoffMs = parse("maxBackoff", atLeastOneSecond) ?? DEFAULT_MAX_BACKOFF_MS;
  const logLevel = parse("logLevel", parseLogLevel) ?? "info";
  const v = problems.finish({ source, sources });
  const plain = v.sources.length === 1 && !hadOptions;
  return {
    help: false,
    config: {
      source: v.source,
      ...(plain ? {} : { sources: v.sources }),
      ...(output !== undefined ? { output } : {}),
      ...(outputDir !== undefined ? { outputDir } : {}),
      ...(shardDir !== undefined ? { shardDir } : {}),
      ...(listen !== undefined ? { listen } : {}),
      intervalMs,
      maxBackoffMs: Math.max(maxBackoffMs, intervalMs),
      logLevel,
    },
  };
}
