// The sync loop of one source: fetch -> validate -> write -> update state, every interval,
// with exponential backoff and full jitter after errors. Only a verified document is ever
// written or served: a fetch, validation, verification or write error leaves the current
// file and the served document as they are, and is logged and counted by reason.
// README guarantee G4, with atomic-write.ts. With several sources there is one Syncer per
// source (own timer and backoff), each writing its own file; union.ts combines them. An
// index source's shards also go to --shard-dir (shard-dir.ts), after the document is written.
import { readFile, stat } from "node:fs/promises";
import { DocumentValidationError, countTargets, parseDocument, type TargetDocument } from "@scrape-reconciler/core";
import { AtomicWriteError, writeFileAtomic, type AtomicFs } from "./atomic-write";
import type { Logger } from "./log";
import type { SidecarMetrics, SourceLabels } from "./metrics";
import type { ShardDir } from "./shard-dir";
import { SourceError, sha256Hex, type Source, type SourceState, type VerifiedShard } from "./sources";

/** The last verified document. */
export interface AppliedDocument {
  /** What is written and served: the source's bytes, or what `render` made of them. */
  bytes: Buffer;
  /** The document as parsed (after `render`'s labels, when there is one). */
  document: TargetDocument;
  /** Of the source's bytes (what the source compares against). */
  sha256: string;
  generation?: number;
  etag?: string;
  targets: number;
  groups: number;
  appliedAt: number;
  /** An index source's verified shards (what --shard-dir holds). */
  shards?: readonly VerifiedShard[];
}

export type SyncOutcome =
  | { result: "changed"; generation?: number; targets: number; written: boolean; fetchMs: number }
  | { result: "unchanged"; note?: string; fetchMs: number }
  | { result: "error"; reason: string; message: string; fetchMs: number };

export interface SyncerOptions {
  source: Source;
  /** The source's name (logs), with several sources. */
  name?: string;
  /** Labels of this source's series (`{source: NAME}` with several sources). */
  labels?: SourceLabels;
  /**
   * The document as written and served, when it is not the source's bytes (several sources:
   * each group labelled with its source). Also applied to an existing output at start.
   */
  render?: (document: TargetDocument) => { bytes: Buffer; document: TargetDocument };
  /** Awaited after every sync (the combined document is brought up to date there). */
  afterSync?: (outcome: SyncOutcome) => Promise<void>;
  output?: string;
  /** --shard-dir: one file per shard of an index source, written after `output`. */
  shardDir?: ShardDir;
  intervalMs: number;
  maxBackoffMs: number;
  metrics: SidecarMetrics;
  log: Logger;
  /** Abort a fetch that takes longer than this; default max(15 s, interval). */
  fetchTimeoutMs?: number;
  fs?: AtomicFs;
  random?: () => number;
  onSync?: (outcome: SyncOutcome) => void;
}

const MIN_RETRY_MS = 200;

/**
 * Full-jitter exponential backoff: a uniform delay in [0, min(cap, base * 2^(n-1))] after
 * the n-th consecutive error, with a small floor so a failing source is never hammered.
 */
export function backoffDelay(consecutiveErrors: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const n = Math.max(1, consecutiveErrors);
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(n - 1, 30));
  return Math.max(Math.min(MIN_RETRY_MS, ceiling), Math.floor(random() * ceiling));
}

interface FileId {
  ino: number;
  size: number;
  mtimeMs: number;
}

export class Syncer {
  applied: AppliedDocument | undefined;
  lastSuccessAt: number | undefined;
  consecutiveErrors = 0;
  lastError: { reason: string; message: string; at: number } | undefined;
  /** True when the output file held a valid document when the sidecar started. */
  outputValidAtStart = false;
  /** That document (as `render` makes it), kept for the combined document until a verified one arrives. */
  startDocument: TargetDocument | undefined;

  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SyncOutcome> | undefined;
  private stopped = false;
  private readonly abort = new AbortController();
  private writtenId: FileId | undefined;

  private readonly labels: SourceLabels;

  constructor(private readonly opts: SyncerOptions) {
    this.labels = opts.labels ?? {};
  }

