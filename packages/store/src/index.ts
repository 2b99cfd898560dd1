// The store: every object the reconciler keeps in S3 and SSM, all written conditionally.
// Conditional S3 objects (s3-object.ts, with a warm process' copies in object-cache.ts) and the one conditional-write loop
// (conflict-retry.ts); the published document (publish.ts, target.ts) and its SSM
// manifest (manifest.ts); its sharded copy (shard-publish.ts) and an event batch's
// publication of shards alone (index-publish.ts); the state object as a head and parts
// (state-parts.ts) and the one path every writer takes, state first and then what is
// published from it (state-store.ts).
export * from "./s3-object";
export * from "./object-cache";
export * from "./conflict-retry";
export * from "./target";
export * from "./manifest";
export * from "./publish";
export * from "./shard-publish";
export * from "./state-store";
export * from "./state-parts";
export * from "./index-publish";
export * from "./published-targets";
