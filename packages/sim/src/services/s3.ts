// Amazon S3 (REST-XML, path-style `/bucket/key`): CreateBucket, and PutObject,
// GetObject, HeadObject and DeleteObject with strong ETags, user metadata, CRC32
// checksums, conditional PUT (If-Match / If-None-Match: *) and GET (If-Match /
// If-None-Match / If-(Un)Modified-Since, 304 and 412) and byte ranges.
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { AwsError } from "../errors";
import type { ObjectRecord } from "../model";
import { etagMatches } from "../state/storage";
import { xmlDocument } from "../xml";
import { isReadOnlyOperation, type HandlerContext, type ServiceHandler, type SimRequest, type SimResponse } from "./types";

interface Target {
  bucket?: string;
  key?: string;
}

function target(req: SimRequest): Target {
  const path = req.path.replace(/^\/+/, "");
  if (path === "") return {};
  const slash = path.indexOf("/");
  if (slash < 0) return { bucket: decodeURIComponent(path) };
  const key = path.slice(slash + 1);
  return key === "" ? { bucket: decodeURIComponent(path.slice(0, slash)) } : { bucket: decodeURIComponent(path.slice(0, slash)), key: decodeURIComponent(key) };
}

const header = (req: SimRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(",") : v;
};

const crc32Base64 = (body: Buffer) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc32(body) >>> 0);
  return b.toString("base64");
};

function objectHeaders(obj: ObjectRecord, req: SimRequest): Record<string, string> {
  const h: Record<string, string> = {
    etag: obj.etag,
    "last-modified": obj.lastModified.toUTCString(),
    "content-type": obj.contentType,
    "accept-ranges": "bytes",
    "x-amz-server-side-encryption": "AES256",
  };
  if (obj.contentEncoding !== undefined) h["content-encoding"] = obj.contentEncoding;
  for (const [k, v] of Object.entries(obj.metadata)) h[`x-amz-meta-${k}`] = v;
  if (obj.checksumCrc32 && header(req, "x-amz-checksum-mode") === "ENABLED" && !header(req, "range")) {
    h["x-amz-checksum-crc32"] = obj.checksumCrc32;
    h["x-amz-checksum-type"] = "FULL_OBJECT";
  }
  return h;
}

/** RFC 7232 evaluation as S3 does it: 412 or 304, or undefined to serve the object. */
function preconditions(req: SimRequest, obj: ObjectRecord): 304 | 412 | undefined {
  const ifMatch = header(req, "if-match");
  const ifNoneMatch = header(req, "if-none-match");
  const ifModifiedSince = header(req, "if-modified-since");
  const ifUnmodifiedSince = header(req, "if-unmodified-since");
  const seconds = Math.floor(obj.lastModified.getTime() / 1000);
  const since = (v: string) => Math.floor(new Date(v).getTime() / 1000);
  if (ifMatch !== undefined) {
    if (!etagMatches(ifMatch, obj.etag)) return 412;
  } else if (ifUnmodifiedSince !== undefined && seconds > since(ifUnmodifiedSince)) return 412;
  if (ifNoneMatch !== undefined) {
    if (etagMatches(ifNoneMatch, obj.etag)) return 304;
  } else if (ifModifiedSince !== undefined && seconds <= since(ifModifiedSince)) return 304;
  return undefined;
}

/** Content-Encoding as S3 keeps it: without `aws-chunked` (the upload's framing, not the object's). */
function storedEncoding(value: string | undefined): { contentEncoding?: string } {
  const kept = (value ?? "")
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "" && v !== "aws-chunked");
  return kept.length > 0 ? { contentEncoding: kept.join(",") } : {};
}

function putObject(req: SimRequest, ctx: HandlerContext, t: Required<Target>): SimResponse {
  if (header(req, "x-amz-copy-source")) throw new AwsError("NotImplemented", "CopyObject is not simulated", 501);
  const body = req.body;
  const md5 = header(req, "content-md5");
  if (md5 && createHash("md5").update(body).digest("base64") !== md5) {
    throw new AwsError("BadDigest", "The Content-MD5 you specified did not match what we received.");
  }
  const sent = header(req, "x-amz-checksum-crc32") ?? req.trailers["x-amz-checksum-crc32"];
  if (sent !== undefined && sent !== crc32Base64(body)) {
    throw new AwsError("BadDigest", "The CRC32 you specified did not match the calculated checksum.");
  }
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (k.startsWith("x-amz-meta-") && v !== undefined) metadata[k.slice(11)] = String(v);
  const ifMatch = header(req, "if-match");
  const ifNoneMatch = header(req, "if-none-match");
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== "*") {
    throw new AwsError("NotImplemented", "If-None-Match on PUT supports only *", 501);
  }
  const obj = ctx.state.s3.put(t.bucket, t.key, body, {
    contentType: header(req, "content-type") ?? "binary/octet-stream",
    ...storedEncoding(header(req, "content-encoding")),
    metadata,
    ...(ifMatch !== undefined ? { ifMatch } : {}),
    ...(ifNoneMatch !== undefined ? { ifNoneMatch } : {}),
    ...(sent !== undefined ? { checksumCrc32: sent } : {}),
  });
  const h: Record<string, string> = { etag: obj.etag, "x-amz-server-side-encryption": "AES256" };
  if (sent !== undefined) {
    h["x-amz-checksum-crc32"] = sent;
    h["x-amz-checksum-type"] = "FULL_OBJECT";
  }
  return { status: 200, headers: h };
}

