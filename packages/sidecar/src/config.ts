// Sidecar configuration: command-line flags and SIDECAR_* environment variables into one
// typed, validated config. Flags win over the environment. Every flag and variable is read;
// the mistakes raise one ConfigError (@scrape-reconciler/core's) with a one-line problem
// naming each flag or variable; the entry point prints one line per problem and exits 2.
import { ConfigError, ConfigProblems } from "@scrape-reconciler/core";

export { ConfigError };

export type SourceSpec = { kind: "s3"; bucket: string; key: string } | { kind: "ssm"; name: string } | { kind: "file"; path: string };

export interface ListenAddress {
  /** Undefined means every interface. */
  host?: string;
  port: number;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface SidecarConfig {
  source: SourceSpec;
  output?: string;
  listen?: ListenAddress;
  intervalMs: number;
  /** Upper bound of the error backoff (never below the interval). */
  maxBackoffMs: number;
  logLevel: LogLevel;
}

export type ParsedArgs = { help: true } | { help: false; config: SidecarConfig };

export const MIN_INTERVAL_MS = 1000;
export const DEFAULT_INTERVAL_MS = 5000;
export const DEFAULT_MAX_BACKOFF_MS = 60_000;

export const USAGE = `Usage: scrape-reconciler-sidecar --source SOURCE (--output PATH | --listen ADDR) [options]

Keeps a Prometheus file_sd file and/or an http_sd endpoint in step with the published targets document.

  --source SOURCE        s3://BUCKET/KEY | ssm:/PARAMETER | file:PATH         (SIDECAR_SOURCE)
  --output PATH          file_sd file to publish atomically                    (SIDECAR_OUTPUT)
  --listen ADDR          serve /targets, /metrics, /healthz on ADDR (:9099)    (SIDECAR_LISTEN)
  --interval DURATION    poll interval, e.g. 1s, 30s, 2m; default 5s, min 1s   (SIDECAR_INTERVAL)
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

/** Parses `s3://bucket/key`, `ssm:/parameter` (or `ssm:name`) and `file:PATH`. */
export function parseSource(text: string): SourceSpec {
  const s = text.trim();
  if (s.startsWith("s3://")) {
    const rest = s.slice("s3://".length);
    const slash = rest.indexOf("/");
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const key = slash < 0 ? "" : rest.slice(slash + 1);
    if (!/^[a-zA-Z0-9._-]{1,255}$/.test(bucket)) throw new Error(`bad bucket name "${bucket}"`);
    if (!key) throw new Error(`missing object key (want s3://BUCKET/KEY)`);
    return { kind: "s3", bucket, key };
  }
  if (s.startsWith("ssm:")) {
    const name = s.slice("ssm:".length);
    if (!/^\/?[a-zA-Z0-9_.\-/]+$/.test(name) || name.endsWith("/")) throw new Error(`bad parameter name "${name}"`);
    return { kind: "ssm", name };
  }
  if (s.startsWith("file:")) {
    const path = s.slice("file:".length);
    if (!path) throw new Error(`missing path (want file:PATH)`);
    return { kind: "file", path };
  }
  throw new Error(`unknown source (want s3://BUCKET/KEY, ssm:/PARAMETER or file:PATH)`);
}

function parseLogLevel(text: string): LogLevel {
  const v = text.trim().toLowerCase();
  if (v === "debug" || v === "info" || v === "warn" || v === "error") return v;
  throw new Error(`not a log level (want debug, info, warn or error)`);
}

/** Reads flags (`--name value` or `--name=value`) and SIDECAR_* variables into a config. */
export function parseConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedArgs {
  if (argv.some((a) => a === "-h" || a === "--help")) return { help: true };
  const problems = new ConfigProblems();
  const byFlag = new Map<string, Key>(Object.entries(SETTINGS).map(([k, s]) => [s.flag, k as Key]));
  const fromFlags = new Map<Key, string>();
  /** Settings given but unusable (no value, or a bad one): not reported again as missing. */
  const bad = new Set<Key>();
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
    if (fromFlags.has(key)) problems.add(name, `${name} given more than once`);
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

  const source = parse("source", parseSource);
  if (!source && !bad.has("source")) problems.add(SETTINGS.source.flag, `--source (or SIDECAR_SOURCE) is required`);
  const output = parse("output", (v) => v.trim());
  const listen = parse("listen", parseListen);
  if (output === undefined && listen === undefined && !bad.has("output") && !bad.has("listen")) {
    problems.add(SETTINGS.output.flag, `give --output (SIDECAR_OUTPUT) or --listen (SIDECAR_LISTEN), or both`);
  }
  if (output !== undefined && source?.kind === "file" && source.path === output) {
    problems.add(SETTINGS.output.flag, `--output "${output}" is the same file as the source`);
  }
  const intervalMs = parse("interval", atLeastOneSecond) ?? DEFAULT_INTERVAL_MS;
  const maxBackoffMs = parse("maxBackoff", atLeastOneSecond) ?? DEFAULT_MAX_BACKOFF_MS;
  const logLevel = parse("logLevel", parseLogLevel) ?? "info";
  const v = problems.finish({ source });
  return {
    help: false,
    config: {
      source: v.source,
      ...(output !== undefined ? { output } : {}),
      ...(listen !== undefined ? { listen } : {}),
      intervalMs,
      maxBackoffMs: Math.max(maxBackoffMs, intervalMs),
      logLevel,
    },
  };
}

export function describeSource(s: SourceSpec): string {
  switch (s.kind) {
    case "s3":
      return `s3://${s.bucket}/${s.key}`;
    case "ssm":
      return `ssm:${s.name}`;
    case "file":
      return `file:${s.path}`;
  }
}
