// The offline demo of the whole pipeline on this machine: the local AWS simulator with real
// /metrics servers on the task IPs, the stack deployed on the emulator (its rules, queue,
// schedules and functions), the sidecar and a real Prometheus, playing a script of everyday
// changes and failures. Also the pieces the benchmarks reuse.
export { runDemo, DEMO_SCENARIO, type DemoOptions } from "./run";
export { Printer, percentiles, seconds, type DemoIo } from "./output";
export { startStack, DemoStack, DemoStackError, FILE_SD_JOB, DEMO_STAGE, DEMO_STAGE_CONFIG, type StackOptions, type StackHooks, type DemoParts } from "./stack";
export { deployedSettings, functionOf, StackSettingsError, type DeployedSettings } from "./settings";
export { EventPipeline, PipelineError, pairBatch, batchReport, type BatchReport, type PipelineOptions, type PipelineHooks } from "./pipeline";
export { FunctionLogs, parseRecord, parseReport, parseStart, parseInvokeError, type InvocationRecord, type LogRecord } from "./function-logs";
export { DelayTracker, delays, documentTargets, type TrackedChange, type TrackedStage } from "./tracker";
export { Lifecycle } from "./lifecycle";
export { MetricsFleet, taskEndpoints } from "./fleet";
export { findPrometheus, startPrometheus, activeTargets, query, prometheusConfig, freePort, type PrometheusProcess } from "./prometheus";
export { Narrator } from "./narrator";
export { MANUAL_RECONCILE, type ReconciledSummary } from "./acts-changes";
