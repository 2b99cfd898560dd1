// The audit report as text for a terminal: the document and its ages, what discovery
// found, the affected services, the stale and missing targets (at most `limit` of each)
// and the errors, then a one-line verdict. Pure.
import type { AuditTarget } from "./compare";
import { hasFindings, type AuditReport } from "./report";

const age = (s: number | undefined) => (s === undefined ? "unknown" : `${s} s`);
const who = (t: { namespace?: string; service?: string }) => [t.namespace, t.service].filter(Boolean).join("/");

export function formatReport(r: AuditReport, where: string, limit = 20): string {
  const lines: string[] = [`audit of ${where} at ${r.auditedAt}`];
  const d = r.document;
  if (!d.present) lines.push("document: none published");
  else {
    lines.push(
      `document: generation ${d.generation}, ${d.targets} targets, generated ${d.generatedAt ?? "(unknown)"}${d.invalid ? `, INVALID: ${d.invalid}` : ""}`,
    );
  }
  lines.push(`document age (since written or confirmed): ${age(r.documentAgeSeconds)}`);
  lines.push(`last full reconcile: ${r.lastFullReconcileAt ?? "never recorded"} (age ${age(r.reconcileAgeSeconds)})`);
  lines.push(
    r.manifest
      ? `manifest: generation ${r.manifest.generation}${r.manifest.matchesDocument ? " (matches the document)" : " (does NOT match the document)"}`
      : "manifest: none or unreadable",
  );
  lines.push(`discovered: ${r.discovered.namespaces} namespaces, ${r.discovered.services} opted-in services, ${r.discovered.targets} targets`);
  if (!r.compared) lines.push("comparison: not possible (see the errors)");
  else {
    lines.push(`stale: ${r.stale.length}, missing: ${r.missing.length}, changed labels: ${r.changed}, left out after errors: ${r.excluded}`);
    for (const s of r.services) lines.push(`  ${who(s)}: ${s.stale} stale, ${s.missing} missing`);
    const list = (sign: string, items: AuditTarget[]) => {
      for (const t of items.slice(0, limit)) lines.push(`  ${sign} ${t.key}  ${who(t)}${t.taskid ? ` task ${t.taskid}` : ""}`);
      if (items.length > limit) lines.push(`  ... and ${items.length - limit} more`);
    };
    list("-", r.stale);
    list("+", r.missing);
  }
  if (r.errors.length > 0) {
    lines.push(`errors: ${r.errors.length}`);
    for (const e of r.errors) lines.push(`  ! ${e.operation}${who(e) ? ` ${who(e)}` : ` (${e.scope})`}: ${e.error}`);
  }
  lines.push(hasFindings(r) ? "result: FINDINGS (stale or missing targets, errors, or no usable document)" : "result: OK");
  return lines.join("\n");
}
