// `scrape-reconciler demo [--scenario FILE]`: the offline demo on the local AWS simulator.
import { fileURLToPath } from "node:url";
import { runBasicDemo } from "@scrape-reconciler/demo";
import { parseFlags } from "../flags";
import type { Command } from "../io";

export const SAMPLE_SCENARIO = fileURLToPath(new URL("../../../sim/scenarios/sample.json", import.meta.url));

export const demoCommand: Command = async (args, _env, io) => {
  const { values } = parseFlags(args, { scenario: { type: "string" } }, "demo [--scenario FILE]");
  await runBasicDemo({ scenario: values.scenario ?? SAMPLE_SCENARIO }, io);
  return 0;
};
