// The audit's two ages, pure. Document age: how long since the document was last written
// or confirmed unchanged by a full reconcile, now - max(generated-at, lastFullReconcileAt).
// Reconcile age: how long since the last successful full reconcile, now -
// lastFullReconcileAt (the reconciler records it at least every 15 minutes, even when
// nothing changed). Undefined when the input is unknown: the alarms treat a missing
// value as breaching. Never negative (a clock ahead of ours reads as 0).

export interface AgeInputs {
  now: Date;
  /** The document's generated-at metadata; undefined when there is no usable document. */
  documentGeneratedAt?: string;
  /** The state's lastFullReconcileAt; undefined when unknown. */
  lastFullReconcileAt?: string;
  /** False when there is no usable document (absent, invalid or unreadable). */
  documentPresent: boolean;
}

export interface Ages {
  documentAgeSeconds?: number;
  reconcileAgeSeconds?: number;
}

function parseTime(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : undefined;
}

const secondsSince = (now: Date, t: number) => Math.max(0, Math.round((now.getTime() - t) / 1000));

export function computeAges(i: AgeInputs): Ages {
  const generated = parseTime(i.documentGeneratedAt);
  const reconciled = parseTime(i.lastFullReconcileAt);
  const confirmed = [generated, reconciled].filter((t): t is number => t !== undefined);
  return {
    ...(i.documentPresent && confirmed.length > 0 ? { documentAgeSeconds: secondsSince(i.now, Math.max(...confirmed)) } : {}),
    ...(reconciled !== undefined ? { reconcileAgeSeconds: secondsSince(i.now, reconciled) } : {}),
  };
}
