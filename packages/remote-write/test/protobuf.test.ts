// The hand-written encoder's bytes, decoded back with protobufjs (the reference
// implementation), and the snappy block round trip.
import { describe, expect, it } from "vitest";
import * as snappyjs from "snappyjs";
import { encodeTimeSeries, encodeWriteRequest } from "../src/protobuf";
import { snappyCompress, snappyUncompress } from "../src/snappy";
import { decodeWriteRequest, WriteRequestType } from "./wire";

describe("protobuf encoder", () => {
  it("encodes labels and samples that protobufjs decodes identically", () => {
    const raw = encodeWriteRequest([
      {
        labels: [
          { name: "__name__", value: "aws_rds_cpuutilization_average" },
          { name: "db", value: "orders-primary" },
          { name: "unicode", value: "héllo ✓ 日本" },
        ],
        samples: [
          { value: 12.5, timestamp: 1_700_000_000_000 },
          { value: -3.25, timestamp: 1_700_000_060_000 },
        ],
      },
      { labels: [{ name: "__name__", value: "up" }], samples: [{ value: 1, timestamp: 5 }] },
    ]);
    expect(WriteRequestType.verify(WriteRequestType.decode(raw))).toBeNull();
    expect(decodeWriteRequest(raw)).toEqual([
      {
        labels: [
          { name: "__name__", value: "aws_rds_cpuutilization_average" },
          { name: "db", value: "orders-primary" },
          { name: "unicode", value: "héllo ✓ 日本" },
        ],
        samples: [
          { value: 12.5, timestamp: "1700000000000" },
          { value: -3.25, timestamp: "1700000060000" },
        ],
      },
      { labels: [{ name: "__name__", value: "up" }], samples: [{ value: 1, timestamp: "5" }] },
    ]);
  });

  it("keeps doubles exact: NaN, negative, huge, tiny, infinities, zero", () => {
    const values = [NaN, -1, -0.000001, 1.7976931348623157e308, 5e-324, Infinity, -Infinity, 0, 2 ** 53 + 2];
    const raw = encodeWriteRequest([{ labels: [{ name: "__name__", value: "v" }], samples: values.map((value, i) => ({ value, timestamp: i })) }]);
    const got = decodeWriteRequest(raw)[0]!.samples.map((s) => s.value);
    expect(got).toHaveLength(values.length);
    got.forEach((v, i) => {
      expect(Object.is(v, values[i]) || (Number.isNaN(v) && Number.isNaN(values[i]!))).toBe(true);
    });
  });

  it("writes int64 timestamps past 2^31 and 2^32 and up to 2^53-1, and negative ones, exactly", () => {
    const stamps = [0, 2 ** 31, 2 ** 32 + 1, 1_795_633_361_733, Number.MAX_SAFE_INTEGER, -1, -1_000_000_000_000];
    const raw = encodeWriteRequest([{ labels: [{ name: "__name__", value: "t" }], samples: stamps.map((timestamp) => ({ value: 1, timestamp })) }]);
    expect(decodeWriteRequest(raw)[0]!.samples.map((s) => s.timestamp)).toEqual(stamps.map(String));
  });

  it("refuses a timestamp that is not an integer", () => {
    expect(() => encodeTimeSeries({ labels: [], samples: [{ value: 1, timestamp: 1.5 }] })).toThrow(/not a safe integer/);
  });

  it("encodes an empty request as zero bytes and long strings with multi-byte length prefixes", () => {
    expect(encodeWriteRequest([])).toHaveLength(0);
    const long = "x".repeat(70_000);
    const raw = encodeWriteRequest([
      {
        labels: [
          { name: "__name__", value: "m" },
          { name: "big", value: long },
        ],
        samples: [],
      },
    ]);
    expect(decodeWriteRequest(raw)[0]!.labels[1]!.value).toBe(long);
  });
});

describe("snappy block format", () => {
  it("round-trips through snappyjs and our wrapper both ways", () => {
    const raw = encodeWriteRequest(
      Array.from({ length: 200 }, (_, i) => ({
        labels: [
          { name: "__name__", value: "m" },
          { name: "i", value: String(i) },
        ],
        samples: [{ value: i, timestamp: 1_700_000_000_000 + i }],
      })),
    );
    const compressed = snappyCompress(raw);
    expect(compressed.length).toBeLessThan(raw.length);
    expect(Array.from(snappyjs.uncompress(compressed))).toEqual(Array.from(raw));
    expect(Array.from(snappyUncompress(snappyjs.compress(raw)))).toEqual(Array.from(raw));
  });

  it("is the block format: starts with the uncompressed length varint, no stream identifier", () => {
    const raw = new Uint8Array(300).fill(7);
    const c = snappyCompress(raw);
    // 300 = 0b1_0010_1100 → varint 0xac 0x02; the framed format would start with 0xff "sNaPpY".
    expect([c[0], c[1]]).toEqual([0xac, 0x02]);
    expect(c[0]).not.toBe(0xff);
  });
});
