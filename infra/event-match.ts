// EventBridge event-pattern matching, for testing our rules' patterns against
// real sample events offline. Implements the documented semantics of the
// operators: exact values (string, number, boolean, null), prefix, suffix,
// equals-ignore-case, wildcard, anything-but (values, prefix, suffix), exists,
// numeric ranges and $or. An operator it does not know throws, so a pattern
// can never pass a test by being misunderstood. Pure.
// No npm package does this well-kept and standalone (searched: only plugins of
// offline emulators embed one), hence this small implementation.

export class PatternError extends Error {
  override name = "PatternError";
}

/** True when `event` matches `pattern` as EventBridge would decide it. */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) throw new PatternError("a pattern must be a JSON object");
  return matchObject(pattern, event, "");
}

function matchObject(pattern: Record<string, unknown>, event: unknown, path: string): boolean {
  for (const [key, rule] of Object.entries(pattern)) {
    const here = path ? `${path}.${key}` : key;
    if (key === "$or") {
      if (!Array.isArray(rule) || rule.length < 2) throw new PatternError(`${here}: $or needs an array of at least two patterns`);
      if (!rule.some((alt) => (isObject(alt) ? matchObject(alt, event, path) : bad(`${here}: $or entries must be objects`)))) {
        return false;
      }
      continue;
    }
    const value = isObject(event) ? (event as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(rule)) {
      if (!matchLeaf(rule, value, here)) return false;
    } else if (isObject(rule)) {
      // An array of objects matches when one of its elements matches the whole
      // sub-pattern (EventBridge keeps fields of one element together).
      const objects = Array.isArray(value) ? value.filter(isObject) : isObject(value) ? [value] : [];
      if (!objects.some((o) => matchObject(rule, o, here))) return false;
    } else {
      throw new PatternError(`${here}: a leaf must be an array of values or operators`);
    }
  }
  return true;
}

/** A field matches a leaf when any of its values matches any of the leaf's entries. */
function matchLeaf(rule: unknown[], value: unknown, path: string): boolean {
  if (rule.length === 0) throw new PatternError(`${path}: an empty array matches nothing`);
  if (value === undefined) return rule.some((r) => isObject(r) && "exists" in r && r.exists === false);
  const values: unknown[] = Array.isArray(value) ? value : [value];
  return rule.some((r) => {
    if (isObject(r) && "exists" in r) {
      checkSingleKey(r, path);
      if (typeof r.exists !== "boolean") throw new PatternError(`${path}: exists takes true or false`);
      return r.exists === (Array.isArray(value) ? value.length > 0 : !isObject(value));
    }
    return values.some((v) => matchOne(r, v, path));
  });
}

function matchOne(rule: unknown, v: unknown, path: string): boolean {
  if (rule === null || typeof rule === "string" || typeof rule === "boolean") return v === rule;
  if (typeof rule === "number") return typeof v === "number" && v === rule;
  if (!isObject(rule)) throw new PatternError(`${path}: unsupported leaf ${JSON.stringify(rule)}`);
  checkSingleKey(rule, path);
  const [op, arg] = Object.entries(rule)[0]!;
  switch (op) {
    case "prefix":
      return typeof v === "string" && stringOp(arg, path, "prefix", (s, ci) => fold(v, ci).startsWith(s));
    case "suffix":
      return typeof v === "string" && stringOp(arg, path, "suffix", (s, ci) => fold(v, ci).endsWith(s));
    case "equals-ignore-case":
      return typeof v === "string" && typeof arg === "string" ? v.toLowerCase() === arg.toLowerCase() : typeOnly(arg, path, op);
    case "wildcard":
      return typeof v === "string" && typeof arg === "string" ? wildcard(arg).test(v) : typeOnly(arg, path, op);
    case "anything-but":
      return anythingBut(arg, v, path);
    case "numeric":
      return typeof v === "number" && numeric(arg, v, path);
    default:
      throw new PatternError(`${path}: operator ${op} is not supported by this matcher`);
  }
}

function anythingBut(arg: unknown, v: unknown, path: string): boolean {
  if (Array.isArray(arg)) return !arg.some((a) => matchOne(a, v, path));
  if (isObject(arg)) {
    checkSingleKey(arg, path);
    const op = Object.keys(arg)[0]!;
    if (op !== "prefix" && op !== "suffix" && op !== "equals-ignore-case" && op !== "wildcard") {
      throw new PatternError(`${path}: anything-but does not take ${op}`);
    }
    return typeof v === "string" && !matchOne(arg, v, path);
  }
  if (arg === null || typeof arg === "string" || typeof arg === "number" || typeof arg === "boolean") return !matchOne(arg, v, path);
  throw new PatternError(`${path}: anything-but takes a value, an array or a prefix/suffix`);
}

const NUMERIC_OPS = new Set(["<", "<=", "=", ">", ">="]);

function numeric(arg: unknown, v: number, path: string): boolean {
  if (!Array.isArray(arg) || arg.length === 0 || arg.length % 2 !== 0 || arg.length > 4) {
    throw new PatternError(`${path}: numeric takes [op, n] or [op, n, op, n]`);
  }
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i];
    const n = arg[i + 1];
    if (typeof op !== "string" || !NUMERIC_OPS.has(op) || typeof n !== "number") {
      throw new PatternError(`${path}: numeric takes [op, n] pairs with op one of < <= = > >=`);
    }
    const ok = op === "<" ? v < n : op === "<=" ? v <= n : op === "=" ? v === n : op === ">" ? v > n : v >= n;
    if (!ok) return false;
  }
  return true;
}

function stringOp(arg: unknown, path: string, op: string, test: (s: string, ci: boolean) => boolean): boolean {
  if (typeof arg === "string") return test(arg, false);
  if (isObject(arg) && typeof arg["equals-ignore-case"] === "string" && Object.keys(arg).length === 1) {
    return test((arg["equals-ignore-case"] as string).toLowerCase(), true);
  }
  throw new PatternError(`${path}: ${op} takes a string or {"equals-ignore-case": string}`);
}

function fold(s: string, ci: boolean): string {
  return ci ? s.toLowerCase() : s;
}

function wildcard(glob: string): RegExp {
  const body = glob
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}$`, "s");
}

function typeOnly(arg: unknown, path: string, op: string): boolean {
  if (typeof arg !== "string") throw new PatternError(`${path}: ${op} takes a string`);
  return false;
}

function checkSingleKey(o: Record<string, unknown>, path: string): void {
  if (Object.keys(o).length !== 1) throw new PatternError(`${path}: an operator object has exactly one key`);
}

function bad(message: string): never {
  throw new PatternError(message);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}
