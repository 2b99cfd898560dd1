// S3 objects: ETags, metadata, checksums, conditional PUT and GET, ranges, aws-chunked uploads.
import { createHash } from "node:crypto";
import { request } from "node:http";
import { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { beforeEach, describe, expect, it } from "vitest";
import { failure, useSimulator } from "./helpers";

const env = useSimulator();
beforeEach(() => env.sim.setFaults(null));

const md5 = (s: string | Buffer) => `"${createHash("md5").update(s).digest("hex")}"`;
const crc32b64 = (b: Buffer) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(b) >>> 0);
  return out.toString("base64");
};

describe("buckets", () => {
  it("creates a bucket and refuses a second create; a missing bucket is NoSuchBucket (HEAD: 404)", async () => {
    await env.c.s3.send(new CreateBucketCommand({ Bucket: "fresh-bucket" }));
    await env.c.s3.send(new PutObjectCommand({ Bucket: "fresh-bucket", Key: "k", Body: "v" }));
    expect((await failure(env.c.s3.send(new CreateBucketCommand({ Bucket: "fresh-bucket" })))).name).toBe("BucketAlreadyOwnedByYou");
    expect((await failure(env.c.s3.send(new GetObjectCommand({ Bucket: "no-such-bucket", Key: "k" })))).name).toBe("NoSuchBucket");
    const head = await failure(env.c.s3.send(new HeadObjectCommand({ Bucket: "no-such-bucket", Key: "k" })));
    expect([head.name, head.$metadata?.httpStatusCode]).toEqual(["NotFound", 404]);
  });
});

