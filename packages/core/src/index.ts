// Public surface of the pure core: types, tag parsing, labels, document building, diff.
export * from "./types";
export * from "./validate";
