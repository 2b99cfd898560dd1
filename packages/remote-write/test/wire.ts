// Test helper: the remote-write 1.0 schema built with protobufjs' reflection API, and a
// decoder for request bodies (snappy block + protobuf) so tests read what went on the wire.
import protobuf from "protobufjs";
import * as snappyjs from "snappyjs";

const root = new protobuf.Root();
const Label = new protobuf.Type("Label").add(new protobuf.Field("name", 1, "string")).add(new protobuf.Field("value", 2, "string"));
const Sample = new protobuf.Type("Sample").add(new protobuf.Field("value", 1, "double")).add(new protobuf.Field("timestamp", 2, "int64"));
const TimeSeries = new protobuf.Type("TimeSeries")
  .add(new protobuf.Field("labels", 1, "Label", "repeated"))
  .add(new protobuf.Field("samples", 2, "Sample", "repeated"));
const WriteRequest = new protobuf.Type("WriteRequest").add(new protobuf.Field("timeseries", 1, "TimeSeries", "repeated"));
root.add(Label).add(Sample).add(TimeSeries).add(WriteRequest);
root.resolveAll();

export interface DecodedSeries {
  /** Labels in wire order. */
  labels: Array<{ name: string; value: string }>;
  /** Timestamps as decimal strings: exact int64 values. */
  samples: Array<{ value: number; timestamp: string }>;
}

export function decodeWriteRequest(raw: Uint8Array): DecodedSeries[] {
  const msg = WriteRequest.decode(raw);
  const obj = WriteRequest.toObject(msg, { longs: String, defaults: true, arrays: true }) as {
    timeseries: Array<{ labels: DecodedSeries["labels"]; samples: DecodedSeries["samples"] }>;
  };
  return obj.timeseries;
}

export function decodeBody(compressed: Uint8Array): DecodedSeries[] {
  return decodeWriteRequest(snappyjs.uncompress(compressed));
}

/** Labels of a decoded series as a record, for compact assertions. */
export function labelRecord(s: DecodedSeries): Record<string, string> {
  return Object.fromEntries(s.labels.map((l) => [l.name, l.value]));
}

export { WriteRequest as WriteRequestType };