describe("objects", () => {
  it("stores body, Content-Type and user metadata; answers a strong md5 ETag and LastModified", async () => {
    const body = JSON.stringify([{ targets: ["10.0.0.1:8080"], labels: {} }]);
    const put = await env.c.s3.send(
      new PutObjectCommand({
        Bucket: "targets",
        Key: "targets/ecs-services.json",
        Body: body,
        ContentType: "application/json",
        Metadata: { generation: "7", sha256: "abc" },
      }),
    );
    expect(put.ETag).toBe(md5(body));
    const got = await env.c.s3.send(new GetObjectCommand({ Bucket: "targets", Key: "targets/ecs-services.json" }));
    expect(await got.Body!.transformToString()).toBe(body);
    expect(got.ETag).toBe(md5(body));
    expect(got.ContentType).toBe("application/json");
    expect(got.Metadata).toEqual({ generation: "7", sha256: "abc" });
    expect(got.LastModified).toBeInstanceOf(Date);
    expect(got.ContentLength).toBe(body.length);
    const head = await env.c.s3.send(new HeadObjectCommand({ Bucket: "targets", Key: "targets/ecs-services.json" }));
    expect(head).toMatchObject({ ETag: md5(body), ContentLength: body.length, Metadata: { generation: "7", sha256: "abc" } });
    expect(head.LastModified!.getTime()).toBe(got.LastModified!.getTime());
  });

  it("answers the stored CRC32 in checksum mode, and the SDK validates it", async () => {
    await env.c.s3.send(new PutObjectCommand({ Bucket: "targets", Key: "crc.json", Body: "checksummed" }));
    const got = await env.c.s3.send(new GetObjectCommand({ Bucket: "targets", Key: "crc.json", ChecksumMode: "ENABLED" }));
    expect(got.ChecksumCRC32).toBe(crc32b64(Buffer.from("checksummed")));
    expect(await got.Body!.transformToString()).toBe("checksummed");
  });

  it("conditional PUT: If-None-Match * creates only once, If-Match swaps only the current ETag", async () => {
    const key = "cas.json";
    const first = await env.c.s3.send(new PutObjectCommand({ Bucket: "targets", Key: key, Body: "v1", IfNoneMatch: "*" }));
    const again = await failure(env.c.s3.send(new PutObjectCommand({ Bucket: "targets", Key: key, Body: "v1b", IfNoneMatch: "*" })));
    expect([again.name, again.$metadata?.httpStatusCode]).toEqual(["PreconditionFailed", 412]);
    const second = await env.c.s3.send(new PutObjectCommand({ Bucket: "targets", Key: key, Body: "v2", IfMatch: first.ETag }));
    expect(second.ETag).toBe(md5("v2"));
    const stale = await failure(env.c.s3.send(new PutObjectCommand({ Bucket: "targets", Key: key, Body: "v3", IfMatch: first.ETag })));
    expect([stale.name, stale.$metadata?.httpStatusCode]).toEqual(["PreconditionFailed", 412]);
    expect(await (await env.c.s3.send(new GetObjectCommand({ Bucket: "targets", Key: key }))).Body!.transformToString()).toBe("v2");
    const missing = await failure(env.c.s3.send(new PutObjectCommand({ Bucket: "targets", Key: "never-written", Body: "x", IfMatch: first.ETag })));
    expect([missing.name, missing.$metadata?.httpStatusCode]).toEqual(["NoSuchKey", 404]);
  });

  it("conditional GET: If-None-Match on the current ETag is 304 without body, If-Match on another is 412", async () => {
    const put = await env.c.s3.send(new PutObjectCommand({ Bucket: "targets", Key: "cond-get.json", Body: "same" }));
    const notModified = await failure(env.c.s3.send(new GetObjectCommand({ Bucket: "targets", Key: "cond-get.json", IfNoneMatch: put.ETag })));
    expect(notModified.$metadata?.httpStatusCode).toBe(304);
    const changed = await env.c.s3.send(new GetObjectCommand({ Bucket: "targets", Key: "cond-get.json", IfNoneMatch: md5("other") }));
    expect(await changed.Body!.transformToString()).toBe("same");
    const mismatch = await failure(env.c.s3.send(new GetObjectCommand({ Bucket: "targets", Key: "cond-get.json", IfMatch: md5("other") })));
    expect([mismatch.name, mismatch.$metadata?.httpStatusCode]).toEqual(["PreconditionFailed", 412]);
    const since = await failure(
      env.c.s3.send(new GetObjectCommand({ Bucket: "targets", Key: "cond-get.json", IfModifiedSince: new Date(Date.now() + 60_000) })),
    );
    expect(since.$metadata?.httpStatusCode).toBe(304);
  });

  it("missing keys: GetObject NoSuchKey, HeadObject NotFound; DeleteObject is idempotent", async () => {
    await env.c.s3.send(new PutObjectCommand({ Bucket: "targets", Key: "doomed", Body: "x" }));
    await env.c.s3.send(new DeleteObjectCommand({ Bucket: "targets", Key: "doomed" }));
    await env.c.s3.send(new DeleteObjectCommand({ Bucket: "targets", Key: "doomed" }));
    const get = await failure(env.c.s3.send(new GetObjectCommand({ Bucket: "targets", Key: "doomed" })));
    expect([get.name, get.$metadata?.httpStatusCode]).toEqual(["NoSuchKey", 404]);
    const head = await failure(env.c.s3.send(new HeadObjectCommand({ Bucket: "targets", Key: "doomed" })));
    expect([head.name, head.$metadata?.httpStatusCode]).toEqual(["NotFound", 404]);
  });

  it("serves byte ranges", async () => {
    await env.c.s3.send(new PutObjectCommand({ Bucket: "targets", Key: "range.txt", Body: "0123456789" }));
    const r = await env.c.s3.send(new GetObjectCommand({ Bucket: "targets", Key: "range.txt", Range: "bytes=2-5" }));
    expect(await r.Body!.transformToString()).toBe("2345");
    expect(r.ContentRange).toBe("bytes 2-5/10");
  });

  it("an injected ConditionalRequestConflict is a 409 the SDK names", async () => {
    env.sim.setFaults({ next: [{ operation: "s3:PutObject", error: "ConditionalRequestConflict" }] });
    const err = await failure(env.c.s3.send(new PutObjectCommand({ Bucket: "targets", Key: "conflict", Body: "x", IfNoneMatch: "*" })));
    expect([err.name, err.$metadata?.httpStatusCode]).toEqual(["ConditionalRequestConflict", 409]);
    await env.c.s3.send(new PutObjectCommand({ Bucket: "targets", Key: "conflict", Body: "x", IfNoneMatch: "*" }));
  });
});

