#!/usr/bin/env node
// Entry point of `scrape-reconciler` (and `npx scrape-reconciler`): runs the TypeScript
// sources through tsx, so the command works from a clone without a build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../packages/cli/src/main.ts");
process.exitCode = await main(process.argv.slice(2));
