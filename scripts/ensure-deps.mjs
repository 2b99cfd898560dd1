// Installs what a fresh machine with Node and npm lacks before the demo or the tests run:
// the npm packages (npm ci), Debian's prometheus package (prometheus + promtool, the real
// consumer in the end-to-end tests and the demo), SST's generated platform (.sst/platform,
// through scripts/sst-check.sh --install-only) and Node 24, the functions' Lambda runtime,
// into .cache/node24 (packages/emulator/src/node24.ts; EMULATOR_NODE names another binary).
// Quiet and a no-op when everything is present.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root });
  if (r.status !== 0) {
    console.error(`setup: ${cmd} ${args.join(" ")} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

function has(bin) {
  return spawnSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" }).status === 0;
}

function ensurePrometheus() {
  if (has("prometheus") && has("promtool")) return true;
  if (process.getuid?.() !== 0 || !has("apt-get")) {
    console.error("setup: Debian's prometheus package is missing; install it with: sudo apt-get install -y prometheus");
    return false;
  }
  console.error("setup: installing Debian's prometheus package");
  run("apt-get", ["update", "-qq"]);
  run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "prometheus"]);
  return true;
}

/** Node 24 via the emulator's own module (run by tsx), which prints the binary's path. */
function ensureNode24() {
  const r = spawnSync(process.execPath, ["--import", "tsx", "packages/emulator/src/node24.ts", root], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (r.status !== 0) {
    console.error(`setup: Node 24 for the Lambda emulator is missing and could not be installed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

export function ensureDeps({ prometheus = true, sstPlatform = true, node24 = true } = {}) {
  if (!existsSync(`${root}/node_modules/vitest`) || !existsSync(`${root}/node_modules/tsx`)) {
    console.error("setup: installing npm packages (npm ci)");
    run("npm", ["ci", "--no-audit", "--no-fund"]);
  }
  const prometheusOk = prometheus ? ensurePrometheus() : true;
  if (sstPlatform) run("bash", ["scripts/sst-check.sh", "--install-only"]);
  if (node24) ensureNode24();
  return prometheusOk;
}

if (import.meta.url === `file://${process.argv[1]}`) ensureDeps();
