// `scrape-reconciler invoke`: name resolution, the payload sent, the summary
// printed, and one-line failures. A fake client checks the logic; a local
// HTTP endpoint speaking Lambda's Invoke API checks the real SDK client path.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { InvokeCommand } from "@aws-sdk/client-lambda";
import { afterEach, describe, expect, it } from "vitest";
import { invokeCommand, resolveFunctionName, type LambdaInvoker } from "../src/commands/invoke";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
}

function fakeLambda(reply: { FunctionError?: string; Payload?: string }) {
  const calls: InvokeCommand["input"][] = [];
  const lambda: LambdaInvoker = {
    async send(command) {
      calls.push(command.input);
      return {
        StatusCode: 200,
        FunctionError: reply.FunctionError,
        Payload: reply.Payload === undefined ? undefined : (new TextEncoder().encode(reply.Payload) as never),
      };
    },
  };
  return { lambda, calls };
}

const emptyDir = () => mkdtempSync(join(tmpdir(), "sr-invoke-"));
const SUMMARY = { generation: 7, targets: 12, added: 1, removed: 0, written: true };

describe("invoke: function name", () => {
  it("takes --function, then outputs.json of the same stage, then the naming convention", () => {
    const dir = emptyDir();
    expect(resolveFunctionName("prod", "custom-fn", dir)).toEqual({ name: "custom-fn", from: "--function" });
    expect(resolveFunctionName("prod", undefined, dir)).toEqual({ name: "scrape-reconciler-prod-reconcile", from: "naming convention" });
    mkdirSync(join(dir, ".sst"));
    writeFileSync(join(dir, ".sst", "outputs.json"), JSON.stringify({ reconcileFunction: "renamed-prod-reconcile" }));
    expect(resolveFunctionName("prod", undefined, dir)).toEqual({ name: "renamed-prod-reconcile", from: ".sst/outputs.json" });
    // outputs.json of another stage's deploy is not used for this one.
    expect(resolveFunctionName("dev", undefined, dir)).toEqual({ name: "scrape-reconciler-dev-reconcile", from: "naming convention" });
  });
});

describe("invoke with a fake Lambda client", () => {
  it("sends the reconcile action with dryRun and prints the summary", async () => {
    const { lambda, calls } = fakeLambda({ Payload: JSON.stringify(SUMMARY) });
    const c = capture();
    expect(await invokeCommand(["--stage", "prod", "--dry-run"], {}, c.io, { lambda, cwd: emptyDir() })).toBe(0);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.FunctionName).toBe("scrape-reconciler-prod-reconcile");
    expect(calls[0]!.InvocationType).toBe("RequestResponse");
    expect(JSON.parse(new TextDecoder().decode(calls[0]!.Payload as Uint8Array))).toEqual({ action: "reconcile", dryRun: true });
    expect(JSON.parse(c.out.join("\n"))).toEqual(SUMMARY);
    expect(c.err).toEqual([]);
  });

  it("without --dry-run asks for a real reconcile", async () => {
    const { lambda, calls } = fakeLambda({ Payload: JSON.stringify(SUMMARY) });
    expect(await invokeCommand(["--stage", "prod", "--function", "f"], {}, capture().io, { lambda, cwd: emptyDir() })).toBe(0);
    expect(JSON.parse(new TextDecoder().decode(calls[0]!.Payload as Uint8Array))).toEqual({ action: "reconcile", dryRun: false });
    expect(calls[0]!.FunctionName).toBe("f");
  });

  it("a function error exits 1 with one line: type and message", async () => {
    const payload = JSON.stringify({ errorType: "PublishError", errorMessage: "PutObject: 412 Precondition Failed\nat ...", trace: ["a", "b"] });
    const { lambda } = fakeLambda({ FunctionError: "Unhandled", Payload: payload });
    const c = capture();
    expect(await invokeCommand(["--stage", "prod"], {}, c.io, { lambda, cwd: emptyDir() })).toBe(1);
    expect(c.err).toEqual(["scrape-reconciler invoke: scrape-reconciler-prod-reconcile failed (Unhandled): PublishError: PutObject: 412 Precondition Failed"]);
    expect(c.out).toEqual([]);
  });

  it("a reply that is not JSON exits 1", async () => {
    const { lambda } = fakeLambda({ Payload: "null-ish garbage" });
    const c = capture();
    expect(await invokeCommand(["--stage", "prod"], {}, c.io, { lambda, cwd: emptyDir() })).toBe(1);
    expect(c.err[0]).toMatch(/returned no JSON summary: null-ish garbage$/);
  });

  it("usage errors exit 2 with one line", async () => {
    const { lambda, calls } = fakeLambda({ Payload: "{}" });
    for (const args of [[], ["--stage"], ["--stage", "Prod!"], ["--stage", "prod", "--bogus"]]) {
      const c = capture();
      expect(await invokeCommand(args, {}, c.io, { lambda, cwd: emptyDir() }), args.join(" ")).toBe(2);
      expect(c.err).toHaveLength(1);
      expect(c.err[0]).toMatch(/^scrape-reconciler invoke: /);
    }
    expect(calls).toEqual([]);
  });

  it("an AWS error (denied) is one line, exit 1", async () => {
    const lambda: LambdaInvoker = {
      async send() {
        throw Object.assign(new Error("User: arn:aws:iam::1:user/x is not authorized to perform: lambda:InvokeFunction"), { name: "AccessDeniedException" });
      },
    };
    const c = capture();
    expect(await invokeCommand(["--stage", "prod"], {}, c.io, { lambda, cwd: emptyDir() })).toBe(1);
    expect(c.err).toHaveLength(1);
    expect(c.err[0]).toMatch(/^scrape-reconciler invoke: AWS denied the call: .*lambda:InvokeFunction/);
  });
});

