// SST (3.11 and later) refuses an sst.config.ts with top-level imports ("Your sst.config.ts
// has top level imports - this is not allowed"): everything it needs is imported
// dynamically inside app() and run(). A static import would pass every offline test
// (the harness loads the file as a plain module) and fail the real `sst deploy`.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

describe("sst.config.ts", () => {
  it("has no top-level import or require (only the type reference)", () => {
    const text = readFileSync(new URL("../../sst.config.ts", import.meta.url), "utf8");
    const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    expect(code.match(/^\s*import\s[^(]/gm) ?? []).toEqual([]);
    expect(code.match(/^\s*(const|let|var)\s.*=\s*require\(/gm) ?? []).toEqual([]);
    expect(text).toMatch(/await import\("\.\/infra\/config"\)/);
  });
});
