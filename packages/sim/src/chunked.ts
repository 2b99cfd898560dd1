// Decoding of `aws-chunked` request bodies (SigV4 streaming uploads, which SDK v3 uses
// for S3 uploads of unknown length, with a checksum trailer):
//   <hex size>[;chunk-signature=...]\r\n<data>\r\n ... 0\r\n<trailer>:<value>\r\n\r\n
import { AwsError } from "./errors";

export interface DecodedBody {
  body: Buffer;
  trailers: Record<string, string>;
}

/** True when the request declares an aws-chunked body. */
export function isAwsChunked(headers: Record<string, string | string[] | undefined>): boolean {
  const enc = String(headers["content-encoding"] ?? "");
  const sha = String(headers["x-amz-content-sha256"] ?? "");
  return enc.split(",").some((e) => e.trim() === "aws-chunked") || sha.startsWith("STREAMING-");
}

export function decodeAwsChunked(raw: Buffer): DecodedBody {
  const parts: Buffer[] = [];
  const trailers: Record<string, string> = {};
  let pos = 0;
  const line = (): string => {
    const end = raw.indexOf("\r\n", pos);
    if (end < 0) throw new AwsError("IncompleteBody", "aws-chunked body ended inside a chunk header");
    const s = raw.subarray(pos, end).toString("latin1");
    pos = end + 2;
    return s;
  };
  for (;;) {
    const header = line();
    const size = parseInt(header.split(";")[0]!.trim(), 16);
    if (!Number.isFinite(size) || size < 0) throw new AwsError("InvalidRequest", `Invalid aws-chunked chunk header: ${JSON.stringify(header)}`);
    if (size === 0) break;
    if (pos + size + 2 > raw.length) throw new AwsError("IncompleteBody", "aws-chunked body ended inside a chunk");
    parts.push(raw.subarray(pos, pos + size));
    pos += size;
    if (raw[pos] !== 0x0d || raw[pos + 1] !== 0x0a) throw new AwsError("InvalidRequest", "aws-chunked chunk is not followed by CRLF");
    pos += 2;
  }
  while (pos < raw.length) {
    const l = line();
    if (l === "") break;
    const colon = l.indexOf(":");
    if (colon > 0) trailers[l.slice(0, colon).trim().toLowerCase()] = l.slice(colon + 1).trim();
  }
  return { body: Buffer.concat(parts), trailers };
}
