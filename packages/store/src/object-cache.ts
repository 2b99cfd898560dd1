// What a warm process last read or wrote of each object it keeps (the state, the
// document), keyed by bucket and key, with the ETag: the next read is a conditional GET
// (If-None-Match) that S3 answers 304 with no body while the object is unchanged, so a
// warm reconcile function reads no bytes and parses nothing again when it was the last
// writer. A changed object (another writer) has another ETag and is read in full; a
// deleted one answers 404 and is forgotten. The parsed value kept beside a body is frozen
// (core's deepFreeze): every reader shares it and none may change it (writers change a copy).
// A few objects per process, so a small bound and first-in eviction are enough.
import { deepFreeze } from "@scrape-reconciler/core";
import type { StoredObject } from "./s3-object";

export interface CachedObject extends StoredObject {
  /** A value parsed from `body` by a reader (kind names the parser), shared and frozen. */
  parsed?: { kind: string; value: unknown };
}

export class ObjectCache {
  private readonly entries = new Map<string, CachedObject>();

  constructor(private readonly maxEntries = 16) {}

  get(bucket: string, key: string): CachedObject | undefined {
    return this.entries.get(`${bucket}/${key}`);
  }

  set(bucket: string, key: string, entry: CachedObject): void {
    const id = `${bucket}/${key}`;
    this.entries.delete(id);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(id, entry);
  }

  delete(bucket: string, key: string): void {
    this.entries.delete(`${bucket}/${key}`);
  }

  /** A value kept for the life of the process under `name` (made by `make` on first use). */
  memo<T>(name: string, make: () => T): T {
    if (!this.memos.has(name)) this.memos.set(name, make());
    return this.memos.get(name) as T;
  }

  private readonly memos = new Map<string, unknown>();

  /** Forgets every copy (as an SDK client's destroy releases what it holds; the clients are destroyed together). */
  destroy(): void {
    this.entries.clear();
    this.memos.clear();
  }

  /** The value `parse` makes of the object's body, parsed once per ETag and frozen. */
  parsed<T>(bucket: string, key: string, obj: StoredObject, kind: string, parse: (body: string) => T): T {
    const entry = this.get(bucket, key);
    if (obj.etag && entry && entry.etag === obj.etag && entry.parsed?.kind === kind) return entry.parsed.value as T;
    const value = deepFreeze(parse(obj.body));
    if (entry && entry.etag === obj.etag) entry.parsed = { kind, value };
    return value;
  }

  /** Records a value this process wrote as the object's parsed value (it is frozen). */
  wrote(bucket: string, key: string, entry: StoredObject, kind: string, value: unknown): void {
    // No ETag (an S3-compatible store that sends none): nothing to make a conditional GET with.
    if (!entry.etag) {
      this.delete(bucket, key);
      return;
    }
    this.set(bucket, key, { ...entry, parsed: { kind, value: deepFreeze(value) } });
  }
}
