// Loaded with `node --import` into a sidecar child by bench/sidecar-footprint.ts --breakdown:
// every second writes process.memoryUsage() and V8's heap spaces as one JSON line to
// SIDECAR_PROBE_OUT (a file), so the benchmark can say where the RSS goes.
import { appendFileSync } from "node:fs";
import { getHeapSpaceStatistics } from "node:v8";

const out = process.env.SIDECAR_PROBE_OUT;
if (out) {
  const sample = () => {
    const m = process.memoryUsage();
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size]));
    appendFileSync(out, `${JSON.stringify({ at: Date.now(), ...m, spaces })}\n`);
  };
  setInterval(sample, 1000).unref();
}
