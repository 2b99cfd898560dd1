// How the costs grow with the fleet (issue "Cost per event"): for accounts from 100 to
// 20,000 tasks (services of 50 tasks; fewer tasks per service below 1,000), the CPU of one
// event batch (one service scaling out by one task), the bytes each sidecar downloads for
// that change, and the CPU of a steady full reconcile, for today's code and a baseline
// commit's side by side (bench/batch-cost.ts and bench/reconcile-cost.ts at each size).
// Prints a table with the ratios and draws the three curves as one SVG (log-log axes).
//   npx tsx bench/scale-curve.ts [--sizes 100,1000,5000,10000,20000] [--out docs/scale-curve.svg]
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { runBatchCost } from "./batch-cost";
import { DEFAULT_BASELINE_REF, runReconcileCost } from "./reconcile-cost";

export interface CurvePoint {
  tasks: number;
  services: number;
  ours: { batchCpuMs: number; sidecarBytes: number; fullCpuMs: number };
  baseline: { batchCpuMs: number; sidecarBytes: number; fullCpuMs: number };
}

/** Services and tasks per service for `tasks`: 50 a service from 1,000 tasks, else 10 services. */
export function shapeOf(tasks: number): { services: number; tasks: number } {
  if (tasks >= 1000) return { services: Math.round(tasks / 50), tasks: 50 };
  return { services: 10, tasks: Math.max(1, Math.round(tasks / 10)) };
}

export async function runCurve(sizes: number[], baselineRef = DEFAULT_BASELINE_REF, batches = 3): Promise<CurvePoint[]> {
  const points: CurvePoint[] = [];
  for (const size of sizes) {
    const shape = shapeOf(size);
    const b = await runBatchCost({ ...shape, batches, baselineRef });
    const f = await runReconcileCost({ ...shape, latencyMs: 0, runs: 2, baselineRef });
    points.push({
      tasks: shape.services * shape.tasks,
      services: shape.services,
      ours: { batchCpuMs: b.ours.median.cpuMs, sidecarBytes: b.ours.median.sidecar, fullCpuMs: f.ours.steady.cpuMs },
      baseline: { batchCpuMs: b.baseline.median.cpuMs, sidecarBytes: b.baseline.median.sidecar, fullCpuMs: f.baseline.steady.cpuMs },
    });
  }
  return points;
}

export function table(points: CurvePoint[], baselineRef = DEFAULT_BASELINE_REF): string {
  const lines = [`| tasks | batch CPU, ours / ${baselineRef} | to each sidecar per change | steady full reconcile CPU |`, "| --- | --- | --- | --- |"];
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  for (const p of points) {
    lines.push(
      `| ${p.tasks.toLocaleString("en-US")} | ${p.ours.batchCpuMs.toFixed(0)} / ${p.baseline.batchCpuMs.toFixed(0)} ms (${(p.baseline.batchCpuMs / p.ours.batchCpuMs).toFixed(1)}x) | ${kb(p.ours.sidecarBytes)} / ${kb(p.baseline.sidecarBytes)} (${(p.baseline.sidecarBytes / Math.max(1, p.ours.sidecarBytes)).toFixed(0)}x) | ${p.ours.fullCpuMs.toFixed(0)} / ${p.baseline.fullCpuMs.toFixed(0)} ms (${(p.baseline.fullCpuMs / p.ours.fullCpuMs).toFixed(1)}x) |`,
    );
  }
  return lines.join("\n");
}

/** Three log-log panels side by side, ours and the baseline in each. */
export function svg(points: CurvePoint[], baselineRef = DEFAULT_BASELINE_REF): string {
  const W = 300;
  const H = 220;
  const M = { left: 52, right: 12, top: 28, bottom: 40 };
  const panels: { title: string; unit: string; get: (s: CurvePoint["ours"]) => number }[] = [
    { title: "CPU per event batch", unit: "ms", get: (s) => s.batchCpuMs },
    { title: "downloaded per change, each sidecar", unit: "KB", get: (s) => s.sidecarBytes / 1024 },
    { title: "CPU per steady full reconcile", unit: "ms", get: (s) => s.fullCpuMs },
  ];
  const log = Math.log10;
  const xs = points.map((p) => p.tasks);
  const [x0, x1] = [log(Math.min(...xs)), log(Math.max(...xs))];
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W * panels.length}" height="${H + 24}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  panels.forEach((panel, i) => {
    const ox = i * W;
    const values = points.flatMap((p) => [panel.get(p.ours), panel.get(p.baseline)]).map((v) => Math.max(v, 0.1));
    const [y0, y1] = [Math.floor(log(Math.min(...values))), Math.ceil(log(Math.max(...values)))];
    const px = (t: number) => ox + M.left + ((log(t) - x0) / Math.max(1e-9, x1 - x0)) * (W - M.left - M.right);
    const py = (v: number) => M.top + (1 - (log(Math.max(v, 0.1)) - y0) / Math.max(1e-9, y1 - y0)) * (H - M.top - M.bottom);
    out.push(`<text x="${ox + W / 2}" y="16" text-anchor="middle" font-weight="bold">${panel.title}</text>`);
    for (let e = y0; e <= y1; e++) {
      const y = py(10 ** e);
      out.push(`<line x1="${ox + M.left}" x2="${ox + W - M.right}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
      out.push(`<text x="${ox + M.left - 4}" y="${y + 4}" text-anchor="end">${(10 ** e).toLocaleString("en-US")} ${panel.unit}</text>`);
    }
    for (const t of xs) {
      out.push(`<text x="${px(t)}" y="${H - M.bottom + 14}" text-anchor="middle">${t >= 1000 ? `${t / 1000}k` : t}</text>`);
    }
    out.push(`<text x="${ox + W / 2}" y="${H - 6}" text-anchor="middle">tasks</text>`);
    for (const [side, color] of [
      ["baseline", "#c0392b"],
      ["ours", "#2471a3"],
    ] as const) {
      const pts = points.map((p) => `${px(p.tasks).toFixed(1)},${py(panel.get(p[side])).toFixed(1)}`).join(" ");
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts}"/>`);
      for (const p of points) out.push(`<circle cx="${px(p.tasks).toFixed(1)}" cy="${py(panel.get(p[side])).toFixed(1)}" r="3" fill="${color}"/>`);
    }
  });
  out.push(`<text x="12" y="${H + 16}" fill="#2471a3">■ today</text>`);
  out.push(`<text x="80" y="${H + 16}" fill="#c0392b">■ baseline ${baselineRef}</text>`);
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: {
      sizes: { type: "string", default: "100,1000,5000,10000,20000" },
      out: { type: "string", default: "docs/scale-curve.svg" },
      "baseline-ref": { type: "string", default: DEFAULT_BASELINE_REF },
    },
  });
  const sizes = values.sizes!.split(",").map(Number);
  const points = await runCurve(sizes, values["baseline-ref"]);
  console.log(table(points, values["baseline-ref"]));
  writeFileSync(values.out!, svg(points, values["baseline-ref"]));
  console.log(`wrote ${values.out}`);
}
