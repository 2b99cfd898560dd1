// The one Cloud Map service reader: a service refreshed by an event (readService) reads
// exactly what the full discovery reads for it (tags, instances over every page), opted
// in or not, so the event path and the safety net cannot drift apart.
import { DEFAULT_TAG_NAMES } from "@scrape-reconciler/core";
import { generateScenario } from "@scrape-reconciler/sim";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimEnv, type SimEnv } from "../../../test/support/sim-env";
import { discover, listNamespaces, listServices, readService } from "../src";

let env: SimEnv;
beforeAll(async () => {
  // 12 services (some untagged: not opted in), 5 tasks each, pages of 2: several pages everywhere.
  env = await startSimEnv({ scenario: generateScenario({ services: 12, tasksPerService: 5, namespaces: 3 }), pageSizes: { "*": 2 } });
});
afterAll(async () => env?.sim.close());

describe("readService against the full discovery", () => {
  it("reads the same tags and instances for every service, and null for one that is gone", async () => {
    const sd = env.clients.servicediscovery;
    const full = await discover(env.clients, { tagNames: DEFAULT_TAG_NAMES });
    expect(full.failed).toEqual([]);
    const byId = new Map(full.services.map((d) => [d.service.id, d]));
    const namespaces = await listNamespaces(sd);
    const all = (await Promise.all(namespaces.map((ns) => listServices(sd, ns)))).flat();
    expect(all.length).toBe(12);
    let optedIn = 0;
    for (const s of all) {
      let reads = 0;
      const read = await readService(sd, s.id, {}, DEFAULT_TAG_NAMES, () => {
        reads += 1;
      });
      expect(read).not.toBeNull();
      const d = byId.get(s.id);
      if (!d) {
        expect(read!.contents.instances).toBeUndefined();
        continue;
      }
      optedIn += 1;
      expect(read!.service).toEqual(d.service);
      expect(read!.namespace).toEqual(d.namespace);
      const sortById = <T extends { id: string }>(xs: T[]) => [...xs].sort((a, b) => a.id.localeCompare(b.id));
      expect(sortById(read!.contents.instances ?? [])).toEqual(sortById(d.instances));
      // GetService, GetNamespace, ListTagsForResource, then one ListInstances per page of 2.
      expect(reads).toBe(3 + Math.max(1, Math.ceil(d.instances.length / 2)));
    }
    expect(optedIn).toBeGreaterThan(0);
    expect(await readService(sd, "srv-doesnotexist0000", {}, DEFAULT_TAG_NAMES)).toBeNull();
  });
});
