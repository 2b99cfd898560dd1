// Discovery: every read of AWS the reconciler makes. Cloud Map (cloudmap.ts, the one
// service reader), ECS tasks and task definitions (ecs-tasks.ts, rate-limit.ts), container
// instances (container-instances.ts, the one reader), the full discovery (discover.ts) and
// the reads a single event needs (lookups.ts).
export * from "./cloudmap";
export * from "./ecs-tasks";
export * from "./rate-limit";
export * from "./container-instances";
export * from "./discover";
export * from "./lookups";
