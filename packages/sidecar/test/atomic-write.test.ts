// Atomic publication: hidden temp name in the same folder, mode 0644, skip unchanged
// bytes, and no partial or missing file when a step fails.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AtomicWriteError, tempPathFor, writeFileAtomic, type AtomicFs } from "../src/index";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sidecar-aw-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Go's filepath.Match semantics for "*.json" (what Prometheus' file_sd glob uses). */
const matchesJsonGlob = (name: string) => /^[^/]*\.json$/.test(name);

describe("writeFileAtomic", () => {
  it("names the temporary file .NAME.tmp-XXXXXXXX in the same folder, outside the *.json glob", () => {
    const tmp = tempPathFor(join(dir, "ecs-services.json"), "0a1b2c3d");
    expect(tmp).toBe(join(dir, ".ecs-services.json.tmp-0a1b2c3d"));
    const name = tempPathFor("/x/ecs-services.json").split("/").pop()!;
    expect(name).toMatch(/^\.ecs-services\.json\.tmp-[0-9a-f]{8}$/);
    expect(matchesJsonGlob(name)).toBe(false);
  });

  it("writes the bytes with mode 0644 whatever the umask, and leaves no temporary file", async () => {
    const target = join(dir, "t.json");
    const old = process.umask(0o077);
    try {
      const r = await writeFileAtomic(target, '[{"targets":["a:1"]}]');
      expect(r.written).toBe(true);
    } finally {
      process.umask(old);
    }
    expect(readFileSync(target, "utf8")).toBe('[{"targets":["a:1"]}]');
    expect(statSync(target).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir)).toEqual(["t.json"]);
  });

  it("skips the write when the bytes are unchanged (same inode and mtime)", async () => {
    const target = join(dir, "t.json");
    await writeFileAtomic(target, "[]");
    const before = statSync(target);
    const r = await writeFileAtomic(target, Buffer.from("[]"));
    expect(r.written).toBe(false);
    const after = statSync(target);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it("replaces by rename: a reader holding the old file keeps the old bytes", async () => {
    const target = join(dir, "t.json");
    writeFileSync(target, "old");
    const h = await fsp.open(target, "r");
    await writeFileAtomic(target, "new");
    expect((await h.readFile()).toString()).toBe("old");
    await h.close();
    expect(readFileSync(target, "utf8")).toBe("new");
  });

  for (const failAt of ["write", "fsync", "rename"] as const) {
    it(`keeps the current file and removes the temporary one when ${failAt} fails`, async () => {
      const target = join(dir, "t.json");
      writeFileSync(target, "current");
      const before = statSync(target);
      const boom = () => Promise.reject(Object.assign(new Error(`injected ${failAt} failure`), { code: "EIO" }));
      const fs: AtomicFs = {
        ...fsp,
        open: (async (...args: Parameters<typeof fsp.open>) => {
          const h = await fsp.open(...args);
          if (failAt === "write")
            h.writeFile = (async (data: Buffer) => {
              await fsp.writeFile(String(args[0]), data.subarray(0, 3)); // a partial write, then an error
              return boom();
            }) as typeof h.writeFile;
          if (failAt === "fsync" && String(args[1]) === "wx") h.sync = boom;
          return h;
        }) as typeof fsp.open,
        rename: failAt === "rename" ? boom : fsp.rename,
      };
      const err = await writeFileAtomic(target, "replacement", { fs }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AtomicWriteError);
      expect((err as AtomicWriteError).step).toBe(failAt);
      expect(readFileSync(target, "utf8")).toBe("current");
      expect(statSync(target).mtimeMs).toBe(before.mtimeMs);
      expect(readdirSync(dir)).toEqual(["t.json"]);
    });
  }

  it("fails when the folder does not exist, creating nothing", async () => {
    const err = await writeFileAtomic(join(dir, "missing", "t.json"), "[]").catch((e: unknown) => e);
    expect((err as AtomicWriteError).step).toBe("open");
    expect(readdirSync(dir)).toEqual([]);
  });
});
