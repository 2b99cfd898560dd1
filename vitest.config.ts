import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "functions/**/*.test.ts", "test/**/*.test.ts", "infra/**/*.test.ts"],
    pool: "forks",
    // Most slow files wait (on batching windows, schedules, child processes), not compute:
    // more workers than the two cores keeps the whole run well under 8 minutes.
    maxWorkers: 4,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The SDK's Node 20 end-of-support notice, once per test file, hides real output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
