// Reads the shipped ECS deployment files for the tests that check them: the task definition
// (ecs/task-definition.json), the two images' Dockerfiles (parsed into what the image runs: ENV,
// USER, WORKDIR, VOLUME, ENTRYPOINT, COPY, RUN, HEALTHCHECK) and the Prometheus configurations
// (the file_sd globs, http_sd URLs and static targets they name). Also fills the task
// definition's <PLACEHOLDERS> with example values and maps container paths to host folders.
import { readFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";

export const PKG = join(dirname(fileURLToPath(import.meta.url)), "..");
export const ECS_DIR = join(PKG, "ecs");
export const TASK_DEFINITION_FILE = join(ECS_DIR, "task-definition.json");
export const SIDECAR_DOCKERFILE = join(PKG, "Dockerfile");
export const PROMETHEUS_DOCKERFILE = join(ECS_DIR, "Dockerfile.prometheus");
export const PROMETHEUS_FILE_SD_CONFIG = join(ECS_DIR, "prometheus.yml");
export const PROMETHEUS_HTTP_SD_CONFIG = join(ECS_DIR, "prometheus-http-sd.yml");

export const SIDECAR_CONTAINER = "targets-sidecar";
export const PROMETHEUS_CONTAINER = "prometheus";
/** The folder the official prom/prometheus image declares as VOLUME (owned by `nobody`). */
export const PROMETHEUS_IMAGE_VOLUME = "/prometheus";

/** Example values for every placeholder the task definition may use; an unknown one is an error. */
export const PLACEHOLDER_EXAMPLES: Readonly<Record<string, string>> = {
  ACCOUNT: "123456789012",
  REGION: "eu-west-1",
  STAGE: "prod",
  SIDECAR_TAG: "1.0.0",
  PROMETHEUS_TAG: "3.13.2-1",
  PROMETHEUS_TASK_ROLE: "prometheus-task",
  EXECUTION_ROLE: "ecsTaskExecutionRole",
};

export class DeploymentFileError extends Error {
  override name = "DeploymentFileError";
}

export interface MountPoint {
  sourceVolume: string;
  containerPath: string;
  readOnly?: boolean;
}

export interface ContainerDefinition {
  name: string;
  image: string;
  essential?: boolean;
  command?: string[];
  entryPoint?: string[];
  user?: string;
  environment?: { name: string; value: string }[];
  mountPoints?: MountPoint[];
  portMappings?: { containerPort: number; protocol?: string }[];
  healthCheck?: { command: string[]; interval?: number; timeout?: number; retries?: number; startPeriod?: number };
  dependsOn?: { containerName: string; condition: string }[];
  readonlyRootFilesystem?: boolean;
}

export interface TaskDefinition {
  family: string;
  networkMode?: string;
  requiresCompatibilities?: string[];
  runtimePlatform?: { operatingSystemFamily?: string; cpuArchitecture?: string };
  volumes?: { name: string; host?: { sourcePath?: string } }[];
  containerDefinitions: ContainerDefinition[];
}

export const readText = (path: string) => readFileSync(path, "utf8");

/** The `<NAME>` placeholders in a text. */
export function placeholdersIn(text: string): string[] {
  return [...new Set([...text.matchAll(/<([A-Z][A-Z0-9_]*)>/g)].map((m) => m[1]!))].sort();
}

/** Replaces every placeholder by its example value; throws naming an unknown one. */
export function fillPlaceholders(text: string): string {
  return text.replace(/<([A-Z][A-Z0-9_]*)>/g, (_, name: string) => {
    const v = PLACEHOLDER_EXAMPLES[name];
    if (v === undefined) throw new DeploymentFileError(`unknown placeholder <${name}> (give it an example value in ecs-support.ts)`);
    return v;
  });
}

/** The task definition with its placeholders filled with example values. */
export function loadTaskDefinition(): TaskDefinition {
  return JSON.parse(fillPlaceholders(readText(TASK_DEFINITION_FILE))) as TaskDefinition;
}

export function container(def: TaskDefinition, name: string): ContainerDefinition {
  const c = def.containerDefinitions.find((x) => x.name === name);
  if (!c) throw new DeploymentFileError(`task definition ${def.family} has no container "${name}"`);
  return c;
}

export function containerEnv(c: ContainerDefinition): Record<string, string> {
  return Object.fromEntries((c.environment ?? []).map((e) => [e.name, e.value]));
}

/** The mount point whose containerPath is `path` or one of its parent folders (the deepest one). */
export function mountContaining(c: ContainerDefinition, path: string): MountPoint | undefined {
  const inside = (m: MountPoint) => path === m.containerPath || path.startsWith(`${m.containerPath.replace(/\/$/, "")}/`);
  return [...(c.mountPoints ?? [])].filter(inside).sort((a, b) => b.containerPath.length - a.containerPath.length)[0];
}

/** Maps a path inside container `c` to the host folder standing for the volume mounted there. */
export function hostPath(c: ContainerDefinition, path: string, volumeDir: (volume: string) => string): string {
  const m = mountContaining(c, path);
  if (!m) throw new DeploymentFileError(`${path} is on the root filesystem of container ${c.name}, not on a volume`);
  return join(volumeDir(m.sourceVolume), posix.relative(m.containerPath, path));
}

/** The URL an ECS health check command fetches (`CMD`/`CMD-SHELL` with an http:// argument). */
export function healthCheckUrl(c: ContainerDefinition): URL {
  const cmd = c.healthCheck?.command ?? [];
  const url = cmd.join(" ").match(/https?:\/\/\S+/)?.[0];
  if (!url) throw new DeploymentFileError(`container ${c.name}: health check ${JSON.stringify(cmd)} fetches no URL`);
  return new URL(url);
}

/** The value of `--name=value` or `--name value` in an argument list. */
export function flagValue(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name) return args[i + 1];
    if (args[i]!.startsWith(`${name}=`)) return args[i]!.slice(name.length + 1);
  }
  return undefined;
}

