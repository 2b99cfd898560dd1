// The shipped ECS deployment (ecs/task-definition.json, the two Dockerfiles, the Prometheus
// configurations) agrees with itself and with the sidecar: its command line passes the real
// parser, the output folder is an image VOLUME owned by the image's user and mounted at exactly
// that path, Prometheus reads the file and URL the sidecar writes and serves, and every
// container has a read-only root with a writable volume for what it writes. promtool checks
// both Prometheus configurations. (ecs-run.test.ts runs the bundle with this command line.)
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { basename, dirname, join, posix, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { findPrometheus } from "../../../test/support/prometheus";
import { tempPathFor } from "../src/atomic-write";
import { parseConfig, type SidecarConfig } from "../src/config";
import {
  container,
  containerEnv,
  flagValue,
  globMatches,
  healthCheckUrl,
  imageConfig,
  loadTaskDefinition,
  mountContaining,
  PKG,
  placeholdersIn,
  PLACEHOLDER_EXAMPLES,
  PROMETHEUS_CONTAINER,
  PROMETHEUS_DOCKERFILE,
  PROMETHEUS_FILE_SD_CONFIG,
  PROMETHEUS_HTTP_SD_CONFIG,
  PROMETHEUS_IMAGE_VOLUME,
  prometheusRefs,
  readText,
  runCommands,
  SIDECAR_CONTAINER,
  SIDECAR_DOCKERFILE,
  TASK_DEFINITION_FILE,
} from "./ecs-support";

const def = loadTaskDefinition();
const sidecar = container(def, SIDECAR_CONTAINER);
const prometheus = container(def, PROMETHEUS_CONTAINER);
const image = imageConfig(readText(SIDECAR_DOCKERFILE));
const promImage = imageConfig(readText(PROMETHEUS_DOCKERFILE));
const fileSd = prometheusRefs(readText(PROMETHEUS_FILE_SD_CONFIG));
const httpSd = prometheusRefs(readText(PROMETHEUS_HTTP_SD_CONFIG));

/** The sidecar's config as the container starts it: image ENTRYPOINT + command, image ENV + task environment. */
function sidecarConfig(): SidecarConfig {
  const argv = [...(sidecar.entryPoint ?? image.entrypoint), ...(sidecar.command ?? image.cmd)];
  expect(argv.slice(0, 2)).toEqual(["node", "/app/sidecar.mjs"]);
  const parsed = parseConfig(argv.slice(2), { ...image.env, ...containerEnv(sidecar) });
  if (parsed.help) throw new Error("the task definition's command line asks for --help");
  return parsed.config;
}

describe("ECS task definition", () => {
  it("is a Fargate awsvpc task with its CPU architecture stated, built for by both Dockerfiles, and only known placeholders", () => {
    expect(def.networkMode).toBe("awsvpc");
    expect(def.requiresCompatibilities).toEqual(["FARGATE"]);
    expect(def.runtimePlatform?.operatingSystemFamily).toBe("LINUX");
    const arch = def.runtimePlatform?.cpuArchitecture;
    expect(["ARM64", "X86_64"]).toContain(arch);
    const platform = `--platform linux/${arch === "ARM64" ? "arm64" : "amd64"}`;
    expect(readText(SIDECAR_DOCKERFILE)).toContain(platform);
    expect(readText(PROMETHEUS_DOCKERFILE)).toContain(platform);
    // Fargate has no host paths; every volume is task storage.
    for (const v of def.volumes ?? []) expect(v.host?.sourcePath, v.name).toBeUndefined();
    const used = placeholdersIn(readText(TASK_DEFINITION_FILE));
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((p) => !(p in PLACEHOLDER_EXAMPLES))).toEqual([]);
    expect(readText(TASK_DEFINITION_FILE)).not.toMatch(/\b\d{12}\b/); // no real-looking account id
  });

  it("(1) the sidecar's command line passes the real parser: output inside its volume, one port for listen, mapping and health check", () => {
    const config = sidecarConfig();
    expect(["s3", "ssm"]).toContain(config.source.kind); // a deployed sidecar reads the published document
    const output = config.output!;
    expect(output).toBeDefined();
    expect(posix.isAbsolute(output)).toBe(true);
    const mount = mountContaining(sidecar, output);
    expect(mount, `no volume holds ${output}`).toBeDefined();
    expect(mount!.readOnly ?? false).toBe(false);
    expect(def.volumes?.map((v) => v.name)).toContain(mount!.sourceVolume);

    const port = config.listen?.port;
    expect(port).toBeGreaterThan(0);
    expect(config.listen?.host ?? "0.0.0.0").toBe("0.0.0.0"); // reachable at 127.0.0.1 by the health check and Prometheus
    expect(sidecar.portMappings?.map((p) => p.containerPort)).toEqual([port]);
    const health = healthCheckUrl(sidecar);
    expect(health.hostname).toBe("127.0.0.1");
    expect(Number(health.port)).toBe(port);
    expect(health.pathname).toBe("/healthz");
    expect(sidecar.healthCheck?.command[0]).toMatch(/^CMD(-SHELL)?$/);
    // The image's own HEALTHCHECK (plain docker) asks the same port.
    expect(image.healthcheck).toContain(`http://127.0.0.1:${port}/healthz`);
  });

  it("(2) the image makes the output folder a VOLUME, created and owned by its USER, and the sidecar mounts exactly that path", () => {
    expect(Number(/^node:(\d+)-alpine$/.exec(image.from)?.[1])).toBeGreaterThanOrEqual(22);
    const output = sidecarConfig().output!;
    const folder = posix.dirname(output);
    const volume = image.volumes.find((v) => folder === v.path || folder.startsWith(`${v.path}/`));
    expect(volume, `no VOLUME holds ${folder}; volumes: ${JSON.stringify(image.volumes)}`).toBeDefined();
    // ECS copies the image's folder (owner, mode) into the task volume only when containerPath equals the VOLUME path.
    expect(mountContaining(sidecar, output)?.containerPath).toBe(volume!.path);

    const user = sidecar.user ?? image.user;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(image.user).toBe(user);
    const before = image.runs.filter((r) => r.index < volume!.index).flatMap((r) => runCommands(r.command));
    const created = before.some((w) => w[0] === "mkdir" && w.includes(volume!.path));
    const owner = before.find((w) => w[0] === "chown" && w.includes(volume!.path))?.find((a, i) => i > 0 && !a.startsWith("-"));
    expect(created, `no RUN mkdir of ${volume!.path} before its VOLUME`).toBe(true);
    expect(owner?.split(":")[0], `owner of ${volume!.path}`).toBe(user!.split(":")[0]);
    // Nothing changes the folder after VOLUME (the builder would discard it).
    const after = image.runs.filter((r) => r.index > volume!.index).flatMap((r) => runCommands(r.command));
    expect(after.filter((w) => w.includes(volume!.path))).toEqual([]);
  });

  it("(3) Prometheus reads the file the sidecar writes (file_sd) and the URL it serves (http_sd), after the sidecar is healthy", () => {
    expect(prometheus.dependsOn).toContainEqual({ containerName: SIDECAR_CONTAINER, condition: "HEALTHY" });
    const config = sidecarConfig();
    const output = config.output!;
    const sidecarMount = mountContaining(sidecar, output)!;

    // file_sd: the glob, read through Prometheus' own mount of the same volume, matches the output
    // file but not the sidecar's temporary file.
    expect(fileSd.fileSdGlobs).toHaveLength(1);
    const glob = fileSd.fileSdGlobs[0]!;
    const promMount = mountContaining(prometheus, glob);
    expect(promMount, `Prometheus has no volume at ${glob}`).toBeDefined();
    expect(promMount!.sourceVolume).toBe(sidecarMount.sourceVolume);
    expect(promMount!.readOnly).toBe(true);
    const seen = (p: string) => posix.join(promMount!.containerPath, posix.relative(sidecarMount.containerPath, p));
    expect(globMatches(glob, seen(output))).toBe(true);
    expect(globMatches(glob, seen(tempPathFor(output, "0a1b2c3d")))).toBe(false);
    expect(fileSd.httpSdUrls).toEqual([]);

    // http_sd: the sidecar's /targets on the same port, over the task's shared network namespace.
    expect(httpSd.fileSdGlobs).toEqual([]);
    expect(httpSd.httpSdUrls).toEqual([`http://127.0.0.1:${config.listen!.port}/targets`]);
    // Both scrape the sidecar's own /metrics at that port.
    for (const refs of [fileSd, httpSd]) expect(refs.staticTargets).toContain(`127.0.0.1:${config.listen!.port}`);

    // The Prometheus image bakes prometheus.yml (the file_sd variant by default) where --config.file points.
    const copy = promImage.copies.find((c) => c.dest === flagValue(prometheus.command ?? [], "--config.file"));
    expect(copy?.src).toEqual([basename(PROMETHEUS_FILE_SD_CONFIG)]);
    expect(readText(PROMETHEUS_DOCKERFILE)).toContain(`PROMETHEUS_CONFIG=${basename(PROMETHEUS_HTTP_SD_CONFIG)}`);
    expect(existsSync(join(dirname(PROMETHEUS_DOCKERFILE), basename(PROMETHEUS_HTTP_SD_CONFIG)))).toBe(true);
  });

  it("(3) both containers have a read-only root filesystem and a writable volume for what each writes", () => {
    for (const c of def.containerDefinitions) expect(c.readonlyRootFilesystem, c.name).toBe(true);
    const out = mountContaining(sidecar, sidecarConfig().output!)!;
    expect(out.readOnly ?? false).toBe(false);

    const tsdb = flagValue(prometheus.command ?? [], "--storage.tsdb.path");
    expect(tsdb).toBeDefined();
    const data = mountContaining(prometheus, tsdb!);
    expect(data, `no volume at Prometheus' TSDB ${tsdb}`).toBeDefined();
    expect(data!.readOnly ?? false).toBe(false);
    // Mounted at the upstream image's VOLUME (owned by its user `nobody`), so ECS initialises it writable.
    expect(data!.containerPath).toBe(PROMETHEUS_IMAGE_VOLUME);
    expect(data!.sourceVolume).not.toBe(out.sourceVolume);
    expect(promImage.from).toMatch(/^prom\/prometheus:v3\.\d+\.\d+$/);
  });

  it("both READMEs link to the one task definition and the Prometheus configurations, and inline no copy", () => {
    const readmes = [join(PKG, "README.md"), join(PKG, "..", "..", "infra", "README.md")];
    for (const readme of readmes) {
      const text = readText(readme);
      const links = [...text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((m) => resolve(dirname(readme), m[1]!));
      for (const file of [TASK_DEFINITION_FILE, PROMETHEUS_FILE_SD_CONFIG, PROMETHEUS_HTTP_SD_CONFIG]) {
        expect(links, `${readme} links to ${basename(file)}`).toContain(file);
      }
      expect(text, readme).not.toContain('"containerDefinitions"');
    }
  });

  it("promtool accepts both Prometheus configurations", () => {
    const prom = findPrometheus();
    expect(prom, "no prometheus binary (install Debian's prometheus package)").toBeDefined();
    const promtool = join(dirname(prom!), "promtool");
    for (const file of [PROMETHEUS_FILE_SD_CONFIG, PROMETHEUS_HTTP_SD_CONFIG]) {
      const r = spawnSync(promtool, ["check", "config", file], { encoding: "utf8" });
      expect(r.status, `${basename(file)}: ${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout).toContain("SUCCESS");
    }
  });
});
