// Several demos (or a demo and its tests, or a benchmark) can run on one machine at once;
// their /metrics servers would collide on the same 127.x task addresses. Each run claims a
// loopback /16 of its own: it holds a listening socket on 127.N.255.254:LOCK_PORT (binding
// is atomic, so two runs never get the same N) and moves every address of the scenario
// (ipBase, hand-registered instances, container instances) to 127.N.c.d, keeping the last
// two octets. A scenario written with 10.x addresses runs on loopback too, so the demo's
// Prometheus never scrapes anything but this machine.
import { createServer, type Server } from "node:net";
import type { Scenario } from "@scrape-reconciler/sim";

export const LOCK_PORT = 47_999;

export interface LoopbackClaim {
  scenario: Scenario;
  /** The second octet claimed. */
  octet: number;
  release(): Promise<void>;
}

function listen(host: string): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(undefined));
    srv.listen(LOCK_PORT, host, () => resolve(srv.unref()));
  });
}

const moveTo = (octet: number) => (ip: string) => ip.replace(/^\d+\.\d+\.(?=\d+\.\d+$)/, `127.${octet}.`);

/** Claims a free 127.N/16 (from the scenario's own 127.N, else 127.20) and returns the scenario moved into it. */
export async function claimLoopback(scenario: Scenario): Promise<LoopbackClaim> {
  const first = scenario.ipBase.startsWith("127.") ? Number(scenario.ipBase.split(".")[1]) || 20 : 20;
  for (let k = 0; k < 230; k++) {
    const octet = ((first - 1 + k) % 254) + 1;
    const lock = await listen(`127.${octet}.255.254`);
    if (!lock) continue;
    const move = moveTo(octet);
    const moved: Scenario = {
      ...scenario,
      ipBase: move(scenario.ipBase),
      clusters: scenario.clusters.map((c) =>
        Array.isArray(c.containerInstances)
          ? { ...c, containerInstances: c.containerInstances.map((ci) => (ci.privateIp ? { ...ci, privateIp: move(ci.privateIp) } : ci)) }
          : c,
      ),
      extraCloudMapServices: scenario.extraCloudMapServices.map((svc) => ({
        ...svc,
        instances: svc.instances.map((i) => ({
          ...i,
          attributes: Object.fromEntries(Object.entries(i.attributes).map(([k2, v]) => [k2, k2 === "AWS_INSTANCE_IPV4" ? move(v) : v])),
        })),
      })),
    };
    return { scenario: moved, octet, release: () => new Promise((resolve) => lock.close(() => resolve())) };
  }
  throw new Error("no free 127.x.0.0/16 range for the demo's task addresses (another 230 demos are running?)");
}
