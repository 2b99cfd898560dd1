// The demo as a user runs it (`scrape-reconciler demo`, a child process, no TTY): it
// deploys the stack synthesised from sst.config.ts on the emulator and states the deployed
// event-source settings, the deploy's own invocation publishes generation 1, the events go
// through the stack's queue and publish later generations, the sidecar's file and
// Prometheus follow, it stops at --duration or on SIGINT leaving no Prometheus process and
// no temporary folder behind, and without Prometheus it says so in one line and goes on.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { findPrometheus } from "../src/prometheus";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const scenario = join(root, "packages", "demo", "scenarios", "demo.json");
const hasPrometheus = findPrometheus() !== undefined;

interface Run {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
}

const children = new Set<ChildProcess>();

function demo(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, ["bin/scrape-reconciler.mjs", "demo", ...args], {
    cwd: root,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return {
    child,
    out: () => out,
    exited,
    waitFor: async (re, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = re.exec(out);
        if (m) return m;
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${re} in the demo's output:\n${out.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** PIDs of processes whose working directory is under `dir` (the functions' execution environments run in their bundle folders). */
function processesIn(dir: string): number[] {
  if (!existsSync("/proc/self/cwd")) return [];
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/cwd`).startsWith(dir);
      } catch {
        return false; // gone, or not ours to read
      }
    })
    .map(Number);
}

/** The Prometheus PID and temp folder the demo reported, checked gone, and no function process left in it. */
function assertCleanedUp(out: string): void {
  const stopped = /stopped: .*?(?:prometheus pid (\d+) (exited|STILL RUNNING))?(?:, (\/\S+) removed)?$/m.exec(out);
  expect(stopped, out.slice(-2000)).not.toBeNull();
  const dir = /(\S*scrape-reconciler-demo-\w+) removed/.exec(out)?.[1];
  expect(dir).toBeDefined();
  expect(existsSync(dir!)).toBe(false);
  expect(processesIn(dir!)).toEqual([]);
  if (hasPrometheus) {
    const pid = Number(/Prometheus\s+\S+, pid (\d+)/.exec(out)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(out).toContain(`prometheus pid ${pid} exited`);
    expect(alive(pid)).toBe(false);
  }
}

afterEach(() => {
  for (const c of children) if (c.pid) process.kill(c.pid, "SIGKILL");
});

describe("scrape-reconciler demo", () => {
  it("deploys the stack, publishes generations that reach the sidecar's file and Prometheus, then stops at --duration", async () => {
    const run = demo(["--scenario", scenario, "--duration", "80s"]);
    expect(await run.exited).toBe(0);
    const out = run.out();
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the ESC that starts an ANSI colour sequence
    expect(out).not.toMatch(/\x1b\[/); // no TTY: plain lines
    expect(out).toMatch(/\/metrics servers\s+[1-9]\d* real endpoints on the task IPs/);
    // The deployed settings, read from the synthesised stack (infra/reconcile.ts).
    expect(out).toMatch(/event path\s+rules \S+, \S+ → queue ReconcileEvents: batch window 0 s, ≤10 events, 2 at once → scrape-reconciler-demo-reconcile/);
    expect(out).toMatch(/stack\s+deployed: 2 functions/);
    // The deploy's own invocation is the first reconcile; the manual invoke after it writes nothing.
    expect(out).toMatch(/reconcile\s+ReconcileOnDeploy: full discovery: 3 namespaces/);
    expect(out).toMatch(/document\s+generation 1: (\d+) targets in s3:\/\/scrape-reconciler-demo-\S+\/targets\/ecs-services\.json/);
    const targets = Number(/generation 1: (\d+) targets/.exec(out)![1]);
    expect(targets).toBeGreaterThan(10);
    expect(out).toMatch(/skipped internal\.demo\.local\/admin: METRICS_PORT="80800"/);
    expect(out).toMatch(/manual invoke \{"action":"reconcile","dryRun":false\} .*no write \(same sha256\), generation stays 1/);
    expect(out).toMatch(/sidecar\s+file → generation 1 \(\d+ targets\)/);
    // the rolling deployment's events publish later generations through the stack's queue
    expect(out).toMatch(/reconcile\s+batch \d+ · \d+ events .*→ generation [2-9]/);
    // The second account: its own simulator and document, read by the same sidecar from S3.
    expect(out).toMatch(/second account\s+210987654321 in eu-west-1 .*: 2 services, 3 tasks/);
    expect(out).toMatch(
      /--source 'ssm:\S+\?name=123456789012&region=us-east-1' --source 's3:\/\/scrape-reconciler-eu-targets\/targets\/ecs-services\.json\?name=210987654321&region=eu-west-1' --output-dir /,
    );
    expect(out).toMatch(/sidecar\s+account 210987654321: file → generation 1 \(3 targets\)/);
    if (hasPrometheus) {
      // Each account's targets, labelled by Prometheus' relabelling of the document's account and region.
      expect(out).toMatch(
        /active targets by account: .*123456789012 \(us-east-1\) → \d+.*210987654321 \(eu-west-1\) → 3|active targets by account: .*210987654321 \(eu-west-1\) → 3.*123456789012 \(us-east-1\) → \d+/,
      );
      expect(out).toMatch(new RegExp(`prometheus\\s+active targets \\+${targets} -0 = ${targets}`));
      expect(out).toMatch(/Open the Prometheus UI: http:\/\/127\.0\.0\.1:\d+\/targets/);
    }
    expect(out).toContain("stopping (--duration 80s reached)");
    assertCleanedUp(out);
  }, 180_000);

  it("stops everything on SIGINT in the middle of an act", async () => {
    const run = demo(["--scenario", scenario]);
    await run.waitFor(/Act 3 · a rolling deployment/, 150_000);
    await run.waitFor(/aws\s+\S+ task \S+ RUNNING/, 20_000);
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(0);
    expect(run.out()).toContain("stopping (SIGINT)");
    assertCleanedUp(run.out());
  }, 240_000);

  it("says in one line that Prometheus is missing and goes on without it", async () => {
    // Stopped by SIGINT once the sidecar has the first document: no wall-clock --duration,
    // which a loaded machine's slow synthesis could use up before the deploy.
    const run = demo([], { PROMETHEUS_BIN: join(root, "no-such-prometheus") });
    await run.waitFor(/sidecar\s+file → generation 1/, 150_000);
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(0);
    const out = run.out();
    expect(out.match(/prometheus is not installed/g)).toHaveLength(1);
    expect(out).toMatch(/sidecar\s+file → generation 1/);
    expect(out).not.toMatch(/prometheus\s+active targets/);
    expect(out).toMatch(/stopped: .*removed/);
  }, 180_000);

  it("rejects a bad --duration with exit code 2", async () => {
    const run = demo(["--duration", "soon"]);
    expect(await run.exited).toBe(2);
    expect(run.out()).toMatch(/--duration: not a duration/);
  }, 30_000);
});
