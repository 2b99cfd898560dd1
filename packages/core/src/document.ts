// From discovery facts to the file_sd document: one target group per target, sorted,
// with deterministic bytes and their sha256. Pure: the previous document is passed in (to
// keep the targets of services whose discovery failed: README guarantee G1), nothing is
// read.
import { createHash } from "node:crypto";
import { isEcsInstance, resolveAddress } from "./address";
import { failedParts } from "./failed";
import { buildLabels, SERVICE_ID_LABEL } from "./labels";
import { compareText } from "./order";
import { DEFAULT_TAG_NAMES, parseEndpoints, type TagNames } from "./tags";
import type { DiscoveredService, Discovery, SkippedEndpoint, TargetDocument, TargetGroup } from "./types";

export interface BuildOptions {
  tagNames?: TagNames;
}

export interface BuildResult {
  document: TargetDocument;
  /** Endpoints excluded by a bad tag or an unresolvable port. */
  skipped: SkippedEndpoint[];
  /** Groups copied from the previous document because their service or namespace failed. */
  carriedOver: number;
  /** Opted-in services that produced (or kept) targets. */
  services: number;
  /** Instances left out because their ECS task is not RUNNING (or no longer exists). */
  notRunning: number;
  /** Built from a ShardBuilder's shards (buildShardedPublication): `document` is joined on first use. */
  fromShards?: boolean;
}

/** The task state in which a target is published; every other state means "not scraped". */
export const SCRAPED_TASK_STATUS = "RUNNING";

/**
 * A task is scraped while it is RUNNING and not being stopped: the first sign of stopping
 * (desiredStatus STOPPED, or lastStatus past RUNNING) removes its targets, so Prometheus
 * stops scraping a dying task instead of recording it as down.
 */
export function isScraped(task: { lastStatus: string; desiredStatus?: string } | undefined): boolean {
  return task !== undefined && task.lastStatus === SCRAPED_TASK_STATUS && task.desiredStatus !== "STOPPED";
}

export function groupSortKey(g: TargetGroup): string {
  const l = g.labels;
  return [
    l.__meta_cloudmap_namespace_name ?? l.namespace ?? "",
    l.__meta_cloudmap_service_name ?? l.service ?? "",
    g.targets.join(","),
    l.__metrics_path__ ?? "",
    l.__scheme__ ?? "",
  ].join("\u0000");
}

function sortedLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels).sort()) out[k] = labels[k] as string;
  return out;
}

/**
 * Each normalized document's serialized groups (one JSON line each), so serializing a
 * document just normalized does not sort and stringify it again. Documents are never
 * changed in place once built (the array is frozen); a WeakMap lets them be collected.
 */
const LINES = new WeakMap<TargetDocument, readonly string[]>();

/** Sorts groups and labels and drops exact duplicates, so equal states give equal bytes. */
export function normalizeDocument(doc: TargetDocument): TargetDocument {
  // Each group's sort key and JSON computed once (not once per comparison).
  const rows = doc.map((g) => {
    const group = { labels: sortedLabels(g.labels ?? {}), targets: [...g.targets].sort() };
    return { group, key: groupSortKey(group), json: JSON.stringify(group) };
  });
  rows.sort((a, b) => compareText(a.key, b.key) || compareText(a.json, b.json));
  const out: TargetGroup[] = [];
  const lines: string[] = [];
  let last: string | undefined;
  for (const r of rows) {
    // Sorted by (key, json): exact duplicates are neighbours.
    if (r.json === last) continue;
    last = r.json;
    out.push(r.group);
    lines.push(r.json);
  }
  Object.freeze(out);
  LINES.set(out, lines);
  return out;
}

/**
 * The document split by `keyOf` into documents of their own, each already normalized (a
 * subset of a sorted, deduplicated list is one) and serialized from the lines
 * normalizeDocument computed: no group is sorted or stringified again.
 */
