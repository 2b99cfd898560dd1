// Test support: a simulated account with RDS, Aurora and ElastiCache resources on a
// clock the test moves, the environment that points the forwarder's real SDK clients at
// it, and Prometheus read-back helpers (samples at a given time, its remote-write 400s).
import { startSimulator, type ScenarioInput, type Simulator } from "@scrape-reconciler/sim";

export const STATE_BUCKET = "fwd-state";

/** One PostgreSQL instance, one Aurora cluster with one member, one Redis node cluster. */
export const FLEET: ScenarioInput = {
  seed: "forwarder",
  buckets: [STATE_BUCKET],
  rdsClusters: [{ id: "reports", tags: { env: "prod", team: "bi" } }],
  rdsInstances: [
    { id: "orders", tags: { env: "prod", team: "db" } },
    { id: "reports-1", cluster: "reports", tags: { env: "prod", team: "bi" } },
  ],
  cacheClusters: [{ id: "sessions-001", replicationGroup: "sessions", tags: { env: "prod", team: "web" } }],
  cloudWatch: { publicationDelaySeconds: 150 },
};

export interface SimClock {
  now: number;
}

/** A whole minute, `minutesAgo` before the real clock (Prometheus keeps ~1 h before its newest sample). */
export function minuteAgo(minutesAgo: number): number {
  return Math.floor(Date.now() / 60_000) * 60_000 - minutesAgo * 60_000;
}

export async function startFleet(clock: SimClock, scenario: ScenarioInput = FLEET): Promise<Simulator> {
  return startSimulator({ scenario, clock: () => new Date(clock.now) });
}

/** Environment for the forwarder: every AWS client at the simulator, plus the given settings. */
export function forwarderEnv(sim: Simulator, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...sim.endpointEnv(),
    AWS_ENDPOINT_URL: sim.url,
    FORWARD_STATE_BUCKET: STATE_BUCKET,
    REMOTE_WRITE_URL: "http://127.0.0.1:9/api/v1/write",
    ...extra,
  };
}

/** Raw samples of one series in (at - windowSeconds, at], read back through the query API. */
export async function samplesAt(url: string, selector: string, at: number, windowSeconds = 3600): Promise<Array<{ t: number; v: number }>> {
  const q = new URLSearchParams({ query: `${selector}[${windowSeconds}s]`, time: String(at / 1000) });
  const res = await fetch(`${url}/api/v1/query?${q}`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: Array<{ values: Array<[number, string]> }> } };
  if (body.status !== "success") throw new Error(`query ${selector} failed: ${body.error}`);
  if (body.data.result.length > 1) throw new Error(`query ${selector} matched ${body.data.result.length} series`);
  return (body.data.result[0]?.values ?? []).map(([t, v]) => ({ t: Math.round(t * 1000), v: Number(v) }));
}

/** Every series (label sets) matching a selector at a time. */
export async function seriesAt(url: string, selector: string, at: number): Promise<Record<string, string>[]> {
  const q = new URLSearchParams({ "match[]": selector, start: String((at - 3_600_000) / 1000), end: String(at / 1000) });
  const res = await fetch(`${url}/api/v1/series?${q}`);
  const body = (await res.json()) as { status: string; data: Record<string, string>[] };
  return body.data;
}

/** Remote-write requests Prometheus answered with `code` (from its own /metrics). */
export async function remoteWriteAnswers(url: string, code: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let n = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("prometheus_http_requests_total{") && line.includes('handler="/api/v1/write"') && line.includes(`code="${code}"`)) {
      n += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return n;
}
