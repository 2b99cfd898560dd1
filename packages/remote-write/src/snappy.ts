// Snappy BLOCK format (not the framed/stream format), as remote write 1.0 requires.
// Thin wrapper over the pure-JS `snappyjs` so the Lambda bundle has no native addon.
import * as snappyjs from "snappyjs";

export function snappyCompress(data: Uint8Array): Uint8Array {
  return snappyjs.compress(data);
}

export function snappyUncompress(data: Uint8Array, maxLength?: number): Uint8Array {
  return snappyjs.uncompress(data, maxLength);
}
