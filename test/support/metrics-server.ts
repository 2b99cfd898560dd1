// Tiny real HTTP servers that answer GET /metrics in the Prometheus text format, on free
// 127.0.0.1 ports: scrape targets for end-to-end tests. Each counts the scrapes it served.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface MetricsServer {
  port: number;
  /** `127.0.0.1:PORT`, the form a file_sd target takes. */
  target: string;
  url: string;
  scrapes(): number;
}

export interface MetricsServers {
  servers: MetricsServer[];
  targets: string[];
  close(): Promise<void>;
}

function startOne(index: number): Promise<{ server: Server; info: MetricsServer }> {
  let scrapes = 0;
  const server = createServer((req, res) => {
    if (req.url?.split("?")[0] === "/metrics") {
      scrapes++;
      const body = `# HELP test_target_info A test target.\n# TYPE test_target_info gauge\ntest_target_info{index="${index}"} 1\n# TYPE test_target_scrapes_total counter\ntest_target_scrapes_total ${scrapes}\n`;
      res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" });
      res.end(body);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        server,
        info: { port, target: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}/metrics`, scrapes: () => scrapes },
      });
    });
  });
}

/** Starts `n` /metrics servers. */
export async function startMetricsServers(n: number): Promise<MetricsServers> {
  const started = await Promise.all(Array.from({ length: n }, (_, i) => startOne(i)));
  return {
    servers: started.map((s) => s.info),
    targets: started.map((s) => s.info.target),
    close: async () => {
      await Promise.all(
        started.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.server.close(() => resolve());
              s.server.closeAllConnections();
            }),
        ),
      );
    },
  };
}
