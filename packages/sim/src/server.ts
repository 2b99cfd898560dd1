// The simulator's HTTP server: one node:http listener for every service. Routes each
// request to a service handler (X-Amz-Target prefix, SigV4 signing name), decodes
// aws-chunked bodies and `Expect: 100-continue`, applies latency and injected faults,
// refuses expired or revoked STS session keys, caps page sizes, counts and logs every call
// (with the access key it was signed with), and renders errors per protocol.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CallLog } from "./calls";
import { decodeAwsChunked, isAwsChunked } from "./chunked";
import { AwsError } from "./errors";
import { FaultInjector, faultError, type FaultConfig } from "./faults";
import { SimError } from "./ids";
import { serviceHandlers } from "./services/index";
import type { HandlerContext, PageLimitSpec, ServiceHandler, SimRequest, SimResponse } from "./services/types";
import type { SimState } from "./state";

/** Milliseconds for every call, or per `service:Operation` with an optional `default`. */
export type LatencyConfig = number | Record<string, number>;

/** Max page size per `service:Operation`, `service:*` or `*` (all paginated operations). */
export type PageSizes = Record<string, number>;

export interface ServerOptions {
  state: SimState;
  port?: number;
  host?: string;
  latencyMs?: LatencyConfig;
  pageSizes?: PageSizes;
  faults?: FaultConfig | null;
  /** Extra or replacement handlers by route key (see ServiceHandler.route). */
  handlers?: Record<string, ServiceHandler>;
}

export interface SimServer {
  url: string;
  /** The registered handlers (built-in and extra), by route key. */
  handlers: Record<string, ServiceHandler>;
  host: string;
  port: number;
  calls: CallLog;
  setFaults(config: FaultConfig | null): void;
  setLatency(latency: LatencyConfig): void;
  setPageSizes(sizes: PageSizes | null): void;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `json:<target prefix>`, `query:<signing name>` or `rest:<signing name>`. */
/** The access key id a SigV4 request is signed with (`Credential=KEY/...`). */
export function accessKeyOf(req: IncomingMessage): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(String(req.headers.authorization ?? ""))?.[1];
}

