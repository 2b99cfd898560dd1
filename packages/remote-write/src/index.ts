// Public surface of the remote-write 1.0 client: the client, its types and errors, and the
// wire-level pieces (protobuf encoder, snappy, SigV4) for callers that need them directly.
export { createRemoteWriteClient, DEFAULT_USER_AGENT } from "./client";
export type { RemoteWriteAuth, RemoteWriteClient, RemoteWriteClientOptions } from "./client";
export { RemoteWriteError, namedSeries, reasonFor } from "./errors";
export { DEFAULT_RETRY, backoffDelay, isRetryableStatus, parseRetryAfter } from "./retry";
export { MASK, createRedactor, hasUserinfo, headerSecrets, maskUserinfo, redact, urlSecrets } from "./redact";
export type { Redactor } from "./redact";
export type { RetryPolicy } from "./retry";
export { LABEL_NAME_RE, METRIC_NAME_RE, prepareSeries } from "./series";
export type { DropReason, DroppedSeries, Series, WriteResult } from "./series";
export { encodeTimeSeries, encodeWriteRequest } from "./protobuf";
export type { Label, Sample, TimeSeries } from "./protobuf";
export { snappyCompress, snappyUncompress } from "./snappy";
export { defaultCredentials, sha256Hex, signRequest } from "./sigv4";
export type { SignInput, SignOptions } from "./sigv4";
