// Atomic publication of a file that another process (Prometheus' file_sd) watches:
// write a hidden temporary file in the same folder, fsync it, rename it over the target,
// fsync the folder. A reader sees the old bytes or the new bytes, never a mix, and a
// failure at any step leaves the current file as it was (the temporary file is removed).
// The temporary name `.NAME.tmp-XXXXXXXX` is hidden and does not end in `.json`, so it
// never matches the `*.json` glob Prometheus watches. With the validation before it
// (sync.ts), this is README guarantee G4.
import { randomBytes } from "node:crypto";
import * as fsp from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** The file-system calls used here; tests replace some of them to inject failures. */
export interface AtomicFs {
  open: typeof fsp.open;
  rename: typeof fsp.rename;
  unlink: typeof fsp.unlink;
  readFile: typeof fsp.readFile;
}

const realFs: AtomicFs = { open: fsp.open, rename: fsp.rename, unlink: fsp.unlink, readFile: fsp.readFile };

export type AtomicWriteStep = "open" | "write" | "chmod" | "fsync" | "close" | "rename" | "fsync_dir";

export class AtomicWriteError extends Error {
  override name = "AtomicWriteError";
  constructor(
    readonly step: AtomicWriteStep,
    readonly path: string,
    override readonly cause: unknown,
  ) {
    super(`atomic write of ${path} failed at ${step}: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

export interface AtomicWriteOptions {
  /** File mode of the published file; default 0644. */
  mode?: number;
  /** Skip the write when the current file already holds these bytes (default true). */
  skipUnchanged?: boolean;
  fs?: AtomicFs;
}

export interface AtomicWriteResult {
  written: boolean;
  tempPath?: string;
}

/** The temporary file name used for `target`: `.NAME.tmp-XXXXXXXX` in the same folder. */
export function tempPathFor(target: string, suffix = randomBytes(4).toString("hex")): string {
  return join(dirname(target), `.${basename(target)}.tmp-${suffix}`);
}

/** Writes `data` to `target` atomically. Throws AtomicWriteError; the old file then stays. */
export async function writeFileAtomic(target: string, data: Uint8Array | string, options: AtomicWriteOptions = {}): Promise<AtomicWriteResult> {
  const fs = options.fs ?? realFs;
  const mode = options.mode ?? 0o644;
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data.buffer, data.byteOffset, data.byteLength);

  if (options.skipUnchanged !== false) {
    try {
      const current = await fs.readFile(target);
      if (current.equals(bytes)) return { written: false };
    } catch {
      // missing or unreadable: write it
    }
  }

  const tmp = tempPathFor(target);
  let step: AtomicWriteStep = "open";
  let handle: fsp.FileHandle | undefined;
  let renamed = false;
  try {
    handle = await fs.open(tmp, "wx", mode);
    step = "write";
    await handle.writeFile(bytes);
    step = "chmod";
    await handle.chmod(mode); // the umask may have narrowed the mode given to open()
    step = "fsync";
    await handle.sync();
    step = "close";
    await handle.close();
    handle = undefined;
    step = "rename";
    await fs.rename(tmp, target);
    renamed = true;
    step = "fsync_dir";
    await fsyncDir(fs, dirname(target));
    return { written: true, tempPath: tmp };
  } catch (err) {
    if (handle) await handle.close().catch(() => {});
    if (!renamed) await fs.unlink(tmp).catch(() => {});
    throw new AtomicWriteError(step, target, err);
  }
}

async function fsyncDir(fs: AtomicFs, dir: string): Promise<void> {
  const h = await fs.open(dir, "r");
  try {
    await h.sync();
  } catch (err) {
    // Some file systems refuse fsync on a directory; the rename itself has happened.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "ENOTSUP" && code !== "EISDIR") throw err;
  } finally {
    await h.close().catch(() => {});
  }
}
