// The opt-in contract: Cloud Map service tags -> scrape endpoints. Pure.
// METRICS_PORT (required; one port or a comma-separated list), METRICS_PATH (default
// /metrics; one path or a list aligned with the ports), ECS_METRICS_PORT/ECS_METRICS_PATH
// (the second, "infra" endpoint), METRICS_SCHEME (http|https). A bad value excludes only
// the endpoint it belongs to and is returned as a problem, never thrown.

export interface TagNames {
  port: string;
  path: string;
  infraPort: string;
  infraPath: string;
  scheme: string;
}

export const DEFAULT_TAG_NAMES: TagNames = {
  port: "METRICS_PORT",
  path: "METRICS_PATH",
  infraPort: "ECS_METRICS_PORT",
  infraPath: "ECS_METRICS_PATH",
  scheme: "METRICS_SCHEME",
};

export type EndpointRole = "app" | "infra";

export interface Endpoint {
  role: EndpointRole;
  /** The port the container listens on. */
  port: number;
  path: string;
  scheme: "http" | "https";
}

export interface TagProblem {
  tag: string;
  value: string;
  reason: string;
}

export interface ParsedTags {
  optedIn: boolean;
  endpoints: Endpoint[];
  problems: TagProblem[];
}

export const DEFAULT_METRICS_PATH = "/metrics";

function splitList(value: string): string[] {
  return value.split(",").map((s) => s.trim());
}

/** Parses one port; returns a reason when it is not an integer in 1-65535. */
export function parsePort(raw: string): number | string {
  if (!/^\d+$/.test(raw)) return `port ${JSON.stringify(raw)} is not a number`;
  const n = Number(raw);
  if (n < 1 || n > 65535) return `port ${raw} is outside 1-65535`;
  return n;
}

/** Returns a reason when the path is not usable as __metrics_path__. */
export function checkPath(path: string): string | undefined {
  if (!path.startsWith("/")) return `path ${JSON.stringify(path)} does not start with "/"`;
  if (/[\s?#]/.test(path)) return `path ${JSON.stringify(path)} contains whitespace, "?" or "#"`;
  return undefined;
}

function endpointsFor(
  role: EndpointRole,
  portTag: string,
  portValue: string,
  pathTag: string,
  pathValue: string | undefined,
  scheme: "http" | "https",
  problems: TagProblem[],
): Endpoint[] {
  const ports = splitList(portValue);
  const paths = pathValue === undefined || pathValue.trim() === "" ? [DEFAULT_METRICS_PATH] : splitList(pathValue);
  if (paths.length > 1 && paths.length !== ports.length) {
    problems.push({
      tag: pathTag,
      value: pathValue ?? "",
      reason: `${paths.length} paths for ${ports.length} ports in ${portTag}; ports without an aligned path are skipped`,
    });
  }
  const out: Endpoint[] = [];
  ports.forEach((rawPort, i) => {
    const port = parsePort(rawPort);
    if (typeof port === "string") {
      problems.push({ tag: portTag, value: portValue, reason: port });
      return;
    }
    const path = paths.length === 1 ? paths[0] : paths[i];
    if (path === undefined) return; // reported above as a length mismatch
    const bad = checkPath(path);
    if (bad) {
      problems.push({ tag: pathTag, value: pathValue ?? "", reason: bad });
      return;
    }
    out.push({ role, port, path, scheme });
  });
  return out;
}

/** Turns a Cloud Map service's tags into its scrape endpoints (deduplicated, stable order). */
export function parseEndpoints(tags: Record<string, string>, names: TagNames = DEFAULT_TAG_NAMES): ParsedTags {
  const portValue = tags[names.port];
  if (portValue === undefined) return { optedIn: false, endpoints: [], problems: [] };
  const problems: TagProblem[] = [];
  const rawScheme = (tags[names.scheme] ?? "http").trim().toLowerCase();
  if (rawScheme !== "http" && rawScheme !== "https") {
    problems.push({ tag: names.scheme, value: tags[names.scheme] ?? "", reason: `scheme must be http or https` });
    return { optedIn: true, endpoints: [], problems };
  }
  const scheme = rawScheme;
  const endpoints = endpointsFor("app", names.port, portValue, names.path, tags[names.path], scheme, problems);
  const infraPort = tags[names.infraPort];
  if (infraPort !== undefined && infraPort.trim() !== "") {
    endpoints.push(...endpointsFor("infra", names.infraPort, infraPort, names.infraPath, tags[names.infraPath], scheme, problems));
  }
  const seen = new Set<string>();
  const unique = endpoints.filter((e) => {
    const k = `${e.port}${e.path}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return { optedIn: true, endpoints: unique, problems };
}
