#!/usr/bin/env node
// `npm run demo`: installs what is missing, then runs `scrape-reconciler demo` (offline,
// on the local AWS simulator, no AWS account or credentials). Arguments pass through.
import { spawnSync } from "node:child_process";
import { ensureDeps } from "./ensure-deps.mjs";

ensureDeps();
// Ctrl-C reaches the demo too (same process group): let it stop everything and report.
process.on("SIGINT", () => {});
process.on("SIGTERM", () => {});
const r = spawnSync(process.execPath, ["bin/scrape-reconciler.mjs", "demo", ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ?? "true" },
});
process.exit(r.status ?? 1);
