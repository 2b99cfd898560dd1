// The audit: the published targets document against a fresh discovery of AWS (stale and
// missing targets, the document's and the last reconcile's ages, discovery errors),
// without publishing anything. Used by the audit function and `scrape-reconciler audit`.
export * from "./compare";
export * from "./ages";
export * from "./report";
export * from "./format";
export * from "./audit";
