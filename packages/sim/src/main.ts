// CLI: runs the simulator on a scenario until SIGINT/SIGTERM and prints the
// environment lines that point AWS SDK clients (and the AWS CLI) at it.
//   tsx packages/sim/src/main.ts --scenario FILE [--port N] [--host H] [--latency-ms N] [--fault-rate R]
import { parseArgs } from "node:util";
import { startSimulator } from "./index";

const USAGE = "usage: main.ts --scenario FILE [--port N] [--host ADDR] [--latency-ms N] [--fault-rate R]";

function number(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number in [${min}, ${max}], got ${JSON.stringify(value)}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      "latency-ms": { type: "string" },
      "fault-rate": { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!values.scenario) throw new Error(`--scenario is required (${USAGE})`);
  const port = number("port", values.port, 0, 65535);
  const latencyMs = number("latency-ms", values["latency-ms"], 0, 60_000);
  const rate = number("fault-rate", values["fault-rate"], 0, 1);
  const sim = await startSimulator({
    scenario: values.scenario,
    ...(port !== undefined ? { port } : {}),
    ...(values.host ? { host: values.host } : {}),
    ...(latencyMs !== undefined ? { latencyMs } : {}),
    ...(rate ? { faults: { rate, errors: ["ThrottlingException", "InternalFailure", "ServiceUnavailable"] } } : {}),
  });
  for (const [k, v] of Object.entries(sim.endpointEnv())) process.stdout.write(`export ${k}=${v}\n`);
  const tasks = sim.state.tasks({ status: "RUNNING" }).length;
  process.stderr.write(
    `simulator listening on ${sim.url}: ${sim.state.cloudMap.namespaces.size} namespaces, ${sim.state.cloudMap.services.size} Cloud Map services, ${tasks} running tasks (Ctrl-C to stop)\n`,
  );
  const stop = async () => {
    await sim.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}

main().catch((e: unknown) => {
  process.stderr.write(`sim: ${(e as Error).message}\n`);
  process.exit(2);
});
