// AWS adapters of the reconciler: clients, configuration, discovery, conditional S3
// objects, the state object, publication of the document and manifest, the full reconcile.
export * from "./clients";
export * from "./config";
export * from "./discovery";
export * from "./ecs-tasks";
export * from "./s3-object";
export * from "./publish";
export * from "./health";
export * from "./state-store";
export * from "./reconcile";
export * from "./rate-limit";
