// The sidecar's HTTP endpoint (node:http, no framework):
//   GET /targets  the last verified document for Prometheus http_sd_configs (with several
//                 sources, their union); 503 until the first verified document, so
//                 Prometheus keeps the targets it has.
//   GET /metrics  the sidecar's own metrics (prom-client).
//   GET /healthz  200 once a verified document has been applied, or when a valid output
//                 file was already there at start (Prometheus has something to read, and
//                 the sidecar is doing its job of keeping it); 503 otherwise. Source
//                 errors after that do NOT fail the check: ECS would restart the task and
//                 Prometheus with it, which fixes nothing; alert on the metrics instead.
//                 With several sources: 200 while every source has a document (union.ts).
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import type { ListenAddress } from "./config";
import type { Logger } from "./log";
import type { SidecarMetrics } from "./metrics";
import type { Syncer } from "./sync";
import type { HealthView } from "./union";

export type { HealthView };

// node:http through require(), not an ESM import: on Node 22+ the ESM namespace of node:http
// reads all its exports, and the lazy ones load undici (WebSocket) and http2 with it:
// +13 MiB RSS for nothing (issue "Footprint", bench/sidecar-footprint.ts).
const { createServer } = createRequire(import.meta.url)("node:http") as typeof import("node:http");

/** The bytes /targets serves. */
export interface ServedDocument {
  bytes: Buffer;
  sha256: string;
  generation?: number;
}

/** What the endpoint serves: the document and the health (one source's Syncer, or the union of several). */
export interface SidecarView {
  targets(): ServedDocument | undefined;
  health(): HealthView;
}

/** The view of a single-source sidecar (`otherOutputValid`: its --output beside --output-dir was valid at start). */
export function syncerView(syncer: Syncer, otherOutputValid = false): SidecarView {
  return { targets: () => syncer.applied, health: () => health(syncer, otherOutputValid) };
}

export function health(syncer: Syncer, otherOutputValid = false): HealthView {
  const validAtStart = syncer.outputValidAtStart || otherOutputValid;
  const healthy = syncer.synced || validAtStart;
  return {
    healthy,
    body: {
      status: healthy ? "ok" : "waiting_for_first_document",
      synced: syncer.synced,
      outputValidAtStart: validAtStart,
      generation: syncer.applied?.generation ?? null,
      targets: syncer.applied?.targets ?? null,
      lastSuccess: syncer.lastSuccessAt ? new Date(syncer.lastSuccessAt).toISOString() : null,
      consecutiveErrors: syncer.consecutiveErrors,
      lastError: syncer.lastError ? { reason: syncer.lastError.reason, at: new Date(syncer.lastError.at).toISOString() } : null,
    },
  };
}

export interface SidecarServer {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, head: boolean, extra: Record<string, string> = {}): void {
  const buf = typeof body === "string" ? Buffer.from(body) : body;
  res.writeHead(status, { "Content-Type": type, "Content-Length": String(buf.length), "Cache-Control": "no-store", ...extra });
  res.end(head ? undefined : buf);
}

export function createHandler(view: SidecarView, metrics: SidecarMetrics, log: Logger) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? "/").split("?")[0];
    const head = req.method === "HEAD";
    if (req.method !== "GET" && !head) {
      send(res, 405, "text/plain; charset=utf-8", "method not allowed\n", false, { Allow: "GET, HEAD" });
      return;
    }
    try {
      switch (path) {
        case "/targets": {
          const doc = view.targets();
          if (!doc) {
            send(res, 503, "application/json", `${JSON.stringify({ error: "no verified document yet" })}\n`, head, { "Retry-After": "5" });
          } else {
            send(res, 200, "application/json", doc.bytes, head, {
              ...(doc.generation !== undefined ? { "X-Document-Generation": String(doc.generation) } : {}),
              ETag: `"${doc.sha256}"`,
            });
          }
          return;
        }
        case "/metrics": {
          const text = await metrics.registry.metrics();
          send(res, 200, metrics.registry.contentType, text, head);
          return;
        }
        case "/healthz": {
          const h = view.health();
          send(res, h.healthy ? 200 : 503, "application/json", `${JSON.stringify(h.body)}\n`, head);
          return;
        }
        default:
          send(res, 404, "text/plain; charset=utf-8", "not found\n", head);
      }
    } catch (err) {
      log.error("http handler failed", { path, error: (err as Error).message });
      if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", "internal error\n", head);
      else res.destroy();
    }
  };
}

export async function startServer(listen: ListenAddress, view: SidecarView, metrics: SidecarMetrics, log: Logger): Promise<SidecarServer> {
  const handler = createHandler(view, metrics, log);
  const server = createServer((req, res) => void handler(req, res));
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  const urlHost = addr.address === "::" || addr.address === "0.0.0.0" ? "127.0.0.1" : host;
  return {
    server,
    port: addr.port,
    url: `http://${urlHost}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
