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

/**
 * Writes `data` to `target` atomically. Throws AtomicWriteError naming the step that failed.
 * Together with the validation before it (sync.ts), this is README guarantee G4.
 *
 * The steps, each with the failure it prevents (marked `// (n)` in the code):
 *
 *  1. Unless `skipUnchanged` is false, read the current file: the same bytes write nothing
 *     (no rename, so Prometheus sees no change). A missing or unreadable file is written.
 *  2. Create the temporary file `.NAME.tmp-XXXXXXXX` (random suffix) in the target's folder,
 *     exclusively (`wx`: an existing file of that name is never reused or followed). The
 *     same folder keeps the rename of step 7 on one file system, hence atomic; the hidden
 *     name without `.json` never matches the `*.json` glob Prometheus watches.
 *  3. Write all the bytes to it.
 *  4. chmod it to `mode` (default 0644): the umask may have narrowed the mode given to
 *     open(), and Prometheus, often another user, must be able to read the file.
 *  5. fsync it: the data is on disk before the rename makes it the file, so a crash
 *     cannot leave an empty or partial file under the target's name.
 *  6. Close it.
 *  7. Rename it over the target: a reader sees the old bytes or the new bytes, never a mix,
 *     and never a missing file.
 *  8. fsync the folder, so the rename itself survives a crash. File systems that refuse
 *     fsync on a directory (EINVAL, ENOTSUP, EISDIR) are tolerated.
 *  9. On an error in steps 2-8: close the handle; before the rename, remove the temporary
 *     file, so the target stays as it was and no temporary file is left behind. After the
 *     rename (step 8 failed) the new file is in place but the error is still thrown.
 */
export async function writeFileAtomic(target: string, data: Uint8Array | string, options: AtomicWriteOptions = {}): Promise<AtomicWriteResult> {
  const fs = options.fs ?? realFs;
  const mode = options.mode ?? 0o644;
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data.buffer, data.byteOffset, data.byteLength);

  // (1)
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
    handle = await fs.open(tmp, "wx", mode); // (2)
    step = "write";
    await handle.writeFile(bytes); // (3)
    step = "chmod";
    await handle.chmod(mode); // (4) the umask may have narrowed the mode given to open()
    step = "fsync";
    await handle.sync(); // (5)
    step = "close";
    await handle.close(); // (6)
    handle = undefined;
    step = "rename";
    await fs.rename(tmp, target); // (7)
    renamed = true;
    step = "fsync_dir";
    await fsyncDir(fs, dirname(target)); // (8)
    return { written: true, tempPath: tmp };
  } catch (err) {
    // (9)
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
