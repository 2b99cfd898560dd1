// The store: every object the reconciler keeps in S3 and SSM, all written conditionally.
// Conditional S3 objects (s3-object.ts, with a warm process' copies in object-cache.ts) and the one conditional-write loop
// (conflict-retry.ts); the published document (publish.ts, target.ts) and its SSM
// manifest (manifest.ts); the state object and the one path every writer takes, state
// first and then the document built from it (state-store.ts).
export * from "./s3-object";
export * from "./object-cache";
export * from "./conflict-retry";
export * from "./target";
export * from "./manifest";
export * from "./publish";
export * from "./shard-publish";
export * from "./state-store";
