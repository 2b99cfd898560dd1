// Two runs on one machine never share task addresses: each claims its own 127.N/16 and the
// scenario's loopback addresses (ipBase, hand-registered instances, container instances)
// move into it; a released range can be claimed again; a 10.x scenario moves onto loopback.
import { describe, expect, it } from "vitest";
import { loadScenarioFile, parseScenario } from "@scrape-reconciler/sim";
import { claimLoopback } from "../src/loopback";

const demo = loadScenarioFile(new URL("../scenarios/demo.json", import.meta.url).pathname);

describe("claimLoopback", () => {
  it("gives concurrent runs different ranges and moves every loopback address", async () => {
    const a = await claimLoopback(demo);
    const b = await claimLoopback(demo);
    try {
      expect(a.octet).toBeDefined();
      expect(b.octet).not.toBe(a.octet);
      expect(b.scenario.ipBase).toBe(`127.${b.octet}.0.0`);
      const pg = b.scenario.extraCloudMapServices.find((s) => s.name === "pgbouncer")!.instances[0]!.attributes;
      expect(pg.AWS_INSTANCE_IPV4).toBe(`127.${b.octet}.200.10`);
      expect(pg.AWS_INSTANCE_PORT).toBe("9127");
      expect(demo.ipBase).toBe("127.20.0.0"); // the input is not modified
    } finally {
      await b.release();
    }
    const c = await claimLoopback(demo);
    try {
      expect(c.octet).toBe(b.octet);
    } finally {
      await c.release();
      await a.release();
    }
  });

  it("moves explicit container-instance addresses and non-loopback scenarios onto loopback", async () => {
    const sc = parseScenario({ ipBase: "127.30.0.0", clusters: [{ name: "c", containerInstances: [{ privateIp: "127.30.9.9" }, { privateIp: "10.1.2.3" }] }] });
    const claim = await claimLoopback(sc);
    try {
      const cis = claim.scenario.clusters[0]!.containerInstances as { privateIp?: string }[];
      expect(cis.map((ci) => ci.privateIp)).toEqual([`127.${claim.octet}.9.9`, `127.${claim.octet}.2.3`]);
    } finally {
      await claim.release();
    }
    const sample = loadScenarioFile(new URL("../../sim/scenarios/sample.json", import.meta.url).pathname);
    const moved = await claimLoopback(sample);
    try {
      expect(moved.scenario.ipBase).toBe(`127.${moved.octet}.0.0`);
      expect(moved.scenario.extraCloudMapServices[0]!.instances[0]!.attributes.AWS_INSTANCE_IPV4).toBe(`127.${moved.octet}.200.10`);
      expect(sample.ipBase).toBe("10.0.0.0");
    } finally {
      await moved.release();
    }
  });
});