describe("aws-chunked uploads", () => {
  it("decodes the SDK's streaming upload (aws-chunked, CRC32 trailer)", async () => {
    const seen: Record<string, string>[] = [];
    env.c.s3.middlewareStack.add(
      (next) => async (args) => {
        seen.push({ ...(args.request as { headers: Record<string, string> }).headers });
        return next(args);
      },
      { step: "finalizeRequest", name: "recordHeaders" },
    );
    try {
      const data = Buffer.alloc(200_000, "abcdefgh");
      const put = await env.c.s3.send(
        new PutObjectCommand({
          Bucket: "targets",
          Key: "stream.bin",
          Body: Readable.from([data.subarray(0, 70_000), data.subarray(70_000)]),
          ContentLength: data.length,
        }),
      );
      expect(seen[0]!["content-encoding"]).toContain("aws-chunked");
      expect(seen[0]!["x-amz-trailer"]).toBe("x-amz-checksum-crc32");
      expect(put.ETag).toBe(md5(data));
      const got = await env.c.s3.send(new GetObjectCommand({ Bucket: "targets", Key: "stream.bin", ChecksumMode: "ENABLED" }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data)).toBe(true);
      expect(got.ChecksumCRC32).toBe(crc32b64(data));
    } finally {
      env.c.s3.middlewareStack.remove("recordHeaders");
    }
  });

  function rawPut(path: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; text: string; continued: boolean }> {
    return new Promise((resolve, reject) => {
      const req = request(`${env.sim.url}${path}`, { method: "PUT", headers: { ...headers, "content-length": String(body.length), expect: "100-continue" } });
      let continued = false;
      req.on("continue", () => {
        continued = true;
        req.end(body);
      });
      req.on("response", (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode!, text, continued }));
      });
      req.on("error", reject);
    });
  }

  const framed = (data: Buffer, checksum: string) =>
    Buffer.concat([
      Buffer.from(`${(5).toString(16)}\r\n`),
      data.subarray(0, 5),
      Buffer.from(`\r\n${(data.length - 5).toString(16)}\r\n`),
      data.subarray(5),
      Buffer.from(`\r\n0\r\nx-amz-checksum-crc32:${checksum}\r\n\r\n`),
    ]);
  const headers = (len: number) => ({
    "content-encoding": "aws-chunked",
    "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    "x-amz-decoded-content-length": String(len),
    "x-amz-trailer": "x-amz-checksum-crc32",
    authorization: "AWS4-HMAC-SHA256 Credential=AKIASIMULATOR000000/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0",
  });

  it("honours Expect: 100-continue and checks the trailer checksum (BadDigest on mismatch)", async () => {
    const data = Buffer.from("hello chunked world");
    const ok = await rawPut("/targets/raw.txt", framed(data, crc32b64(data)), headers(data.length));
    expect(ok).toMatchObject({ status: 200, continued: true });
    expect(env.sim.state.s3.get("targets", "raw.txt").body.toString()).toBe("hello chunked world");
    const bad = await rawPut("/targets/raw.txt", framed(Buffer.from("tampered body here!"), crc32b64(data)), headers(data.length));
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("<Code>BadDigest</Code>");
    expect(env.sim.state.s3.get("targets", "raw.txt").body.toString()).toBe("hello chunked world");
  });
});