function getObject(req: SimRequest, ctx: HandlerContext, t: Required<Target>, head: boolean): SimResponse {
  const obj = ctx.state.s3.get(t.bucket, t.key);
  const pre = preconditions(req, obj);
  if (pre === 304) return { status: 304, headers: { etag: obj.etag, "last-modified": obj.lastModified.toUTCString() } };
  if (pre === 412) throw new AwsError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412);
  const headers = objectHeaders(obj, req);
  let body = obj.body;
  let status = 200;
  const range = header(req, "range");
  const m = range ? /^bytes=(\d*)-(\d*)$/.exec(range) : null;
  if (m && (m[1] !== "" || m[2] !== "")) {
    const size = obj.body.length;
    let start = m[1] === "" ? size - Number(m[2]) : Number(m[1]);
    let end = m[1] === "" || m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
    start = Math.max(0, start);
    if (start >= size || start > end) throw new AwsError("InvalidRange", "The requested range is not satisfiable", 416);
    end = Math.max(start, end);
    body = obj.body.subarray(start, end + 1);
    status = 206;
    headers["content-range"] = `bytes ${start}-${end}/${size}`;
  }
  headers["content-length"] = String(body.length);
  return head ? { status, headers } : { status, headers, body };
}

/** The operation an HTTP method names on `/bucket` and on `/bucket/key`. */
const BUCKET_OPERATIONS = new Map([["PUT", "CreateBucket"]]);
const OBJECT_OPERATIONS = new Map([
  ["PUT", "PutObject"],
  ["GET", "GetObject"],
  ["HEAD", "HeadObject"],
  ["DELETE", "DeleteObject"],
]);

/** IAM actions that are not `s3:Operation`. */
const IAM: Record<string, string> = { HeadObject: "s3:GetObject" };

export const s3: ServiceHandler = {
  service: "s3",
  route: "rest:s3",
  endpointEnvName: "S3",
  protocol: "s3",
  operation(req) {
    const t = target(req);
    const op = t.bucket === undefined ? undefined : t.key === undefined ? BUCKET_OPERATIONS.get(req.method) : OBJECT_OPERATIONS.get(req.method);
    if (!op) throw new AwsError("NotImplemented", `The simulator does not implement ${req.method} ${req.path}?${req.query}`, 501);
    return op;
  },
  handle(op, req, ctx) {
    const t = target(req);
    const bucket = t.bucket!;
    const key = t.key!;
    switch (op) {
      case "CreateBucket":
        ctx.state.s3.createBucket(bucket);
        return { status: 200, headers: { location: `/${bucket}` } };
      case "PutObject":
        return putObject(req, ctx, { bucket, key });
      case "GetObject":
        return getObject(req, ctx, { bucket, key }, false);
      case "HeadObject":
        return getObject(req, ctx, { bucket, key }, true);
      case "DeleteObject":
        ctx.state.s3.delete(bucket, key);
        return { status: 204 };
      default:
        throw new AwsError("NotImplemented", `Operation ${op} is not simulated`, 501);
    }
  },
  error(err, req): SimResponse {
    if (req.method === "HEAD") return { status: err.status, headers: { "x-amz-request-id": req.requestId } };
    const t = target(req);
    const body = xmlDocument("Error", {
      Code: err.code,
      Message: err.message,
      ...(t.key !== undefined && (err.code === "NoSuchKey" || err.code === "PreconditionFailed") ? { Key: t.key } : {}),
      ...(t.bucket !== undefined && err.code.includes("Bucket") ? { BucketName: t.bucket } : {}),
      RequestId: req.requestId,
      HostId: Buffer.from(req.requestId).toString("base64"),
    });
    return { status: err.status, headers: { "content-type": "application/xml" }, body };
  },
  readOnly: isReadOnlyOperation,
  iamAction: (op) => IAM[op] ?? `s3:${op}`,
};
