// Runs the built sidecar bundle the way the task definition starts the container: the image's
// ENTRYPOINT (its /app/sidecar.mjs is the COPY of dist/sidecar.mjs) with the container's command,
// the image's ENV plus the container's environment and nothing else, its WORKDIR as the current
// folder. Only what cannot exist here is remapped: each task volume becomes a temp folder (the
// same folder for every container that mounts it), the S3/SSM source a `file:` source, and the
// listen port a free one. Then /healthz (the health check's URL) turns 200, the output file
// appears in the volume, /targets (the http_sd URL) serves it, nothing is written outside the
// volumes, and a real Prometheus started with each shipped configuration (paths through its own
// mounts) discovers the document's targets.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../test/support/free-port";
import { activeTargets, startPrometheus, waitFor, type PrometheusHandle } from "../../../test/support/prometheus";
import { parseConfig, type SidecarConfig } from "../src/config";
import { instances, makeDocument, serialize } from "./e2e-support";
import {
  container,
  containerEnv,
  healthCheckUrl,
  hostPath,
  imageConfig,
  loadTaskDefinition,
  mountContaining,
  PKG,
  PROMETHEUS_CONTAINER,
  PROMETHEUS_FILE_SD_CONFIG,
  PROMETHEUS_HTTP_SD_CONFIG,
  prometheusRefs,
  readText,
  SIDECAR_CONTAINER,
  SIDECAR_DOCKERFILE,
  type ContainerDefinition,
} from "./ecs-support";

const def = loadTaskDefinition();
const sidecar = container(def, SIDECAR_CONTAINER);
const prometheusDef = container(def, PROMETHEUS_CONTAINER);
const image = imageConfig(readText(SIDECAR_DOCKERFILE));
const TARGETS = ["10.0.0.8:8080", "10.0.1.9:9102", "10.0.2.4:8080"];
const JOB = "ecs-services";

let dir: string;
let bundle: string;
let rootfs: string;
let port: number;
let taskConfig: SidecarConfig;
let child: ChildProcess | undefined;
let exited: Promise<number | null>;
let logs = "";
const proms: PrometheusHandle[] = [];

const volumeDir = (name: string) => join(dir, "volumes", name);
const inContainer = (c: ContainerDefinition, path: string) => hostPath(c, path, volumeDir);

/** Remaps one sidecar setting (flag or SIDECAR_* variable) to this machine. */
function remap(setting: string, value: string): string {
  switch (setting) {
    case "--source":
    case "SIDECAR_SOURCE":
      return `file:${join(dir, "document.json")}`;
    case "--output":
    case "SIDECAR_OUTPUT":
      return inContainer(sidecar, value);
    case "--listen":
    case "SIDECAR_LISTEN":
      return value.replace(/:\d+$/, `:${port}`);
    default:
      return value;
  }
}

function remapArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf("=");
    if (a.startsWith("--") && eq > 0) out.push(`${a.slice(0, eq)}=${remap(a.slice(0, eq), a.slice(eq + 1))}`);
    else if (a.startsWith("--") && i + 1 < args.length) out.push(a, remap(a, args[++i]!));
    else out.push(a);
  }
  return out;
}

/** The bundle that the image's ENTRYPOINT script is a COPY of (build.mjs' default output, built into `dir`). */
function entrypointArgv(): string[] {
  const [node, script, ...rest] = sidecar.entryPoint ?? image.entrypoint;
  expect(node).toBe("node");
  const copy = image.copies.find((c) => c.dest === script);
  expect(copy?.src, `no COPY makes ${script}`).toEqual(["dist/sidecar.mjs"]);
  return [process.execPath, bundle, ...rest];
}

