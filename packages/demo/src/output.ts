// The demo's terminal output: act headings, one line per thing that happened, each with
// the seconds since the demo started and the stage it happened in (aws, stack, rules,
// reconcile, sidecar, prometheus...). On a TTY the stages are coloured and headings stand
// out; without one (a pipe, a log, a test) every line is plain text.

export interface DemoIo {
  out: (text: string) => void;
}

export type Stage = "aws" | "stack" | "rules" | "reconcile" | "document" | "sidecar" | "prometheus" | "audit" | "alarm" | "metrics" | "demo";

const STAGE_COLOUR: Record<Stage, number> = {
  aws: 33, // yellow
  stack: 90,
  rules: 90, // grey
  reconcile: 36, // cyan
  document: 32, // green
  sidecar: 34, // blue
  prometheus: 35, // magenta
  audit: 36,
  alarm: 31, // red
  metrics: 90,
  demo: 0,
};

export interface PrinterOptions {
  /** Colours and emphasis (default: the output is a TTY). */
  colour?: boolean;
  /** Zero of the timestamps (default: now). */
  startedAt?: number;
}

export class Printer {
  readonly colour: boolean;
  readonly startedAt: number;
  constructor(
    private readonly io: DemoIo,
    opts: PrinterOptions = {},
  ) {
    this.colour = opts.colour ?? false;
    this.startedAt = opts.startedAt ?? Date.now();
  }

  private paint(code: number, text: string): string {
    return this.colour && code ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  bold(text: string): string {
    return this.paint(1, text);
  }

  dim(text: string): string {
    return this.paint(2, text);
  }

  red(text: string): string {
    return this.paint(31, text);
  }

  green(text: string): string {
    return this.paint(32, text);
  }

  /** Seconds since the start, e.g. "[ 12.3s]". */
  clock(at = Date.now()): string {
    return `[${((at - this.startedAt) / 1000).toFixed(1).padStart(5)}s]`;
  }

  /** One event line: time, stage, text. */
  line(stage: Stage, text: string, at = Date.now()): void {
    this.io.out(`${this.dim(this.clock(at))} ${this.paint(STAGE_COLOUR[stage], stage.padEnd(10))} ${text}`);
  }

  /** A free line (explanations, tables). */
  say(text = ""): void {
    this.io.out(text);
  }

  /** An indented explanation under a heading. */
  note(text: string): void {
    for (const l of text.split("\n")) this.io.out(this.dim(`  ${l}`));
  }

  heading(title: string): void {
    const bar = "─".repeat(Math.max(4, 72 - title.length - 4));
    this.io.out("");
    this.io.out(this.bold(`── ${title} ${bar}`));
  }

  /** The act's result, set off from the event lines. */
  result(text: string): void {
    for (const l of text.split("\n")) this.io.out(`${this.bold("  =>")} ${l}`);
  }
}

/** "1.2 s", "850 ms", or "-" when unknown. */
export function seconds(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "-";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Median, p90 and max of a list (nearest rank), for the delay summaries. */
export function percentiles(values: number[]): { n: number; median: number; p90: number; p99: number; max: number } | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const pct = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  return { n: s.length, median: pct(50), p90: pct(90), p99: pct(99), max: s[s.length - 1]! };
}

/** "median 1.2 s (max 1.9 s, n=3)" or "-" for nothing. */
export function delaySummary(values: number[]): string {
  const p = percentiles(values);
  if (!p) return "-";
  return p.n === 1 ? seconds(p.median) : `median ${seconds(p.median)}, max ${seconds(p.max)} (n=${p.n})`;
}
