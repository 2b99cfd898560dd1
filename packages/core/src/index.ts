// Public surface of the pure core: types, tag parsing, addresses, labels, the document, diff,
// validation, the state and its merge, completeness and the publication decision, failed
// parts, events, the sharded publication's layout (shards.ts); the AWS error classifier and the text ordering every package uses.
export * from "./types";
export * from "./tags";
export * from "./address";
export * from "./labels";
export * from "./document";
export * from "./diff";
export * from "./validate";
export * from "./errors";
export * from "./state";
export * from "./completeness";
export * from "./events";
export * from "./env-names";
export * from "./env-values";
export * from "./failed";
export * from "./aws-errors";
export * from "./order";
export * from "./batch";
export * from "./publication";
export * from "./shards";
export * from "./service-shards";
export * from "./state-shards";
export * from "./verification";
export * from "./drift";
export * from "./client-config";
