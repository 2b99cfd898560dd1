// A long-lived forwarder: configuration, clients and the in-memory high-water marks of
// one process (a warm Lambda container, the CLI loop), so a run after a failed mark
// write sends nothing twice. `run()` is one cycle (see forward.ts).
import type { RemoteWriteClient } from "@scrape-reconciler/remote-write";
import { createForwarderRemoteWrite, type ForwarderClients } from "./clients";
import type { ForwardConfig } from "./config";
import { forwardOnce, type ForwardOptions, type ForwardSummary } from "./forward";
import { HighWaterMarks, s3MarkStorage, type MarkStorage } from "./high-water";

export interface ForwarderInit {
  config: ForwardConfig;
  clients: ForwarderClients;
  /** Default: built from config.remoteWrite (SigV4 for AMP). */
  remoteWrite?: RemoteWriteClient;
  /** Default: the S3 object config.state names. */
  storage?: MarkStorage;
  /** Clock for the query window (default Date.now). */
  now?: () => number;
  env?: Record<string, string | undefined>;
}

export interface Forwarder {
  readonly config: ForwardConfig;
  readonly marks: HighWaterMarks;
  run(opts?: ForwardOptions): Promise<ForwardSummary>;
}

export function createForwarder(init: ForwarderInit): Forwarder {
  const { config, clients } = init;
  const now = init.now ?? Date.now;
  const storage = init.storage ?? s3MarkStorage(clients.s3, config.state.bucket, config.state.key);
  const marks = new HighWaterMarks(storage, { now });
  const remoteWrite = init.remoteWrite ?? createForwarderRemoteWrite(config, init.env ?? process.env);
  let running = false;
  return {
    config,
    marks,
    async run(opts = {}) {
      // Two overlapping cycles would send the same samples (and the second gets "out of order").
      if (running) throw new Error("a forward cycle is already running in this process");
      running = true;
      try {
        return await forwardOnce({ config, clients, remoteWrite, marks, now }, opts);
      } finally {
        running = false;
      }
    },
  };
}
