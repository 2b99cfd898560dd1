// The demo's second AWS account: another simulator with its own account id, region and task
// addresses, its /metrics servers, and its targets document in its own bucket. Its stack is
// not emulated (one emulated stack is what two cores can run beside Prometheus): its document
// is published by the project's full reconcile, run in-process against its simulator, as its
// own stack's schedule would. The demo's one sidecar reads it from S3, beside the first
// account's manifest, and the one Prometheus scrapes both (one central Prometheus over
// several accounts, README "One central Prometheus over several accounts").
import { fileURLToPath } from "node:url";
import { createReconcilerClients, parseReconcileConfig, reconcile, type ReconcileSummary } from "@scrape-reconciler/reconcile";
import { loadScenarioFile, simClientConfig, startSimulator, type Simulator } from "@scrape-reconciler/sim";
import { MetricsFleet } from "./fleet";
import { claimLoopback } from "./loopback";

/** The second account's scenario, shipped with the package. */
export const SECOND_ACCOUNT_SCENARIO = fileURLToPath(new URL("../scenarios/second-account.json", import.meta.url));

type Undo = () => Promise<void> | void;

export class SecondAccount {
  private constructor(
    readonly sim: Simulator,
    readonly fleet: MetricsFleet,
    private readonly env: Record<string, string>,
  ) {}

  /** Starts the simulator and the /metrics servers; registers their undo before anything can fail. */
  static async start(scenarioPath: string, undo: Undo[]): Promise<SecondAccount> {
    const scenario = loadScenarioFile(scenarioPath);
    const bucket = scenario.buckets[0];
    if (!bucket) throw new Error(`${scenarioPath}: the second account needs a bucket for its document`);
    const claim = await claimLoopback(scenario);
    undo.push(() => claim.release());
    const sim = await startSimulator({ scenario: claim.scenario });
    undo.push(() => sim.close());
    const fleet = new MetricsFleet(sim);
    undo.push(() => fleet.close());
    await fleet.start();
    const env = { ...sim.endpointEnv(), TARGETS_BUCKET: bucket, AWS_REGION: sim.state.region };
    return new SecondAccount(sim, fleet, env);
  }

  get accountId(): string {
    return this.sim.state.accountId;
  }

  get region(): string {
    return this.sim.state.region;
  }

  /** The sidecar's `--source` for this account's document. */
  source(): string {
    const c = parseReconcileConfig(this.env);
    return `s3://${c.bucket}/${c.key}?name=${this.accountId}&region=${this.region}`;
  }

  /** SDK settings of this account's endpoint, for the sidecar's clients of this source. */
  clientConfig() {
    return simClientConfig(this.sim);
  }

  /** One full reconcile of this account, publishing its document (its stack's schedule, in-process). */
  async reconcile(): Promise<ReconcileSummary> {
    const clients = createReconcilerClients(this.env);
    try {
      return await reconcile({ clients, config: parseReconcileConfig(this.env), now: () => new Date() });
    } finally {
      for (const c of Object.values(clients)) c.destroy();
    }
  }
}
