// The three sources against fakes: S3 conditional GETs, the SSM manifest rules
// (generation, sha256, stale manifests, the `index` field and when it is followed) and the
// local file. Following the index on the simulator: ssm-index.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SourceError, classifyAwsError, fileSource, followedIndex, parseManifest, s3Source, ssmSource } from "../src/sources";
import { fakeS3, fakeSsm, manifest, sha256 } from "./fakes";

const DOC1 = '[{"labels":{"job":"a"},"targets":["10.0.0.1:9100"]}]';
const DOC2 = '[{"labels":{"job":"a"},"targets":["10.0.0.2:9100"]}]';
const KEY = "targets/ecs-services.json";

describe("s3 source", () => {
  it("GETs once, then sends If-None-Match with the applied ETag and reads 304 as unchanged", async () => {
    const s3 = fakeS3();
    const etag = s3.put("bkt", KEY, DOC1, { generation: "7" });
    const src = s3Source(s3, "bkt", KEY);
    const first = await src.fetch({});
    expect(first).toMatchObject({ status: "changed", etag, generation: 7, sha256: sha256(DOC1) });
    expect(first.status === "changed" && first.body.toString()).toBe(DOC1);
    expect(await src.fetch({ etag })).toEqual({ status: "unchanged", note: "not_modified" });
    expect(s3.calls.map((c) => c.status)).toEqual([200, 304]);
    expect(s3.calls[1]!.ifNoneMatch).toBe(etag);
    s3.put("bkt", KEY, DOC2);
    const third = await src.fetch({ etag });
    expect(third.status === "changed" && third.body.toString()).toBe(DOC2);
  });

  it("maps SDK errors to bounded reasons", async () => {
    const s3 = fakeS3();
    const src = s3Source(s3, "bkt", KEY);
    await expect(src.fetch({})).rejects.toMatchObject({ name: "SourceError", reason: "not_found" });
    s3.nextError = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    await expect(src.fetch({})).rejects.toMatchObject({ reason: "unreachable" });
    s3.nextError = Object.assign(new Error("Access Denied"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
    await expect(src.fetch({})).rejects.toMatchObject({ reason: "access_denied" });
    s3.nextError = Object.assign(new Error("Please reduce your request rate."), { name: "SlowDown", $metadata: { httpStatusCode: 503 } });
    await expect(src.fetch({})).rejects.toMatchObject({ reason: "throttled" });
    expect(classifyAwsError(Object.assign(new Error("aborted"), { name: "AbortError" }), "x").reason).toBe("timeout");
    expect(classifyAwsError(new Error("weird"), "x").reason).toBe("fetch_error");
  });
});

describe("ssm source", () => {
  const setup = () => {
    const s3 = fakeS3();
    const ssm = fakeSsm();
    return { s3, ssm, src: ssmSource(ssm, s3, "/app/targets/manifest") };
  };

  it("fetches the document only when the generation changes, verifying its sha256", async () => {
    const { s3, ssm, src } = setup();
    s3.put("bkt", KEY, DOC1);
    ssm.set("/app/targets/manifest", manifest(3, DOC1));
    const r = await src.fetch({});
    expect(r).toMatchObject({ status: "changed", generation: 3, sha256: sha256(DOC1) });
    expect(await src.fetch({ generation: 3, sha256: sha256(DOC1) })).toEqual({ status: "unchanged", note: "same_generation" });
    expect(s3.calls).toHaveLength(1);
    s3.put("bkt", KEY, DOC2);
    ssm.set("/app/targets/manifest", manifest(4, DOC2));
    const r2 = await src.fetch({ generation: 3, sha256: sha256(DOC1) });
    expect(r2).toMatchObject({ status: "changed", generation: 4 });
    expect(s3.calls).toHaveLength(2);
  });

  it("ignores a manifest whose generation went back", async () => {
    const { s3, ssm, src } = setup();
    s3.put("bkt", KEY, DOC1);
    ssm.set("/app/targets/manifest", manifest(2, DOC1));
    expect(await src.fetch({ generation: 5, sha256: sha256(DOC2) })).toEqual({ status: "unchanged", note: "stale_manifest" });
    expect(s3.calls).toHaveLength(0);
  });

  it("rejects a document whose sha256 does not match the manifest", async () => {
    const { s3, ssm, src } = setup();
    s3.put("bkt", KEY, DOC2);
    ssm.set("/app/targets/manifest", manifest(9, DOC1));
    await expect(src.fetch({ generation: 8 })).rejects.toMatchObject({ reason: "sha256_mismatch" });
  });

  it("rejects a bad or missing manifest", async () => {
    const { ssm, src } = setup();
    await expect(src.fetch({})).rejects.toMatchObject({ reason: "not_found" });
    ssm.set("/app/targets/manifest", "{not json");
    await expect(src.fetch({})).rejects.toMatchObject({ reason: "bad_manifest" });
    ssm.set("/app/targets/manifest", manifest(1, DOC1, { sha256: "abc" }));
    await expect(src.fetch({})).rejects.toMatchObject({ reason: "bad_manifest" });
    ssm.set("/app/targets/manifest", manifest(-1, DOC1));
    await expect(src.fetch({})).rejects.toMatchObject({ reason: "bad_manifest" });
    ssm.set("/app/targets/manifest", manifest(1, DOC1, { key: "" }));
    await expect(src.fetch({})).rejects.toMatchObject({ reason: "bad_manifest" });
    expect(() => parseManifest("[]")).toThrow(SourceError);
  });

  it("checks the manifest's index field, naming the field in one line", () => {
    const index = { key: "targets/ecs-services.index.json", generation: 4, sha256: sha256(DOC2), etag: '"e"' };
    expect(parseManifest(manifest(3, DOC1, { index })).index).toEqual(index);
    expect(parseManifest(manifest(3, DOC1)).index).toBeUndefined();
    const bad = (over: unknown) => {
      try {
        parseManifest(manifest(3, DOC1, { index: over }));
      } catch (err) {
        expect(err).toMatchObject({ name: "SourceError", reason: "bad_manifest" });
        return (err as Error).message;
      }
      return "accepted";
    };
    expect([
      bad([]),
      bad(null),
      bad({ ...index, key: "" }),
      bad({ ...index, generation: 1.5 }),
      bad({ ...index, generation: undefined }),
      bad({ ...index, sha256: "abc" }),
      bad({ ...index, etag: 7 }),
      bad({ key: index.key, generation: 4, sha256: index.sha256 }),
    ]).toEqual([
      "manifest field index is not a JSON object",
      "manifest field index is not a JSON object",
      "manifest field index.key is not a non-empty string",
      "manifest field index.generation is not a non-negative integer",
      "manifest field index.generation is not a non-negative integer",
      "manifest field index.sha256 is not 64 hex digits",
      "manifest field index.etag is not a string",
      "accepted",
    ]);
  });

  it("follows the index only when it is at least the single document's generation", () => {
    const at = (generation: number) => ({ key: "i.index.json", generation, sha256: sha256(DOC2), etag: "" });
    expect(followedIndex(parseManifest(manifest(3, DOC1, { index: at(3) })))).toEqual(at(3));
    expect(followedIndex(parseManifest(manifest(3, DOC1, { index: at(9) })))).toEqual(at(9));
    expect(followedIndex(parseManifest(manifest(3, DOC1, { index: at(2) })))).toBeUndefined();
    expect(followedIndex(parseManifest(manifest(3, DOC1)))).toBeUndefined();
  });

  it("with an index: unchanged at the applied generation and stale below it, with no S3 request", async () => {
    const { s3, ssm, src } = setup();
    const index = { key: "targets/ecs-services.index.json", generation: 6, sha256: sha256(DOC2), etag: "" };
    ssm.set("/app/targets/manifest", manifest(5, DOC1, { index }));
    expect(await src.fetch({ generation: 6, sha256: sha256(DOC2) })).toEqual({ status: "unchanged", note: "same_generation" });
    expect(await src.fetch({ generation: 6 })).toEqual({ status: "unchanged", note: "same_generation" });
    expect(await src.fetch({ generation: 7, sha256: sha256(DOC1) })).toEqual({ status: "unchanged", note: "stale_manifest" });
    expect(s3.calls).toEqual([]);
    // The same generation with another sha256 is read again (here: no index object, not_found).
    await expect(src.fetch({ generation: 6, sha256: sha256(DOC1) })).rejects.toMatchObject({ reason: "not_found" });
    expect(s3.calls.map((c) => c.key)).toEqual(["targets/ecs-services.index.json"]);
    expect(s3.calls[0]!.ifNoneMatch).toBeUndefined();
  });

  it("with an index older than the single document, reads the single document", async () => {
    const { s3, ssm, src } = setup();
    s3.put("bkt", KEY, DOC2);
    ssm.set("/app/targets/manifest", manifest(5, DOC2, { index: { key: "targets/ecs-services.index.json", generation: 4, sha256: sha256(DOC1), etag: "" } }));
    expect(await src.fetch({ generation: 4, sha256: sha256(DOC1) })).toMatchObject({ status: "changed", generation: 5, sha256: sha256(DOC2) });
    expect(s3.calls.map((c) => c.key)).toEqual([KEY]);
  });
});

describe("file source", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sidecar-src-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("reports unchanged when the bytes are the applied ones, even for same-size rewrites in the same instant", async () => {
    const p = join(dir, "doc.json");
    writeFileSync(p, DOC1);
    const src = fileSource(p);
    const r = await src.fetch({});
    expect(r).toMatchObject({ status: "changed", sha256: sha256(DOC1) });
    expect(await src.fetch({ sha256: sha256(DOC1) })).toEqual({ status: "unchanged", note: "not_modified" });
    const same = DOC1.replace("10.0.0.1", "10.0.0.9"); // same size, likely the same mtime
    writeFileSync(p, same);
    const r2 = await src.fetch({ sha256: sha256(DOC1) });
    expect(r2.status === "changed" && r2.body.toString()).toBe(same);
  });

  it("reports a missing file as not_found", async () => {
    await expect(fileSource(join(dir, "nope.json")).fetch({})).rejects.toMatchObject({ reason: "not_found" });
  });
});

describe("real SDK clients against the local simulator", () => {
  it("s3 and ssm sources work through AWS_ENDPOINT_URL_* (path style even for a localhost endpoint)", async () => {
    const { startSimulator } = await import("@scrape-reconciler/sim");
    const { createSource } = await import("../src/sources");
    const sim = await startSimulator({
      scenario: {
        buckets: ["bkt"],
        objects: [{ bucket: "bkt", key: KEY, body: DOC1, metadata: { generation: "12" } }],
        parameters: { "/app/targets/manifest": manifest(12, DOC1) },
      },
    });
    try {
      // `localhost` would make the SDK go virtual-hosted (bkt.localhost) without forcePathStyle
      const env = { ...sim.endpointEnv(), AWS_ENDPOINT_URL_S3: sim.url.replace("127.0.0.1", "localhost") };
      const s3 = createSource({ kind: "s3", bucket: "bkt", key: KEY }, { env });
      const first = await s3.source.fetch({});
      expect(first).toMatchObject({ status: "changed", generation: 12, sha256: sha256(DOC1) });
      const etag = first.status === "changed" ? first.etag : undefined;
      expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
      expect(await s3.source.fetch({ ...(etag ? { etag } : {}) })).toEqual({ status: "unchanged", note: "not_modified" });
      expect(sim.calls.log.filter((c) => c.key === "s3:GetObject").map((c) => c.status)).toEqual([200, 304]);
      s3.close();

      const ssm = createSource({ kind: "ssm", name: "/app/targets/manifest" }, { env });
      expect(await ssm.source.fetch({})).toMatchObject({ status: "changed", generation: 12, sha256: sha256(DOC1) });
      expect(await ssm.source.fetch({ generation: 12, sha256: sha256(DOC1) })).toEqual({ status: "unchanged", note: "same_generation" });
      ssm.close();

      const missing = createSource({ kind: "s3", bucket: "bkt", key: "nope.json" }, { env });
      await expect(missing.source.fetch({})).rejects.toMatchObject({ reason: "not_found" });
      missing.close();
    } finally {
      await sim.close();
    }
  });
});
