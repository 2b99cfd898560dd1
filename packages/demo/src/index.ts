// The offline demo of the whole pipeline on this machine: the local AWS simulator with real
// /metrics servers on the task IPs, the event path, the sidecar and a real Prometheus,
// playing a script of everyday changes and failures. Also the pieces the benchmarks reuse.
export { runDemo, type DemoOptions } from "./run";
export { Printer, percentiles, seconds, type DemoIo } from "./output";
export { startStack, FILE_SD_JOB, DEMO_BUCKET, DEMO_CLIENT_OPTIONS, type DemoStack, type StackOptions } from "./stack";
export { EventPipeline, matchesRules, DEMO_QUEUE, type BatchReport, type PipelineOptions } from "./pipeline";
export { BatchingQueue, type QueueOptions } from "./queue";
export { DelayTracker, delays, documentTargets, type TrackedChange, type TrackedStage } from "./tracker";
export { Lifecycle } from "./lifecycle";
export { MetricsFleet, taskEndpoints } from "./fleet";
export { findPrometheus, startPrometheus, activeTargets, query, prometheusConfig, freePort, type PrometheusProcess } from "./prometheus";
export { Narrator } from "./narrator";
export { scheduledEvent } from "./acts-safety";
