// Several sources (e.g. one per AWS account) in one sidecar: each source has its own
// Syncer (own polling, backoff, file DIR/NAME.json); this module keeps their union, the
// combined document served on /targets and written to --output, and says how healthy the
// set is.
//  - Labels: with several sources every target group carries `__meta_sidecar_source="NAME"`
//    (in its own file, in the union and on /targets), so targets of different sources never
//    merge and Prometheus can relabel it. With one source nothing is added: --output and
//    /targets are the source's bytes.
//  - A failing source keeps its last verified document in the union; before its first one it
//    contributes what was there at start: its DIR/NAME.json, else its groups (by the label) in
//    the existing combined file. So a restart with one account unreachable drops nothing.
//  - The union is deterministic (core's serializeDocument: groups and labels sorted, one
//    group per line), whatever the order of the sources. It is written atomically, and only
//    once a source has a verified document; a write error keeps the current file.
import { readFile } from "node:fs/promises";
import { countTargets, normalizeDocument, parseDocument, serializeDocument, sha256Hex, type TargetDocument } from "@scrape-reconciler/core";
import { writeFileAtomic, type AtomicFs } from "./atomic-write";
import type { Logger } from "./log";
import type { SidecarMetrics } from "./metrics";
import type { Syncer } from "./sync";

/** The label naming a target group's source when there are several sources. */
export const SOURCE_LABEL = "__meta_sidecar_source";

/** Every group of `document` labelled with the source, and its deterministic bytes. */
export function labelWithSource(name: string, document: TargetDocument): { bytes: Buffer; document: TargetDocument } {
  const labelled = normalizeDocument(document.map((g) => ({ targets: g.targets, labels: { ...g.labels, [SOURCE_LABEL]: name } })));
  return { bytes: Buffer.from(serializeDocument(labelled)), document: labelled };
}

export interface UnionMember {
  name: string;
  syncer: Syncer;
  /** This source's groups found in the combined file at start (used until it has a document of its own). */
  carried?: TargetDocument;
}

export interface CombinedDocument {
  bytes: Buffer;
  sha256: string;
  targets: number;
  groups: number;
}

export interface UnionOptions {
  members: UnionMember[];
  /** The combined file, if any. */
  output?: string;
  /** Several sources: groups are labelled and the union is serialized; otherwise the one source's bytes. */
  labelled: boolean;
  metrics: SidecarMetrics;
  log: Logger;
  fs?: AtomicFs;
}

/** What a member contributes: its verified document, else what it had at start. */
function documentOf(m: UnionMember): TargetDocument | undefined {
  return m.syncer.applied?.document ?? m.syncer.startDocument ?? m.carried;
}

export class Union {
  current: CombinedDocument | undefined;
  /** True when the combined file held a valid document at start. */
  outputValidAtStart = false;
  private queue: Promise<void> = Promise.resolve();
  private lastInputs: (TargetDocument | undefined)[] = [];

  constructor(private readonly opts: UnionOptions) {}

  get members(): readonly UnionMember[] {
    return this.opts.members;
  }

  /** Reads the existing combined file (never changes it): each source's groups in it are kept until the source has a document. */
  async inspectOutput(): Promise<void> {
    const { output, log, labelled, members } = this.opts;
    if (!output) return;
    let doc: TargetDocument;
    try {
      doc = parseDocument(await readFile(output, "utf8"));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") log.info("no combined output file yet", { output });
      else log.warn("existing combined output is not a valid document; kept until a verified document arrives", { output, error: (err as Error).message });
      return;
    }
    this.outputValidAtStart = true;
    if (!labelled) return;
    for (const m of members) {
      const groups = doc.filter((g) => g.labels?.[SOURCE_LABEL] === m.name);
      if (groups.length > 0 && !m.syncer.startDocument) m.carried = groups;
    }
    log.info("existing combined output kept until a verified document arrives", { output, targets: countTargets(doc) });
  }

  /** Whether a member has a document to contribute (verified, or found at start). */
  hasDocument(m: UnionMember): boolean {
    return documentOf(m) !== undefined;
  }

  /** Brings the union and the combined file up to date; serialized, never throws. */
  refresh(): Promise<void> {
    this.queue = this.queue
      .then(() => this.update())
      .catch((err: unknown) => this.opts.log.error("combined document update failed", { error: (err as Error).message }));
    return this.queue;
  }

  private compute(): CombinedDocument | undefined {
    const { members, labelled } = this.opts;
    if (!members.some((m) => m.syncer.applied)) return undefined;
    const inputs = members.map(documentOf);
    if (this.current && inputs.every((d, i) => d === this.lastInputs[i])) return this.current;
    this.lastInputs = inputs;
    if (!labelled) {
      const a = members[0]!.syncer.applied!;
      return { bytes: a.bytes, sha256: sha256Hex(a.bytes), targets: a.targets, groups: a.groups };
    }
    const doc = normalizeDocument(inputs.flatMap((d) => d ?? []));
    const bytes = Buffer.from(serializeDocument(doc));
    return { bytes, sha256: sha256Hex(bytes), targets: countTargets(doc), groups: doc.length };
  }

  private async update(): Promise<void> {
    const { output, metrics, log, fs } = this.opts;
    const next = this.compute();
    if (!next) return;
    const changed = next.sha256 !== this.current?.sha256;
    this.current = next;
    if (changed) log.debug("combined document updated", { targets: next.targets, groups: next.groups });
    if (!output) return;
    try {
      const { written } = await writeFileAtomic(output, next.bytes, fs ? { fs } : {});
      if (!written) return;
      metrics.fileWrites.inc();
      if (changed) log.info("combined document written", { output, targets: next.targets, groups: next.groups, bytes: next.bytes.length });
      else log.warn("combined output was changed by something else; restored the verified document", { output });
    } catch (err) {
      metrics.syncErrors.inc({ reason: "write_error" });
      log.warn("combined output not written; current file kept", { output, error: (err as Error).message });
    }
  }
}

export interface HealthView {
  healthy: boolean;
  body: Record<string, unknown>;
}

/**
 * Health of several sources: 200 while every source has a document (verified, or a valid
 * file found at start); a source whose last sync failed is `stale` (status `degraded`,
 * still 200: its last document is kept). 503 while some source has none yet.
 */
export function unionHealth(union: Union): HealthView {
  const waiting: string[] = [];
  const stale: string[] = [];
  const sources: Record<string, unknown> = {};
  for (const m of union.members) {
    const s = m.syncer;
    const has = union.hasDocument(m);
    if (!has) waiting.push(m.name);
    else if (s.consecutiveErrors > 0) stale.push(m.name);
    sources[m.name] = {
      status: !has ? "waiting_for_first_document" : s.consecutiveErrors > 0 ? "stale" : "ok",
      synced: s.synced,
      documentFrom: s.applied ? "source" : s.startDocument ? "file" : m.carried ? "combined_file" : null,
      generation: s.applied?.generation ?? null,
      targets: s.applied?.targets ?? null,
      lastSuccess: s.lastSuccessAt ? new Date(s.lastSuccessAt).toISOString() : null,
      consecutiveErrors: s.consecutiveErrors,
      lastError: s.lastError ? { reason: s.lastError.reason, at: new Date(s.lastError.at).toISOString() } : null,
    };
  }
  const healthy = waiting.length === 0;
  return {
    healthy,
    body: {
      status: !healthy ? "waiting_for_first_document" : stale.length > 0 ? "degraded" : "ok",
      waiting,
      stale,
      targets: union.current?.targets ?? null,
      sources,
    },
  };
}