// ---- Dockerfiles ----

export interface Instruction {
  index: number;
  keyword: string;
  args: string;
}

/** Instructions of a Dockerfile: comments dropped, `\` continuations joined. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#") || (line === "" && pending === "")) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = "";
    if (!full) continue;
    const m = /^(\S+)\s*(.*)$/.exec(full)!;
    out.push({ index: out.length, keyword: m[1]!.toUpperCase(), args: m[2]! });
  }
  return out;
}

function jsonOrWords(args: string): string[] {
  const t = args.trim();
  if (t.startsWith("[")) return JSON.parse(t) as string[];
  return t.split(/\s+/).filter(Boolean);
}

function keyValues(args: string): Record<string, string> {
  const pairs = [...args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)];
  if (pairs.length === 0) {
    const m = /^(\S+)\s+(.*)$/.exec(args.trim()); // legacy `ENV KEY value`
    return m ? { [m[1]!]: m[2]! } : {};
  }
  return Object.fromEntries(pairs.map((p) => [p[1]!, p[2]!.replace(/^"(.*)"$/, "$1")]));
}

export interface ImageConfig {
  from: string;
  env: Record<string, string>;
  args: Record<string, string>;
  user?: string;
  workdir: string;
  volumes: { path: string; index: number }[];
  entrypoint: string[];
  cmd: string[];
  copies: { src: string[]; dest: string; index: number }[];
  runs: { command: string; index: number }[];
  healthcheck?: string;
}

/** What a Dockerfile's image runs with, from its instructions (ARG/ENV substituted in COPY). */
export function imageConfig(text: string): ImageConfig {
  const cfg: ImageConfig = { from: "", env: {}, args: {}, workdir: "/", volumes: [], entrypoint: [], cmd: [], copies: [], runs: [] };
  const subst = (s: string) => s.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, n: string) => cfg.env[n] ?? cfg.args[n] ?? "");
  for (const ins of parseDockerfile(text)) {
    switch (ins.keyword) {
      case "FROM":
        cfg.from = ins.args.split(/\s+/)[0]!;
        break;
      case "ENV":
        Object.assign(cfg.env, keyValues(ins.args));
        break;
      case "ARG":
        Object.assign(cfg.args, keyValues(ins.args.includes("=") ? ins.args : `${ins.args}=`));
        break;
      case "USER":
        cfg.user = ins.args.trim();
        break;
      case "WORKDIR":
        cfg.workdir = posix.resolve(cfg.workdir, ins.args.trim());
        break;
      case "VOLUME":
        for (const p of jsonOrWords(ins.args)) cfg.volumes.push({ path: p, index: ins.index });
        break;
      case "ENTRYPOINT":
        cfg.entrypoint = ins.args.trim().startsWith("[") ? jsonOrWords(ins.args) : ["/bin/sh", "-c", ins.args];
        break;
      case "CMD":
        cfg.cmd = ins.args.trim().startsWith("[") ? jsonOrWords(ins.args) : ["/bin/sh", "-c", ins.args];
        break;
      case "COPY": {
        const words = jsonOrWords(ins.args)
          .filter((w) => !w.startsWith("--"))
          .map(subst);
        cfg.copies.push({ src: words.slice(0, -1), dest: words[words.length - 1]!, index: ins.index });
        break;
      }
      case "RUN":
        cfg.runs.push({ command: ins.args, index: ins.index });
        break;
      case "HEALTHCHECK":
        cfg.healthcheck = ins.args;
        break;
    }
  }
  return cfg;
}

/** The simple commands of a RUN line (split on `&&`, `||` and `;`), as words. */
export function runCommands(command: string): string[][] {
  return command
    .split(/&&|\|\||;/)
    .map((c) => c.trim().split(/\s+/).filter(Boolean))
    .filter((w) => w.length > 0);
}

// ---- Prometheus configuration ----

export interface PrometheusRefs {
  fileSdGlobs: string[];
  httpSdUrls: string[];
  staticTargets: string[];
}

const listItems = (inner: string) =>
  inner
    .split(",")
    .map((s) => s.trim().replace(/^["']|["']$/g, ""))
    .filter(Boolean);

/**
 * The discovery references of a Prometheus configuration written in the shipped files' style
 * (`files: [...]`, `- url: ...`, `- targets: [...]`). promtool and a real Prometheus check the
 * whole file; this only reads which files and URLs it names.
 */
export function prometheusRefs(yaml: string): PrometheusRefs {
  const body = yaml
    .split("\n")
    .filter((l) => !l.trim().startsWith("#"))
    .join("\n");
  return {
    fileSdGlobs: [...body.matchAll(/files:\s*\[([^\]]*)\]/g)].flatMap((m) => listItems(m[1]!)),
    httpSdUrls: [...body.matchAll(/-\s*url:\s*["']?(\S+?)["']?\s*$/gm)].map((m) => m[1]!),
    staticTargets: [...body.matchAll(/targets:\s*\[([^\]]*)\]/g)].flatMap((m) => listItems(m[1]!)),
  };
}

/** Go's filepath.Match for `*`, `?` and literal characters (what file_sd uses for its globs). */
export function globMatches(glob: string, path: string): boolean {
  const re = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, "[^/]*")
    .replace(/\?/g, "[^/]");
  return new RegExp(`^${re}$`).test(path);
}
