// Public surface of the sidecar: the CLI entry (`sidecarMain`, `runSidecar`), the embeddable
// `startSidecar`, and the pieces (config, sources and their roles, the sharded index source
// and its --shard-dir, atomic write, sync loop, the union of several sources) for reuse and tests.
export { sidecarMain, runSidecar, startSidecar, type SidecarHandle, type SourceHandle, type StartOptions, type RunIo } from "./main";
export {
  ConfigError,
  USAGE,
  parseConfig,
  DEFAULT_INTERVAL_MS,
  parseDuration,
  parseListen,
  parseSource,
  describeSource,
  sourcesOf,
  type SidecarConfig,
  type SourceSpec,
  type SourceConfig,
  type ListenAddress,
} from "./config";
export { parseSourceEntry, defaultSourceName, describeSourceConfig, roleAccount, isIndexSource, INDEX_KEY_SUFFIX, SOURCE_OPTIONS } from "./source-config";
export { indexSource, type IndexFetchOptions, type IndexSource, type IndexSourceOptions } from "./index-source";
export { ShardDir, ShardDirError, type ShardDirOptions } from "./shard-dir";
export { roleCredentials, sessionNameFor, AssumeRoleError, type RoleCredentials, type RoleCredentialsOptions } from "./credentials";
export { Union, labelWithSource, unionHealth, SOURCE_LABEL, type UnionMember, type CombinedDocument } from "./union";
export { writeFileAtomic, tempPathFor, AtomicWriteError, type AtomicFs } from "./atomic-write";
export {
  s3Source,
  ssmSource,
  fileSource,
  createSource,
  createS3Client,
  createSsmClient,
  createStsClient,
  parseManifest,
  followedIndex,
  sha256Hex,
  SourceError,
  type Source,
  type SourceState,
  type FetchResult,
  type S3Like,
  type SsmLike,
  type SourceAccess,
  type VerifiedShard,
  type CheckedManifest,
} from "./sources";
export { Syncer, backoffDelay, errorReason, type SyncOutcome, type AppliedDocument } from "./sync";
export { createMetrics, type SidecarMetrics, type SourceLabels } from "./metrics";
export { startServer, health, syncerView, type SidecarServer, type SidecarView, type ServedDocument } from "./server";
export { createLogger, silentLogger, type Logger } from "./log";
