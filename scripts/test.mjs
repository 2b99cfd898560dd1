#!/usr/bin/env node
// Runs every test with vitest and ends with the plain summary line "N passed, N failed"
// (vitest's own summary is not a line CI reads). Extra arguments go to vitest.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDeps } from "./ensure-deps.mjs";

ensureDeps();

const dir = mkdtempSync(join(tmpdir(), "sr-test-"));
const out = join(dir, "results.json");
const res = spawnSync(
  process.execPath,
  ["node_modules/vitest/vitest.mjs", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${out}`, ...process.argv.slice(2)],
  { stdio: "inherit" },
);
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const r = JSON.parse(readFileSync(out, "utf8"));
  passed = r.numPassedTests;
  failed = r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
  skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  for (const suite of r.testResults ?? []) {
    if (suite.status === "failed" && (suite.assertionResults ?? []).length === 0) failed += 1;
  }
} catch (err) {
  console.error(`test runner: no results from vitest (${err.message})`);
  failed = Math.max(failed, 1);
}
rmSync(dir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
// Every test runs: a skipped one (SST's platform, Node 24 or Prometheus missing) fails the run.
if (skipped > 0) console.error(`test runner: ${skipped} test(s) skipped; the set-up above should have installed what they need`);
process.exit(res.status === 0 && failed === 0 && skipped === 0 && passed > 0 ? 0 : 1);
