// Installs what a fresh machine with Node and npm lacks before the demo or the tests run:
// the npm packages (npm ci) and Debian's prometheus package (prometheus + promtool, the
// real consumer in the end-to-end tests and the demo). No-op when both are present.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`setup: ${cmd} ${args.join(" ")} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

function has(bin) {
  return spawnSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" }).status === 0;
}

export function ensureDeps({ prometheus = true } = {}) {
  if (!existsSync("node_modules/vitest") || !existsSync("node_modules/tsx")) {
    console.error("setup: installing npm packages (npm ci)");
    run("npm", ["ci", "--no-audit", "--no-fund"]);
  }
  if (prometheus && (!has("prometheus") || !has("promtool"))) {
    if (process.getuid?.() !== 0 || !has("apt-get")) {
      console.error("setup: Debian's prometheus package is missing; install it with: sudo apt-get install -y prometheus");
      return false;
    }
    console.error("setup: installing Debian's prometheus package");
    run("apt-get", ["update", "-qq"]);
    run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "prometheus"]);
  }
  return true;
}

if (import.meta.url === `file://${process.argv[1]}`) ensureDeps();
