// No configured secret in any log line of any entry point. Each entry point runs with a
// secret configured, against a receiver or an AWS endpoint that fails (and, for remote
// write, echoes the whole request back in its error body), while everything written to
// stdout and stderr is captured:
//  - the forward function (functions/forward.ts, its real Powertools logger): a URL with
//    user:password@ fails its start with one masked line; a token in the URL's query is
//    sent, and the failed cycle's error lines carry it masked;
//  - `scrape-reconciler forward --once`: the same URL refused with exit 2 and one masked
//    line; the token masked in the failed cycle's summary (exit 1);
//  - the sidecar with a role's external id: AssumeRole denied, then allowed with the
//    document missing; its JSON log lines never carry the id.
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "@scrape-reconciler/cli";
import { ConfigError } from "@scrape-reconciler/core";
import { runSidecar } from "@scrape-reconciler/sidecar";
import type { Simulator } from "@scrape-reconciler/sim";
import type { Context } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { forwarderEnv, STATE_BUCKET, startFleet } from "../packages/forwarder/test/helpers";

const PASSWORD = "pw-Vx93kQ7zL1";
const TOKEN = "tok-5b2f8c1e9d4a";
const EXTERNAL_ID = "ext-id-Q4m8R2w6";
const SECRETS = [PASSWORD, TOKEN, EXTERNAL_ID];
const ROLE = "arn:aws:iam::333333333333:role/prometheus-reader";

const context = {
  functionName: "forward",
  awsRequestId: "req-secrets",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:forward",
  memoryLimitInMB: "512",
  functionVersion: "$LATEST",
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

let sim: Simulator;
let receiver: Server;
let receiverUrl: string;
let posts = 0;
const written: string[] = [];
const savedEnv = { ...process.env };

/** Every secret found in a text (none expected). */
const leaked = (text: string) => SECRETS.filter((s) => text.includes(s));

async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 25));
  }
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
}

