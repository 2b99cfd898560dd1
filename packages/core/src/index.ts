// Public surface of the pure core: types, tag parsing, addresses, labels, the document, diff, validation.
export * from "./types";
export * from "./tags";
export * from "./address";
export * from "./labels";
export * from "./document";
export * from "./diff";
export * from "./validate";
export * from "./errors";
export * from "./state";
export * from "./events";