export function routeKey(req: IncomingMessage): string {
  const target = req.headers["x-amz-target"];
  if (typeof target === "string" && target.includes(".")) return `json:${target.slice(0, target.indexOf("."))}`;
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(String(req.headers.authorization ?? ""))?.[1];
  const form = String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
  if (req.method === "POST" && form && (req.url ?? "/").split("?")[0] === "/") return `query:${scope ?? "unknown"}`;
  return `rest:${scope ?? "s3"}`;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export async function startServer(opts: ServerOptions): Promise<SimServer> {
  const state = opts.state;
  const handlers = { ...serviceHandlers, ...(opts.handlers ?? {}) };
  const calls = new CallLog();
  const faults = new FaultInjector(state.seed);
  if (opts.faults) faults.set(opts.faults);
  let latency: LatencyConfig = opts.latencyMs ?? 0;
  let pageSizes: PageSizes = { ...(opts.pageSizes ?? {}) };

  const latencyFor = (key: string, service: string): number =>
    typeof latency === "number" ? latency : (latency[key] ?? latency[`${service}:*`] ?? latency.default ?? 0);

  const send = (res: ServerResponse, method: string, r: SimResponse) => {
    const body = r.body === undefined || method === "HEAD" || r.status === 304 || r.status === 204 ? undefined : Buffer.from(r.body);
    const headers: Record<string, string> = { ...(r.headers ?? {}) };
    if (body !== undefined || !("content-length" in headers)) headers["content-length"] = String(body?.length ?? 0);
    if (r.status === 304 || r.status === 204) delete headers["content-length"];
    res.writeHead(r.status, headers);
    res.end(body);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const raw = await readBody(req);
    const url = new URL(req.url ?? "/", "http://sim");
    const requestId = state.ids.uuid("request");
    const handler = handlers[routeKey(req)];
    const accessKeyId = accessKeyOf(req);
    let body = raw;
    let trailers: Record<string, string> = {};
    const simReq: SimRequest = { method: req.method ?? "GET", path: url.pathname, query: url.searchParams, headers: req.headers, body, trailers, requestId };
    if (!handler) {
      send(res, simReq.method, {
        status: 400,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ __type: "UnknownServiceException", message: `No simulated service for ${routeKey(req)}` }),
      });
      return;
    }
    let operation = "Unknown";
    let fault: "rate" | "deny" | "queued" | undefined;
    let response: SimResponse;
    let errorCode: string | undefined;
    try {
      if (isAwsChunked(req.headers)) ({ body, trailers } = decodeAwsChunked(raw));
      simReq.body = body;
      simReq.trailers = trailers;
      operation = handler.operation(simReq);
      const key = `${handler.service}:${operation}`;
      const delay = latencyFor(key, handler.service);
      if (delay > 0) await sleep(delay);
      // A session key that expired or was revoked is refused before anything else, as AWS does.
      const refused = state.sts.refusal(accessKeyId);
      if (refused) {
        throw faultError(handler.protocol, refused === "expired" ? "ExpiredToken" : "AccessDeniedException", {
          accountId: state.accountId,
          iamAction: handler.iamAction(operation),
        });
      }
      const injected = faults.pick(handler.service, operation);
      if (injected) {
        fault = injected.kind;
        throw faultError(handler.protocol, injected.error, { accountId: state.accountId, iamAction: handler.iamAction(operation) });
      }
      const ctx: HandlerContext = { state, key, pageSize: (requested, spec) => pageSize(key, handler.service, requested, spec) };
      response = await handler.handle(operation, simReq, ctx);
      if (response.status === 304) errorCode = "NotModified";
    } catch (e) {
      const err =
        e instanceof AwsError
          ? e
          : e instanceof SimError
            ? new AwsError("ValidationException", e.message)
            : new AwsError(handler.protocol === "json" ? "InternalFailure" : "InternalError", `Simulator failure: ${(e as Error).message}`, 500);
      if (!(e instanceof AwsError)) process.stderr.write(`sim: ${handler.service}:${operation} failed: ${(e as Error).stack ?? e}\n`);
      errorCode = err.code;
      response = handler.error(err, simReq);
    }
    response.headers = { ...(response.headers ?? {}), [handler.protocol === "s3" ? "x-amz-request-id" : "x-amzn-requestid"]: requestId };
    send(res, simReq.method, response);
    calls.record({
      key: `${handler.service}:${operation}`,
      service: handler.service,
      operation,
      iamAction: operation === "Unknown" ? `${handler.service}:Unknown` : handler.iamAction(operation),
      readOnly: handler.readOnly(operation),
      time: started,
      durationMs: Date.now() - started,
      status: response.status,
      ...(handler.protocol === "s3" ? { path: simReq.path } : {}),
      ...(accessKeyId !== undefined ? { accessKeyId } : {}),
      ...(errorCode !== undefined ? { error: errorCode } : {}),
      ...(fault !== undefined ? { fault } : {}),
    });
  }

  function pageSize(key: string, service: string, requested: number | undefined, spec: PageLimitSpec): number {
    if (requested !== undefined && (!Number.isInteger(requested) || requested < 1 || requested > spec.max)) {
      throw new AwsError(spec.errorCode ?? "InvalidParameterException", `${spec.field ?? "MaxResults"} must be between 1 and ${spec.max}, got ${requested}`);
    }
    const n = requested ?? spec.default ?? spec.max;
    const cap = pageSizes[key] ?? pageSizes[`${service}:*`] ?? pageSizes["*"];
    return cap !== undefined ? Math.min(n, cap) : n;
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((e: unknown) => {
      process.stderr.write(`sim: request failed: ${(e as Error).stack ?? e}\n`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };
  const server: Server = createServer(onRequest);
  server.on("checkContinue", (req, res) => {
    res.writeContinue();
    onRequest(req, res);
  });
  server.keepAliveTimeout = 5_000;
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${host}:${port}`,
    handlers,
    host,
    port,
    calls,
    setFaults: (config) => faults.set(config),
    setLatency: (l) => {
      if (typeof l === "number" ? !(l >= 0) : Object.values(l).some((v) => !(v >= 0))) throw new SimError("latency must be >= 0 ms");
      latency = l;
    },
    setPageSizes: (sizes) => {
      for (const [k, v] of Object.entries(sizes ?? {}))
        if (!Number.isInteger(v) || v < 1) throw new SimError(`page size for ${k} must be a positive integer, got ${v}`);
      pageSizes = { ...(sizes ?? {}) };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
