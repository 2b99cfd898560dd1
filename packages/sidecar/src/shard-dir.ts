// --shard-dir DIR: one file_sd file per shard of an index source (or of an ssm: source while
// its manifest names an index; while it reads the single document the files stay as they
// are), `DIR/<id>.json`, for a Prometheus `file_sd_configs` glob `DIR/*.json`. Applied by
// the Syncer after a whole index has been verified (every shard's sha256 and the joined
// document's): each shard whose bytes
// changed is written atomically (atomic-write.ts; the same bytes are not rewritten), then the
// files of shards no longer listed are removed. Every sync also restores a listed file that
// something removed. Only `*.json` files whose name is a shard id (core's isShardId) are ever
// removed; the folder is the sidecar's (config.ts keeps --output and --output-dir out of it).
// Each file is atomic, the set is not: between two renames Prometheus may read one shard of
// the new index beside one of the old. Shards are disjoint (one Cloud Map service each), so
// no target of an unchanged service is ever doubled or missing.
import * as fsp from "node:fs/promises";
import { join } from "node:path";
import { isShardId, parseDocument } from "@scrape-reconciler/core";
import { writeFileAtomic, type AtomicFs } from "./atomic-write";
import type { Logger } from "./log";
import type { SidecarMetrics, SourceLabels } from "./metrics";
import type { VerifiedShard } from "./source-base";

export interface ShardDirOptions {
  dir: string;
  metrics: SidecarMetrics;
  labels?: SourceLabels;
  log: Logger;
  fs?: AtomicFs;
}

/** The folder could not be listed or a file removed (counted as `write_error`). */
export class ShardDirError extends Error {
  override name = "ShardDirError";
  readonly reason = "write_error";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** `DIR/<id>.json` for a shard id; the id of such a file name, else undefined. */
const fileOf = (id: string) => `${id}.json`;
function idOf(name: string): string | undefined {
  if (!name.endsWith(".json")) return undefined;
  const id = name.slice(0, -".json".length);
  return isShardId(id) ? id : undefined;
}

export class ShardDir {
  /** What each shard file holds since this process wrote (or found) it: id -> sha256. */
  private readonly written = new Map<string, string>();

  constructor(private readonly opts: ShardDirOptions) {}

  get dir(): string {
    return this.opts.dir;
  }

  /** The shard ids that have a file in the folder now. */
  private async present(): Promise<Set<string>> {
    try {
      const names = await fsp.readdir(this.opts.dir);
      return new Set(names.map(idOf).filter((id): id is string => id !== undefined));
    } catch (err) {
      throw new ShardDirError(`list --shard-dir ${this.opts.dir}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Whether the folder holds at least one valid shard file (at start: Prometheus has targets to read). Never changes anything. */
  async inspect(): Promise<boolean> {
    let ids: Set<string>;
    try {
      ids = await this.present();
    } catch {
      return false;
    }
    for (const id of ids) {
      try {
        parseDocument(await fsp.readFile(join(this.opts.dir, fileOf(id)), "utf8"));
        this.opts.log.info("existing shard files kept until a verified index arrives", { shardDir: this.opts.dir, files: ids.size });
        return true;
      } catch {
        // not a valid document: look at the next one
      }
    }
    return false;
  }

  /**
   * Brings the folder to `shards` (one verified index): writes the files whose shard changed
   * or is missing, then removes the shard files not listed. Throws on the first failure (an
   * AtomicWriteError or a ShardDirError); what was written stays, the next sync finishes it.
   */
  async apply(shards: readonly VerifiedShard[]): Promise<{ written: number; removed: number }> {
    const { dir, log, metrics } = this.opts;
    const labels = this.opts.labels ?? {};
    const present = await this.present();
    const listed = new Set(shards.map((s) => s.id));
    let written = 0;
    for (const s of shards) {
      if (this.written.get(s.id) === s.sha256 && present.has(s.id)) continue;
      // The same bytes already there (e.g. after a restart) are not rewritten.
      const r = await writeFileAtomic(join(dir, fileOf(s.id)), s.bytes, this.opts.fs ? { fs: this.opts.fs } : {});
      this.written.set(s.id, s.sha256);
      if (r.written) {
        written++;
        metrics.fileWrites.inc(labels);
      }
    }
    let removed = 0;
    for (const id of present) {
      if (listed.has(id)) continue;
      try {
        await (this.opts.fs ?? fsp).unlink(join(dir, fileOf(id)));
        removed++;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT")
          throw new ShardDirError(`remove ${join(dir, fileOf(id))}: ${(err as Error).message}`, { cause: err });
      }
    }
    for (const id of this.written.keys()) if (!listed.has(id)) this.written.delete(id);
    if (written > 0 || removed > 0) log.info("shard files updated", { shardDir: dir, written, removed, shards: shards.length });
    return { written, removed };
  }
}