beforeAll(async () => {
  sim = await startFleet({
    get now() {
      return Date.now();
    },
  });
  // A receiver that always fails, quoting the request (URL and headers) in its answer, as
  // some proxies do; Retry-After: 0 keeps the client's retries instant.
  receiver = createServer((req, res) => {
    posts++;
    req.resume();
    req.on("end", () =>
      res
        .writeHead(500, { "Retry-After": "0", "Content-Type": "text/plain" })
        .end(`upstream failed for POST ${req.url} headers=${JSON.stringify(req.headers)}`),
    );
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/v1/write`;
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, "write").mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
  }
});
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
  Object.assign(process.env, savedEnv);
});
afterAll(async () => {
  vi.restoreAllMocks();
  await sim?.close();
  await new Promise((r) => receiver?.close(r));
});

const env = (url: string) => forwarderEnv(sim, { REMOTE_WRITE_URL: url, FORWARD_LOOKBACK: "10m", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" });
const withPassword = () => receiverUrl.replace("http://", `http://scraper:${PASSWORD}@`);
const withToken = () => `${receiverUrl}?tenant=team-a&api_key=${TOKEN}`;

let loads = 0;
/** The handler module evaluated afresh (its configuration is read at module scope); the packages it imports stay shared. */
async function loadHandler(vars: Record<string, string>): Promise<typeof import("../functions/forward")["handler"]> {
  Object.assign(process.env, vars, { POWERTOOLS_LOG_LEVEL: "INFO", POWERTOOLS_METRICS_DISABLED: "true" });
  const mod = (await import(/* @vite-ignore */ `../functions/forward.ts?load=${++loads}`)) as typeof import("../functions/forward");
  return mod.handler;
}

describe("the forward function", () => {
  it("refuses a URL with user:password@ at start, with one masked line", async () => {
    const from = written.length;
    const err = await loadHandler(env(withPassword())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as ConfigError).message;
    expect(message.split("\n")).toHaveLength(1);
    expect(message).toContain("REMOTE_WRITE_URL=http://scraper:***@127.0.0.1:");
    expect(leaked(message)).toEqual([]);
    expect(leaked(written.slice(from).join(""))).toEqual([]);
  });

  it("sends a query token but never logs it, though the receiver echoes it", async () => {
    const from = written.length;
    const before = posts;
    const handler = await loadHandler(env(withToken()));
    const summary = (await handler(undefined, context)) as { ok: boolean; errors: string[] };
    expect(posts - before).toBe(5); // the token went out, retried 5 times
    expect(summary.ok).toBe(false);
    expect(summary.errors.join("\n")).toMatch(/HTTP 500: upstream failed for POST \/api\/v1\/write\?tenant=team-a&api_key=\*\*\*/);
    const logged = written.slice(from).join("");
    expect(logged).toContain("forwarded with errors");
    expect(logged).toContain("api_key=***");
    expect(leaked(JSON.stringify(summary))).toEqual([]);
    expect(leaked(logged)).toEqual([]);
  });
});

describe("scrape-reconciler forward --once", () => {
  it("exits 2 with one masked line for a URL with user:password@", async () => {
    const from = written.length;
    const c = capture();
    expect(await main(["forward", "--once"], env(withPassword()), c.io)).toBe(2);
    expect(c.out).toEqual([]);
    expect(c.err).toHaveLength(1);
    expect(c.err[0]).toMatch(
      /^scrape-reconciler forward: configuration: REMOTE_WRITE_URL=http:\/\/scraper:\*\*\*@127\.0\.0\.1:\d+\/api\/v1\/write has credentials in the URL/,
    );
    expect(leaked(c.err.join("\n"))).toEqual([]);
    expect(leaked(written.slice(from).join(""))).toEqual([]);
  });

  it("exits 1 for a failing receiver, the token masked in every line (also with SCRAPE_RECONCILER_DEBUG)", async () => {
    const from = written.length;
    const c = capture();
    expect(await main(["forward", "--once", "--json"], { ...env(withToken()), SCRAPE_RECONCILER_DEBUG: "1" }, c.io)).toBe(1);
    const text = [...c.out, ...c.err].join("\n");
    expect(text).toContain("api_key=***");
    expect(leaked(text)).toEqual([]);
    const debug = capture();
    expect(await main(["forward", "--once"], { ...env(withPassword()), SCRAPE_RECONCILER_DEBUG: "1" }, debug.io)).toBe(2);
    expect(leaked(debug.err.join("\n"))).toEqual([]);
    expect(leaked(written.slice(from).join(""))).toEqual([]);
  });
});

describe("the sidecar", () => {
  it("never logs the role's external id: AssumeRole denied, then the document missing", async () => {
    const from = written.length;
    const lines = () => written.slice(from).join("");
    const out: string[] = [];
    const dir = mkdtempSync(join(tmpdir(), "secrets-sidecar-"));
    const source = `s3://${STATE_BUCKET}/targets/ecs-services.json?role=${ROLE}&external-id=${EXTERNAL_ID}`;
    let stop: () => void = () => {};
    const stopped = new Promise<void>((r) => {
      stop = r;
    });
    sim.setFaults({ deny: { "sts:AssumeRole": "AccessDeniedException" } });
    const run = runSidecar(
      ["--source", source, "--output", join(dir, "targets.json"), "--interval", "1s", "--max-backoff", "1s"],
      { ...sim.endpointEnv(), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
      { stdout: (t) => void out.push(t), stderr: (t) => void out.push(t), until: stopped },
    );
    try {
      await until(() => lines().includes("access_denied"));
      sim.setFaults(null);
      await until(() => lines().includes("not_found"));
    } finally {
      sim.setFaults(null);
      stop();
    }
    expect(await run).toBe(0);
    expect([...sim.state.sts.sessions.values()].some((s) => s.roleArn === ROLE)).toBe(true); // the id was sent
    expect(leaked(lines())).toEqual([]);
    expect(leaked(out.join(""))).toEqual([]);
  }, 30_000);
});
