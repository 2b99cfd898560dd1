// The event-driven reconcile: event schemas and normalisation, the reads an event needs,
// applying a batch to the state and the document (or with a full reconcile), and the
// function's input router.
export * from "./schemas";
export * from "./normalize";
export * from "./lookups";
export * from "./apply";
export * from "./settle";
export * from "./handle";
export * from "./metrics";
