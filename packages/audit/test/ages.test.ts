// The two ages: the document's (since written or confirmed by a full reconcile) and the
// last full reconcile's, from the injected now; unknown inputs give no value.
import { describe, expect, it } from "vitest";
import { computeAges } from "../src/ages";

const now = new Date("2026-11-25T12:00:00.000Z");
const ago = (s: number) => new Date(now.getTime() - s * 1000).toISOString();

describe("computeAges", () => {
  it("document age is since the later of generated-at and the last full reconcile", () => {
    expect(computeAges({ now, documentPresent: true, documentGeneratedAt: ago(3600), lastFullReconcileAt: ago(120) })).toEqual({
      documentAgeSeconds: 120,
      reconcileAgeSeconds: 120,
    });
    // A write by an event after the last full reconcile is newer still.
    expect(computeAges({ now, documentPresent: true, documentGeneratedAt: ago(30), lastFullReconcileAt: ago(900) })).toEqual({
      documentAgeSeconds: 30,
      reconcileAgeSeconds: 900,
    });
  });

  it("without a full reconcile recorded, the document age is its generated-at and the reconcile age is unknown", () => {
    expect(computeAges({ now, documentPresent: true, documentGeneratedAt: ago(45) })).toEqual({ documentAgeSeconds: 45 });
  });

  it("without a usable document there is no document age, whatever the state says", () => {
    expect(computeAges({ now, documentPresent: false, lastFullReconcileAt: ago(60) })).toEqual({ reconcileAgeSeconds: 60 });
    expect(computeAges({ now, documentPresent: false })).toEqual({});
  });

  it("a clock ahead of ours gives 0, an unparsable time counts as unknown", () => {
    expect(computeAges({ now, documentPresent: true, documentGeneratedAt: ago(-30), lastFullReconcileAt: "yesterday" })).toEqual({ documentAgeSeconds: 0 });
  });

  it("rounds to whole seconds", () => {
    const t = new Date(now.getTime() - 1499).toISOString();
    expect(computeAges({ now, documentPresent: true, documentGeneratedAt: t, lastFullReconcileAt: t })).toEqual({
      documentAgeSeconds: 1,
      reconcileAgeSeconds: 1,
    });
  });
});
