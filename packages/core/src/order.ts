// The one ordering of text used wherever a document, a state or a request must come out in
// the same order on every run: code-unit order (what `<` does on strings), never the
// locale's, so the published bytes do not depend on where the code runs.

/** -1, 0 or 1 by code-unit order. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A comparator of `T` by a text key: `items.sort(byText((i) => i.id))`. */
export function byText<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => compareText(key(a), key(b));
}
