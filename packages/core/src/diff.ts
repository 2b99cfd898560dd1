// A readable diff of two documents: targets added, removed and changed (same target and
// path, other labels). Pure. Targets are keyed by address, scheme and metrics path.
import { byText } from "./order";
import type { TargetDocument, TargetGroup } from "./types";

export interface TargetRef {
  key: string;
  target: string;
  labels: Record<string, string>;
}

export interface LabelChange {
  name: string;
  from: string | undefined;
  to: string | undefined;
}

export interface DocumentDiff {
  added: TargetRef[];
  removed: TargetRef[];
  changed: { key: string; target: string; changes: LabelChange[] }[];
  before: number;
  after: number;
}

export function targetKey(target: string, labels: Record<string, string>): string {
  return `${labels.__scheme__ ?? "http"}://${target}${labels.__metrics_path__ ?? "/metrics"}`;
}

function index(doc: TargetDocument): Map<string, TargetRef> {
  const m = new Map<string, TargetRef>();
  for (const g of doc as TargetGroup[]) {
    for (const t of g.targets) {
      const key = targetKey(t, g.labels ?? {});
      m.set(key, { key, target: t, labels: g.labels ?? {} });
    }
  }
  return m;
}

export function diffDocuments(before: TargetDocument, after: TargetDocument): DocumentDiff {
  const a = index(before);
  const b = index(after);
  const added: TargetRef[] = [];
  const removed: TargetRef[] = [];
  const changed: DocumentDiff["changed"] = [];
  for (const [k, ref] of b) {
    const old = a.get(k);
    if (!old) {
      added.push(ref);
      continue;
    }
    const names = new Set([...Object.keys(old.labels), ...Object.keys(ref.labels)]);
    const changes: LabelChange[] = [];
    for (const name of [...names].sort()) {
      if (old.labels[name] !== ref.labels[name]) changes.push({ name, from: old.labels[name], to: ref.labels[name] });
    }
    if (changes.length > 0) changed.push({ key: k, target: ref.target, changes });
  }
  for (const [k, ref] of a) if (!b.has(k)) removed.push(ref);
  const byKey = byText((x: { key: string }) => x.key);
  return { added: added.sort(byKey), removed: removed.sort(byKey), changed: changed.sort(byKey), before: a.size, after: b.size };
}

function who(labels: Record<string, string>): string {
  return ["namespace", "service", "taskid"]
    .filter((n) => labels[n] !== undefined)
    .map((n) => `${n}=${labels[n]}`)
    .join(" ");
}

/** Human-readable lines, at most `limit` per section, then a one-line summary. */
export function formatDiff(d: DocumentDiff, limit = 50): string {
  const lines: string[] = [];
  const section = <T>(items: T[], fmt: (x: T) => string) => {
    for (const x of items.slice(0, limit)) lines.push(fmt(x));
    if (items.length > limit) lines.push(`  ... and ${items.length - limit} more`);
  };
  section(d.added, (r) => `+ ${r.key}  ${who(r.labels)}`);
  section(d.removed, (r) => `- ${r.key}  ${who(r.labels)}`);
  section(d.changed, (c) => `~ ${c.key}  ${c.changes.map((x) => `${x.name}: ${x.from ?? "(none)"} -> ${x.to ?? "(none)"}`).join(", ")}`);
  lines.push(`${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed (${d.before} -> ${d.after} targets)`);
  return lines.join("\n");
}
