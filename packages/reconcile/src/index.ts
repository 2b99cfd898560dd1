// The reconcile: one orchestration with two entry points, both ending in the store's
// updateStateAndPublish. The full reconcile (full.ts: discover everything, merge, publish)
// and the event batch (batch.ts: the events' reads, then one state write); settle.ts decides
// which one a batch takes, handle.ts is the function's input router (SQS batch, schedule,
// manual invoke, one event) with its schemas (schemas.ts), event normalisation
// (normalize.ts) and metrics (metrics.ts). The configuration (config.ts) and the AWS
// clients (clients.ts) are created once by the caller and passed in.
export * from "./clients";
export * from "./config";
export * from "./schemas";
export * from "./normalize";
export * from "./full";
export * from "./batch";
export * from "./settle";
export * from "./handle";
export * from "./metrics";
