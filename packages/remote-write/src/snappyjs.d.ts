// Types for the untyped `snappyjs` package (snappy block format, pure JavaScript).
declare module "snappyjs" {
  export function compress<T extends Uint8Array | ArrayBuffer>(input: T): T;
  export function uncompress<T extends Uint8Array | ArrayBuffer>(compressed: T, maxLength?: number): T;
}