  /** Looks at the existing output and --shard-dir (never touches them) so health can account for them. */
  async inspectOutput(): Promise<void> {
    const { output, log, shardDir } = this.opts;
    if (shardDir && (await shardDir.inspect())) this.outputValidAtStart = true;
    if (!output) return;
    try {
      const text = await readFile(output, "utf8");
      const doc = parseDocument(text);
      this.outputValidAtStart = true;
      this.startDocument = this.opts.render ? this.opts.render(doc).document : doc;
      log.info("existing output kept until a verified document arrives", { ...this.named(), output, targets: countTargets(doc) });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") log.info("no output file yet", { ...this.named(), output });
      else
        log.warn("existing output is not a valid document; kept until a verified document arrives", { ...this.named(), output, error: (err as Error).message });
    }
  }

  /** `{name}` for log lines, with several sources. */
  private named(): { name?: string } {
    return this.opts.name !== undefined ? { name: this.opts.name } : {};
  }

  get synced(): boolean {
    return this.applied !== undefined;
  }

  private previous(): SourceState {
    const a = this.applied;
    if (!a) return {};
    return {
      sha256: a.sha256,
      ...(a.etag !== undefined ? { etag: a.etag } : {}),
      ...(a.generation !== undefined ? { generation: a.generation } : {}),
    };
  }

  /** Runs one sync; concurrent calls are serialised. */
  syncOnce(): Promise<SyncOutcome> {
    const run = (this.running ?? Promise.resolve()).then(() => this.doSync());
    this.running = run.catch(() => undefined as never);
    return run;
  }

