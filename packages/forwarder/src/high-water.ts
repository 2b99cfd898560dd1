// High-water marks: per series, the timestamp of the newest sample Prometheus has taken
// (or refused for good). A sample is sent only when newer than its series' mark, so a
// sample is never sent twice (Prometheus 2.42 answers a re-sent older sample with 400
// "out of order", and AMP likewise).
//
// The marks live in one S3 JSON object, written conditionally: read with its ETag, write
// with If-Match (If-None-Match: * for the first); a lost race (412/409) re-reads, merges
// by max per series and retries, so two writers never move a mark backwards.
//
// Ordering, and why: marks move only after the remote write they cover has returned, and
// are persisted after every remote-write batch. A failed remote write leaves its marks
// where they were, so its samples are fetched and sent again next run (no gap; they were
// never stored). A failed mark write keeps the advanced marks in memory (`dirty`): the
// next run in the same process (a warm Lambda, the CLI loop) merges them with what it
// reads and sends nothing twice. Only a process that dies between an accepted remote
// write and its mark write re-sends that batch on restart; Prometheus refuses the older
// re-sent samples ("out of order"), the forwarder counts them as dropped and moves the
// mark past them, so nothing is duplicated and nothing is missing.
import type { S3Client } from "@aws-sdk/client-s3";
import { putConditional, readObject, retryOnConflict } from "@scrape-reconciler/store";

export interface MarkStorage {
  /** The stored document and its ETag; undefined when there is none yet. */
  read(): Promise<{ body: string; etag: string } | undefined>;
  /** Writes if the stored version is still `ifMatch` (undefined: must not exist); returns the new ETag; throws ConflictError otherwise. */
  write(body: string, ifMatch: string | undefined): Promise<string>;
}

export function s3MarkStorage(s3: S3Client, bucket: string, key: string): MarkStorage {
  return {
    read: async () => {
      const o = await readObject(s3, bucket, key);
      return o && { body: o.body, etag: o.etag };
    },
    write: (body, ifMatch) => putConditional(s3, bucket, key, body, { ifMatch, contentType: "application/json" }),
  };
}

export interface MarkDocument {
  version: 1;
  updatedAt: string;
  /** Series key -> epoch ms of the newest sample taken. */
  marks: Record<string, number>;
}

export class MarkDocumentError extends Error {
  override name = "MarkDocumentError";
}

/** Parses a stored document; throws MarkDocumentError (never resets marks silently: that would re-send everything). */
export function parseMarkDocument(body: string, where = "high-water marks"): Record<string, number> {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (err) {
    throw new MarkDocumentError(`${where}: not JSON (${(err as Error).message})`);
  }
  const marks = (doc as Partial<MarkDocument>)?.marks;
  if ((doc as Partial<MarkDocument>)?.version !== 1 || typeof marks !== "object" || marks === null || Array.isArray(marks)) {
    throw new MarkDocumentError(`${where}: expected {"version":1,"marks":{...}}`);
  }
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(marks)) {
    if (!Number.isSafeInteger(v)) throw new MarkDocumentError(`${where}: mark of ${k} is not an integer of milliseconds`);
    out[k] = v as number;
  }
  return out;
}

export function serializeMarks(marks: Record<string, number>, now: number): string {
  const sorted: Record<string, number> = {};
  for (const k of Object.keys(marks).sort()) sorted[k] = marks[k]!;
  const doc: MarkDocument = { version: 1, updatedAt: new Date(now).toISOString(), marks: sorted };
  return JSON.stringify(doc);
}

/** Per series the later of the two marks. */
export function mergeMarks(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) if (!(k in out) || v > out[k]!) out[k] = v;
  return out;
}

/** Marks older than `before` (series gone for good) are dropped to keep the object small. */
export function pruneMarks(marks: Record<string, number>, before: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(marks)) if (v >= before) out[k] = v;
  return out;
}

/** The samples newer than the mark (all of them when there is no mark). */
export function newerThanMark<S extends { timestamp: number }>(samples: readonly S[], mark: number | undefined): S[] {
  return mark === undefined ? [...samples] : samples.filter((s) => s.timestamp > mark);
}

export interface HighWaterOptions {
  /** Marks not advanced for this long are forgotten. Default 7 days. */
  retainMs?: number;
  /** Conditional-write attempts per persist (each conflict re-reads and merges). Default 5. */
  maxAttempts?: number;
  now?: () => number;
}

export interface PersistResult {
  written: boolean;
  /** Write attempts (conflicts + 1 when written). */
  attempts: number;
  conflicts: number;
}

/** The marks of one forwarder: loaded from and persisted to a MarkStorage, kept in memory between runs. */
export class HighWaterMarks {
  private marks: Record<string, number> = {};
  private etag: string | undefined;
  private dirty = false;
  private readonly retainMs: number;
  private readonly maxAttempts: number;
  private readonly now: () => number;
  /** Storage reads and writes made (for the run summary). */
  readonly stats = { reads: 0, writes: 0, conflicts: 0 };

  constructor(
    private readonly storage: MarkStorage,
    opts: HighWaterOptions = {},
  ) {
    this.retainMs = opts.retainMs ?? 7 * 24 * 3600_000;
    this.maxAttempts = opts.maxAttempts ?? 5;
    this.now = opts.now ?? Date.now;
  }

  /** Reads the stored marks and merges them into memory (memory may be ahead after a failed persist). */
  async load(): Promise<void> {
    this.stats.reads++;
    const stored = await this.storage.read();
    this.etag = stored?.etag;
    if (stored) this.marks = mergeMarks(this.marks, parseMarkDocument(stored.body));
  }

  get(key: string): number | undefined {
    return this.marks[key];
  }

  /** Moves a series' mark forward (never back). */
  advance(key: string, timestamp: number): void {
    const cur = this.marks[key];
    if (cur === undefined || timestamp > cur) {
      this.marks[key] = timestamp;
      this.dirty = true;
    }
  }

  /** True when memory holds marks the storage does not have yet. */
  get pending(): boolean {
    return this.dirty;
  }

  snapshot(): Record<string, number> {
    return { ...this.marks };
  }

  /** Writes the marks if they moved; on a conflict re-reads, merges by max and retries. */
  async persist(): Promise<PersistResult> {
    if (!this.dirty) return { written: false, attempts: 0, conflicts: 0 };
    let conflicts = 0;
    return retryOnConflict(
      async (attempt) => {
        if (attempt > 1) {
          // The last write lost a race: merge with what the winner stored.
          conflicts++;
          this.stats.conflicts++;
          await this.load();
        }
        const now = this.now();
        this.marks = pruneMarks(this.marks, now - this.retainMs);
        this.stats.writes++;
        this.etag = await this.storage.write(serializeMarks(this.marks, now), this.etag);
        this.dirty = false;
        return { written: true, attempts: attempt, conflicts };
      },
      { maxAttempts: this.maxAttempts },
    );
  }
}
