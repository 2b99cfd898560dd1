// Public surface of the sidecar: the CLI entry (`sidecarMain`, `runSidecar`), the embeddable
// `startSidecar`, and the pieces (config, sources, atomic write, sync loop) for reuse and tests.
export { sidecarMain, runSidecar, startSidecar, type SidecarHandle, type StartOptions, type RunIo } from "./main";
export {
  ConfigError,
  USAGE,
  parseConfig,
  parseDuration,
  parseListen,
  parseSource,
  describeSource,
  type SidecarConfig,
  type SourceSpec,
  type ListenAddress,
} from "./config";
export { writeFileAtomic, tempPathFor, AtomicWriteError, type AtomicFs } from "./atomic-write";
export {
  s3Source,
  ssmSource,
  fileSource,
  createSource,
  createS3Client,
  createSsmClient,
  parseManifest,
  sha256Hex,
  SourceError,
  type Source,
  type SourceState,
  type FetchResult,
  type S3Like,
  type SsmLike,
} from "./sources";
export { Syncer, backoffDelay, errorReason, type SyncOutcome, type AppliedDocument } from "./sync";
export { createMetrics, type SidecarMetrics } from "./metrics";
export { startServer, health, type SidecarServer } from "./server";
export { createLogger, silentLogger, type Logger } from "./log";