  private async doSync(): Promise<SyncOutcome> {
    const { source, metrics, log, output } = this.opts;
    const l = this.labels;
    const started = performance.now();
    const timeout = this.opts.fetchTimeoutMs ?? Math.max(15_000, this.opts.intervalMs);
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(timeout)]);
    let outcome: SyncOutcome;
    let fetchMs = 0;
    try {
      const res = await source.fetch(this.previous(), signal);
      fetchMs = performance.now() - started;
      metrics.fetchDuration.observe({ result: res.status, ...l }, fetchMs / 1000);
      if (res.status === "unchanged") {
        if (res.note === "stale_manifest") {
          metrics.staleManifests.inc(l);
          log.warn("ignored a manifest older than the applied generation", { ...this.named(), generation: this.applied?.generation });
        }
        // The same document under a new ETag: the next conditional GET uses it.
        if (res.etag !== undefined && this.applied) this.applied.etag = res.etag;
        await this.ensureOutput();
        await this.ensureShards();
        outcome = { result: "unchanged", ...(res.note ? { note: res.note } : {}), fetchMs };
      } else {
        const doc = res.document ?? parseDocument(res.body.toString("utf8"));
        const sha256 = res.sha256 ?? sha256Hex(res.body);
        const targets = countTargets(doc);
        const served = this.opts.render ? this.opts.render(doc) : { bytes: res.body, document: doc };
        let written = false;
        if (output) {
          written = (await writeFileAtomic(output, served.bytes, this.opts.fs ? { fs: this.opts.fs } : {})).written;
          await this.recordOutputId();
          if (written) metrics.fileWrites.inc(l);
        }
        if (this.opts.shardDir && res.shards) await this.opts.shardDir.apply(res.shards);
        const isNew = this.applied?.sha256 !== sha256;
        this.applied = {
          bytes: served.bytes,
          document: served.document,
          sha256,
          targets,
          groups: doc.length,
          appliedAt: Date.now(),
          ...(res.generation !== undefined ? { generation: res.generation } : {}),
          ...(res.etag !== undefined ? { etag: res.etag } : {}),
          ...(res.shards !== undefined ? { shards: res.shards } : {}),
        };
        metrics.targets.set(l, targets);
        metrics.groups.set(l, doc.length);
        metrics.generation.set(l, res.generation ?? 0);
        if (isNew) {
          metrics.lastChange.set(l, Date.now() / 1000);
          log.info("document applied", {
            ...this.named(),
            source: source.description,
            generation: res.generation,
            targets,
            groups: doc.length,
            bytes: res.body.length,
            sha256: sha256.slice(0, 16),
            written,
            fetchMs: Math.round(fetchMs),
            ...(res.fetched ? { shardsFetched: res.fetched.shards, shardBytes: res.fetched.bytes, shardsReused: res.fetched.reused } : {}),
          });
          outcome = { result: "changed", targets, written, fetchMs, ...(res.generation !== undefined ? { generation: res.generation } : {}) };
        } else {
          outcome = { result: "unchanged", note: "same_bytes", fetchMs };
        }
      }
      if (this.consecutiveErrors > 0) log.info("sync recovered", { ...this.named(), after: this.consecutiveErrors });
      this.consecutiveErrors = 0;
      this.lastSuccessAt = Date.now();
      metrics.lastSuccess.set(l, this.lastSuccessAt / 1000);
    } catch (err) {
      if (!fetchMs) {
        fetchMs = performance.now() - started;
        metrics.fetchDuration.observe({ result: "error", ...l }, fetchMs / 1000);
      }
      if (this.stopped && this.abort.signal.aborted) {
        return { result: "error", reason: "stopped", message: "stopped", fetchMs };
      }
      const reason = errorReason(err);
      const message = (err as Error)?.message ?? String(err);
      this.consecutiveErrors++;
      this.lastError = { reason, message, at: Date.now() };
      metrics.syncErrors.inc({ reason, ...l });
      log.warn("sync failed; current document kept", {
        ...this.named(),
        source: source.description,
        reason,
        error: message,
        consecutiveErrors: this.consecutiveErrors,
      });
      outcome = { result: "error", reason, message, fetchMs };
    }
    metrics.syncs.inc({ result: outcome.result, ...l });
    metrics.consecutiveErrors.set(l, this.consecutiveErrors);
    await this.opts.afterSync?.(outcome);
    this.opts.onSync?.(outcome);
    return outcome;
  }

  private async recordOutputId(): Promise<void> {
    if (!this.opts.output) return;
    try {
      const st = await stat(this.opts.output);
      this.writtenId = { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
    } catch {
      this.writtenId = undefined;
    }
  }

  /** Brings --shard-dir back to the applied shards (a file removed by something else; a failed write finished). */
  private async ensureShards(): Promise<void> {
    if (this.opts.shardDir && this.applied?.shards) await this.opts.shardDir.apply(this.applied.shards);
  }

  /** Restores the output if something else replaced or removed it since our last write. */
  private async ensureOutput(): Promise<void> {
    const { output, log, metrics } = this.opts;
    if (!output || !this.applied || !this.writtenId) return;
    let same = false;
    try {
      const st = await stat(output);
      same = st.ino === this.writtenId.ino && st.size === this.writtenId.size && st.mtimeMs === this.writtenId.mtimeMs;
    } catch {
      same = false;
    }
    if (same) return;
    const { written } = await writeFileAtomic(output, this.applied.bytes, this.opts.fs ? { fs: this.opts.fs } : {});
    await this.recordOutputId();
    if (written) {
      metrics.fileWrites.inc(this.labels);
      log.warn("output file was changed by something else; restored the verified document", { ...this.named(), output });
    }
  }

  /** Starts the loop: a sync now, then every interval (or after a backoff delay on errors). */
  start(): void {
    const tick = async () => {
      this.timer = undefined;
      if (this.stopped) return;
      const outcome = await this.syncOnce();
      if (this.stopped) return;
      const delay =
        outcome.result === "error"
          ? backoffDelay(this.consecutiveErrors, this.opts.intervalMs, this.opts.maxBackoffMs, this.opts.random)
          : this.opts.intervalMs;
      if (outcome.result === "error") this.opts.log.debug("retry scheduled", { ...this.named(), inMs: delay });
      this.timer = setTimeout(() => void tick(), delay);
    };
    void tick();
  }

  /** Stops the timer, aborts an in-flight fetch and waits for it to settle. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.running?.catch(() => {});
  }
}

export function errorReason(err: unknown): string {
  if (err instanceof DocumentValidationError) return err.reason;
  if (err instanceof SourceError) return err.reason;
  if (err instanceof AtomicWriteError) return "write_error";
  const e = err as { reason?: unknown } | null;
  if (e && typeof e.reason === "string" && /^[a-z0-9_]{1,40}$/.test(e.reason)) return e.reason;
  return "fetch_error";
}