export function partitionDocument(doc: TargetDocument, keyOf: (g: TargetGroup) => string): Map<string, TargetDocument> {
  const normalized = LINES.has(doc) ? doc : normalizeDocument(doc);
  const lines = LINES.get(normalized)!;
  const parts = new Map<string, { groups: TargetGroup[]; lines: string[] }>();
  normalized.forEach((g, i) => {
    const k = keyOf(g);
    let p = parts.get(k);
    if (!p) {
      p = { groups: [], lines: [] };
      parts.set(k, p);
    }
    p.groups.push(g);
    p.lines.push(lines[i]!);
  });
  const out = new Map<string, TargetDocument>();
  for (const [k, p] of parts) {
    Object.freeze(p.groups);
    LINES.set(p.groups, p.lines);
    out.set(k, p.groups);
  }
  return out;
}

/** Deterministic bytes: one group per line, labels sorted, trailing newline. */
export function serializeDocument(doc: TargetDocument): string {
  const lines = LINES.get(doc) ?? LINES.get(normalizeDocument(doc))!;
  if (lines.length === 0) return "[]\n";
  return `[\n${lines.join(",\n")}\n]\n`;
}

/** Hex sha256 of a text (as UTF-8) or of raw bytes: the one digest of documents and manifests. */
export function sha256Hex(data: string | Uint8Array): string {
  return typeof data === "string" ? createHash("sha256").update(data, "utf8").digest("hex") : createHash("sha256").update(data).digest("hex");
}

/** What one Cloud Map service of a discovery gives: its groups (not normalized), and what it left out. */
export interface ServiceTargets {
  groups: TargetGroup[];
  skipped: SkippedEndpoint[];
  notRunning: number;
  /** Opted in with at least one endpoint (counts as a service of the document). */
  counted: boolean;
}

/** The target groups of one discovered service (buildDocument's unit; core's service-shards.ts builds per service). */
export function buildServiceTargets(d: DiscoveredService, tagNames: TagNames): ServiceTargets {
  const groups: TargetGroup[] = [];
  const skipped: SkippedEndpoint[] = [];
  let notRunning = 0;
  const { endpoints, problems, optedIn } = parseEndpoints(d.service.tags, tagNames);
  if (!optedIn) return { groups, skipped, notRunning, counted: false };
  const base = { serviceId: d.service.id, serviceName: d.service.name, namespaceName: d.namespace.name };
  for (const p of problems) skipped.push({ ...base, tag: p.tag, value: p.value, reason: p.reason });
  for (const instance of d.instances) {
    const task = d.tasks[instance.id];
    if (isEcsInstance(instance) && !isScraped(task)) {
      notRunning += 1;
      continue;
    }
    for (const endpoint of endpoints) {
      const address = resolveAddress(instance, task, endpoint);
      if (!address.ok) {
        skipped.push({ ...base, tag: endpoint.role === "app" ? tagNames.port : tagNames.infraPort, value: String(endpoint.port), reason: address.reason });
        continue;
      }
      const labels = buildLabels({ namespace: d.namespace, service: d.service, instance, task, endpoint, ip: address.ip, port: address.port });
      groups.push({ targets: [labels.instance as string], labels });
    }
  }
  return { groups, skipped, notRunning, counted: endpoints.length > 0 };
}

export function buildDocument(discovery: Discovery, previous: TargetDocument | undefined, options: BuildOptions = {}): BuildResult {
  const tagNames = options.tagNames ?? DEFAULT_TAG_NAMES;
  const groups: TargetGroup[] = [];
  const skipped: SkippedEndpoint[] = [];
  let notRunning = 0;
  let services = 0;
  for (const d of discovery.services) {
    const built = buildServiceTargets(d, tagNames);
    for (const g of built.groups) groups.push(g);
    for (const k of built.skipped) skipped.push(k);
    notRunning += built.notRunning;
    if (built.counted) services += 1;
  }
  let carriedOver = 0;
  if (previous && discovery.failed.length > 0) {
    const failed = failedParts(discovery.failed);
    const kept = previous.filter((g) => failed.covers(g));
    carriedOver = kept.length;
    groups.push(...kept);
    services += new Set(kept.map((g) => g.labels[SERVICE_ID_LABEL])).size;
  }
  return { document: normalizeDocument(groups), skipped, carriedOver, services, notRunning };
}
