// Protobuf encoder for the four fixed remote-write 1.0 messages (prompb):
//   WriteRequest{1: repeated TimeSeries}  TimeSeries{1: repeated Label, 2: repeated Sample}
//   Label{1: string name, 2: string value}  Sample{1: double value, 2: int64 timestamp_ms}
// Hand-written on purpose: these ~60 lines of encoding for four fixed messages replace
// shipping protobufjs plus a .proto file in every Lambda bundle. protobufjs stays a
// devDependency; the tests decode these bytes with it to prove the wire format.
// Series are encoded one by one so the client can size and split requests without
// re-encoding: a WriteRequest is just the concatenation of framed TimeSeries.

export interface Label {
  name: string;
  value: string;
}

export interface Sample {
  value: number;
  /** Milliseconds since the Unix epoch (an integer; int64 on the wire). */
  timestamp: number;
}

export interface TimeSeries {
  labels: Label[];
  samples: Sample[];
}

const utf8 = new TextEncoder();

/** Growable byte buffer with the few protobuf primitives we need. */
class Writer {
  private buf = new Uint8Array(64);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  /** Unsigned varint of a non-negative safe integer. */
  uvarint(n: number): void {
    this.ensure(10);
    while (n >= 0x80) {
      this.buf[this.len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.len++] = n;
  }

  /** int64 varint: negative values are two's complement over 64 bits (10 bytes). */
  int64(n: number): void {
    if (n >= 0) {
      this.uvarint(n);
      return;
    }
    let v = BigInt.asUintN(64, BigInt(n));
    this.ensure(10);
    while (v >= 0x80n) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.len++] = Number(v);
  }

  double(x: number): void {
    this.ensure(8);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 8).setFloat64(0, x, true);
    this.len += 8;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** A length-delimited field (wire type 2). */
  lenField(field: number, b: Uint8Array): void {
    this.byte((field << 3) | 2);
    this.uvarint(b.length);
    this.bytes(b);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function encodeLabel(l: Label): Uint8Array {
  const w = new Writer();
  w.lenField(1, utf8.encode(l.name));
  w.lenField(2, utf8.encode(l.value));
  return w.finish();
}

function encodeSample(s: Sample): Uint8Array {
  if (!Number.isSafeInteger(s.timestamp)) throw new RangeError(`timestamp ${s.timestamp} is not a safe integer (ms)`);
  const w = new Writer();
  w.byte((1 << 3) | 1); // double, wire type 1 (64-bit)
  w.double(s.value);
  w.byte((2 << 3) | 0); // int64, wire type 0 (varint)
  w.int64(s.timestamp);
  return w.finish();
}

/** Encodes one TimeSeries message body (labels then samples, in the given order). */
export function encodeTimeSeries(ts: TimeSeries): Uint8Array {
  const w = new Writer();
  for (const l of ts.labels) w.lenField(1, encodeLabel(l));
  for (const s of ts.samples) w.lenField(2, encodeSample(s));
  return w.finish();
}

/** Bytes a TimeSeries body of `n` bytes takes inside a WriteRequest (tag + length + body). */
export function framedSize(n: number): number {
  let varint = 1;
  for (let v = n; v >= 0x80; v = Math.floor(v / 0x80)) varint++;
  return 1 + varint + n;
}

/** Builds a WriteRequest from already-encoded TimeSeries bodies. */
export function encodeWriteRequestFromEncoded(series: Uint8Array[]): Uint8Array {
  const w = new Writer();
  for (const s of series) w.lenField(1, s);
  return w.finish();
}

export function encodeWriteRequest(series: TimeSeries[]): Uint8Array {
  return encodeWriteRequestFromEncoded(series.map(encodeTimeSeries));
}
