#!/usr/bin/env node
// Runs the sidecar from its TypeScript sources (tsx). The container image runs the
// esbuild bundle (dist/sidecar.mjs) instead; both call runSidecar(argv, env).
import { register } from "tsx/esm/api";

register();
const { runSidecar } = await import("../src/main.ts");
process.exit(await runSidecar(process.argv.slice(2), process.env));
