// `scrape-reconciler demo [--scenario FILE] [--duration DURATION]`: the offline demo of the
// whole pipeline (local AWS simulator, event path, sidecar, Prometheus). Runs until its
// script and idle time end, the duration passes, or SIGINT/SIGTERM. The demo package (and
// through it the simulator and the emulator) is loaded only when this command runs
// (main.ts imports this module lazily), through its public entry.
import { DEMO_SCENARIO, runDemo } from "@scrape-reconciler/demo";
import { parseDuration } from "@scrape-reconciler/sidecar";
import { parseFlags } from "../flags";
import { UsageError, type Command } from "../io";

const USAGE = "demo [--scenario FILE] [--duration DURATION]";

export const demoCommand: Command = async (args, env, io) => {
  const { values } = parseFlags(args, { scenario: { type: "string" }, duration: { type: "string" } }, USAGE);
  let durationMs: number | undefined;
  if (values.duration !== undefined) {
    try {
      durationMs = parseDuration(values.duration);
    } catch (err) {
      throw new UsageError(`--duration: ${(err as Error).message} (usage: scrape-reconciler ${USAGE})`);
    }
  }
  return runDemo(
    {
      scenario: values.scenario ?? DEMO_SCENARIO,
      env,
      colour: Boolean(process.stdout.isTTY) && !env.NO_COLOR,
      ...(durationMs !== undefined ? { durationMs } : {}),
    },
    io,
  );
};
