// Public entry of the local AWS simulator: startSimulator (state + HTTP server),
// simClientConfig for SDK clients, scenario helpers and the model types.
import type { CallLog } from "./calls";
import type { FaultConfig } from "./faults";
import { loadScenarioFile, parseScenario, seedState, type Scenario, type ScenarioInput } from "./scenario";
import { startServer, type LatencyConfig, type PageSizes } from "./server";
import type { ServiceHandler } from "./services/types";
import type { SimState } from "./state";

export interface SimulatorOptions {
  /** A scenario object (validated) or the path of a scenario JSON file. Default: an empty account. */
  scenario?: ScenarioInput | Scenario | string;
  /** Default 0 (a free port). */
  port?: number;
  /** Default 127.0.0.1 (with `localhost` the S3 client goes virtual-hosted). */
  host?: string;
  latencyMs?: LatencyConfig;
  pageSizes?: PageSizes;
  faults?: FaultConfig;
  /** Clock for runtime changes (default: real time); seeded resources use the scenario's startTime. */
  clock?: () => Date;
  /** Extra service handlers by route key. */
  handlers?: Record<string, ServiceHandler>;
}

export interface Simulator {
  url: string;
  port: number;
  scenario: Scenario;
  state: SimState;
  calls: CallLog;
  /** AWS_ENDPOINT_URL_<SERVICE> for every registered service, AWS_REGION and dummy credentials for child processes. */
  endpointEnv(): Record<string, string>;
  setFaults(config: FaultConfig | null): void;
  setLatency(latency: LatencyConfig): void;
  setPageSizes(sizes: PageSizes | null): void;
  close(): Promise<void>;
}

export const SIM_CREDENTIALS = { accessKeyId: "AKIASIMULATOR000000", secretAccessKey: "simulator-secret-key" };

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const scenario = typeof opts.scenario === "string" ? loadScenarioFile(opts.scenario) : parseScenario(opts.scenario ?? {});
  const state = seedState(scenario, opts.clock ? { clock: opts.clock } : {});
  const server = await startServer({
    state,
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    ...(opts.latencyMs !== undefined ? { latencyMs: opts.latencyMs } : {}),
    ...(opts.pageSizes ? { pageSizes: opts.pageSizes } : {}),
    ...(opts.faults ? { faults: opts.faults } : {}),
    ...(opts.handlers ? { handlers: opts.handlers } : {}),
  });
  return {
    url: server.url,
    port: server.port,
    scenario,
    state,
    calls: server.calls,
    endpointEnv: () => ({
      ...Object.fromEntries(Object.values(server.handlers).flatMap((h) => (h.endpointEnvName ? [[`AWS_ENDPOINT_URL_${h.endpointEnvName}`, server.url]] : []))),
      AWS_REGION: state.region,
      AWS_ACCESS_KEY_ID: SIM_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: SIM_CREDENTIALS.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: "true",
    }),
    setFaults: server.setFaults,
    setLatency: server.setLatency,
    setPageSizes: server.setPageSizes,
    close: server.close,
  };
}

/** SDK v3 client config for the simulator (path-style S3, no `data-` host prefix). */
export function simClientConfig(sim: Pick<Simulator, "url" | "state">) {
  return {
    endpoint: sim.url,
    region: sim.state.region,
    credentials: { ...SIM_CREDENTIALS },
    forcePathStyle: true,
    disableHostPrefix: true,
  };
}

export { generateScenario, type GenerateOptions } from "./generate";
export { loadScenarioFile, parseScenario, seedState, ScenarioError, ScenarioSchema, type Scenario, type ScenarioInput } from "./scenario";
export { SimState, type SimStateOptions, type TaskFilter, type DeployOptions } from "./state";
export type { CallLog, CallRecord, CallFilter } from "./calls";
export type { FaultConfig, QueuedFault } from "./faults";
export type { LatencyConfig, PageSizes } from "./server";
export type { ServiceHandler, SimRequest, SimResponse, HandlerContext } from "./services/types";
export { AwsError } from "./errors";
export { SimError } from "./ids";
export { TASK_STATUSES } from "./model";
export type { TaskChange, CloudMapChange, TaskStatus, NamespaceType, LaunchType, NetworkMode, Task, TaskDefinition } from "./model";
export { EventBridgeEmitter, type EventEnvelope, type RawEvent, type DeliveryOptions } from "./eventbridge";