const taskPort = () => taskConfig.listen!.port;
const withPort = (url: URL) => new URL(url.href.replace(`:${taskPort()}/`, `:${port}/`));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sidecar-ecs-run-"));
  bundle = join(dir, "build", "sidecar.mjs");
  const r = spawnSync(process.execPath, [join(PKG, "build.mjs")], { env: { ...process.env, SIDECAR_BUNDLE_OUT: bundle }, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
  for (const v of def.volumes ?? []) mkdirSync(volumeDir(v.name), { recursive: true });
  // Stands for the container's read-only root filesystem: its WORKDIR, HOME and TMPDIR.
  rootfs = join(dir, "rootfs");
  mkdirSync(join(rootfs, image.workdir), { recursive: true });
  writeFileSync(join(dir, "document.json"), serialize(makeDocument(TARGETS)));
  port = await freePort();

  const args = sidecar.command ?? image.cmd;
  const taskEnv = { ...image.env, ...containerEnv(sidecar) };
  const parsed = parseConfig(args, taskEnv); // as the container would read it (ecs-task-definition.test.ts checks it)
  if (parsed.help || !parsed.config.output || !parsed.config.listen) throw new Error("the task definition's sidecar has no --output and --listen");
  taskConfig = parsed.config;
  const argv = [...entrypointArgv(), ...remapArgs(args)];
  const env = Object.fromEntries(Object.entries(taskEnv).map(([k, v]) => [k, remap(k, v)]));
  env.HOME = join(rootfs, "home");
  env.TMPDIR = join(rootfs, "tmp");
  child = spawn(argv[0]!, argv.slice(1), { cwd: join(rootfs, image.workdir), env, stdio: ["ignore", "ignore", "pipe"] });
  child.stderr!.on("data", (d: Buffer) => (logs += d.toString()));
  exited = new Promise((resolve) => child!.once("exit", (code) => resolve(code)));
});

afterAll(async () => {
  await Promise.all(proms.map((p) => p.stop()));
  if (child && child.exitCode === null) {
    child.kill("SIGKILL");
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("the task definition's sidecar command line, run", () => {
  it("gets healthy, writes the file into the volume and serves it on the http_sd URL", async () => {
    const health = withPort(healthCheckUrl(sidecar));
    const started = Date.now();
    await waitFor(async () => (await fetch(health)).status === 200, 15_000, 50).catch((err: Error) => {
      throw new Error(`${err.message}\nsidecar logs:\n${logs}`);
    });
    console.log(`ecs-run: /healthz 200 after ${Date.now() - started} ms`);
    const document = readFileSync(join(dir, "document.json"), "utf8");
    expect(readFileSync(inContainer(sidecar, taskConfig.output!), "utf8")).toBe(document);

    const [url] = prometheusRefs(readText(PROMETHEUS_HTTP_SD_CONFIG)).httpSdUrls;
    const res = await fetch(withPort(new URL(url!)));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(document);
    // Only the volume was written: no file appeared in the stand-in root filesystem.
    const files = readdirSync(rootfs, { recursive: true, withFileTypes: true }).filter((e) => !e.isDirectory());
    expect(files.map((e) => join(e.parentPath, e.name))).toEqual([]);
    expect(readdirSync(volumeDir(mountContaining(sidecar, taskConfig.output!)!.sourceVolume))).toEqual([basename(taskConfig.output!)]);
  });

  it("a real Prometheus with each shipped configuration discovers the document's targets", async () => {
    const configs = [PROMETHEUS_FILE_SD_CONFIG, PROMETHEUS_HTTP_SD_CONFIG].map((file) => {
      let text = readText(file).replaceAll(`127.0.0.1:${taskPort()}`, `127.0.0.1:${port}`);
      // Paths through Prometheus' own mounts (deepest first) to the folders standing for the volumes.
      const mounts = [...(prometheusDef.mountPoints ?? [])].sort((a, b) => b.containerPath.length - a.containerPath.length);
      for (const m of mounts) text = text.replaceAll(`${m.containerPath}/`, `${volumeDir(m.sourceVolume)}/`);
      return text;
    });
    proms.push(...(await Promise.all(configs.map((config) => startPrometheus({ config })))));
    for (const prom of proms) {
      const found = await waitFor(
        async () => {
          const ts = await activeTargets(prom.url, JOB);
          return ts.length === TARGETS.length ? ts : undefined;
        },
        20_000,
        200,
      );
      expect(instances(found)).toEqual([...TARGETS].sort());
      const self = await activeTargets(prom.url, "targets-sidecar");
      expect(self.map((t) => t.scrapeUrl)).toEqual([`http://127.0.0.1:${port}/metrics`]);
    }
  });

  it("stops with exit 0 on SIGTERM (what ECS sends)", async () => {
    child!.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(logs).toContain("sidecar stopped");
  });
});