describe("invoke with the real SDK client against a local Lambda endpoint", () => {
  let server: Server | undefined;
  const saved = { ...process.env };
  afterEach(async () => {
    process.env = { ...saved };
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  async function endpoint(handler: (req: IncomingMessage, body: string) => { status: number; headers?: Record<string, string>; body: string }) {
    const seen: { method: string; url: string; body: string; auth: string }[] = [];
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        seen.push({ method: req.method ?? "", url: req.url ?? "", body, auth: String(req.headers.authorization ?? "") });
        const r = handler(req, body);
        res.writeHead(r.status, { "content-type": "application/json", ...r.headers });
        res.end(r.body);
      });
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
    const port = (server!.address() as { port: number }).port;
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${port}`,
      AWS_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "secret",
      AWS_EC2_METADATA_DISABLED: "true",
    });
    return seen;
  }

  it("POSTs the payload to the function's invocations path, signed, and prints the summary", async () => {
    const seen = await endpoint(() => ({ status: 200, body: JSON.stringify(SUMMARY) }));
    const c = capture();
    expect(await invokeCommand(["--stage", "staging", "--dry-run"], process.env, c.io, { cwd: emptyDir() })).toBe(0);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe("POST");
    expect(seen[0]!.url).toBe("/2015-03-31/functions/scrape-reconciler-staging-reconcile/invocations");
    expect(JSON.parse(seen[0]!.body)).toEqual({ action: "reconcile", dryRun: true });
    expect(seen[0]!.auth).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/lambda\/aws4_request/);
    expect(JSON.parse(c.out.join("\n"))).toEqual(SUMMARY);
  });

  it("X-Amz-Function-Error from the service becomes one line and exit 1", async () => {
    await endpoint(() => ({
      status: 200,
      headers: { "x-amz-function-error": "Unhandled" },
      body: JSON.stringify({ errorType: "Runtime.HandlerNotFound", errorMessage: "reconcile.handler is undefined or not exported" }),
    }));
    const c = capture();
    expect(await invokeCommand(["--stage", "staging"], process.env, c.io, { cwd: emptyDir() })).toBe(1);
    expect(c.err).toEqual([
      "scrape-reconciler invoke: scrape-reconciler-staging-reconcile failed (Unhandled): Runtime.HandlerNotFound: reconcile.handler is undefined or not exported",
    ]);
  });

  it("a missing function (404 from the service) is one line and exit 1", async () => {
    await endpoint(() => ({
      status: 404,
      headers: { "x-amzn-errortype": "ResourceNotFoundException" },
      body: JSON.stringify({ Type: "User", message: "Function not found: arn:aws:lambda:eu-west-1:1:function:scrape-reconciler-nope-reconcile" }),
    }));
    const c = capture();
    expect(await invokeCommand(["--stage", "nope"], process.env, c.io, { cwd: emptyDir() })).toBe(1);
    expect(c.err).toHaveLength(1);
    expect(c.err[0]).toMatch(/^scrape-reconciler invoke: .*Function not found/);
  });

  it("no credentials: one line, exit 1, no request sent", async () => {
    const seen = await endpoint(() => ({ status: 200, body: "{}" }));
    const empty = join(emptyDir(), "none");
    writeFileSync(empty, "");
    for (const k of [
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_SESSION_TOKEN",
      "AWS_PROFILE",
      "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
      "AWS_CONTAINER_CREDENTIALS_FULL_URI",
      "AWS_WEB_IDENTITY_TOKEN_FILE",
    ]) {
      delete process.env[k];
    }
    Object.assign(process.env, { AWS_CONFIG_FILE: empty, AWS_SHARED_CREDENTIALS_FILE: empty });
    const c = capture();
    expect(await invokeCommand(["--stage", "staging"], process.env, c.io, { cwd: emptyDir() })).toBe(1);
    expect(c.err).toEqual([
      "scrape-reconciler invoke: AWS credentials not found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with an IAM role",
    ]);
    expect(seen).toEqual([]);
  }, 30_000);
});
