// Typed errors raised at the edges. Each carries what a person needs to act on it in a
// one-line message: the variable, the AWS operation and the service or namespace named.
// A ConfigError carries every configuration problem found, one line each, so a person
// fixes them all in one pass; ConfigProblems collects them while a parser runs.

/** One bad or missing setting: the variable (or flag, or field) and a one-line message naming it. */
export interface ConfigProblem {
  variable: string;
  message: string;
}

/** Collapses a message to one line, so every problem is exactly one line of output. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ").trim();
}

/**
 * Bad or missing settings. `problems` lists each one; `message` is one line per problem.
 * `new ConfigError(variable, message)` is the one-problem form.
 */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]);
  constructor(variable: string, message: string);
  constructor(problemsOrVariable: readonly ConfigProblem[] | string, message?: string) {
    const list = typeof problemsOrVariable === "string" ? [{ variable: problemsOrVariable, message: message ?? "" }] : problemsOrVariable;
    if (list.length === 0) throw new TypeError("a ConfigError needs at least one problem");
    const problems = Object.freeze(list.map((p) => Object.freeze({ variable: p.variable, message: oneLine(p.message) || `${p.variable} is invalid` })));
    super(problems.map((p) => p.message).join("\n"));
    this.problems = problems;
  }

  /** The variable of the first problem. */
  get variable(): string {
    return this.problems[0]!.variable;
  }

  /** Every variable named, in order, without repeats. */
  get variables(): string[] {
    return [...new Set(this.problems.map((p) => p.variable))];
  }
}

/**
 * Collects configuration problems while a parser reads every setting, instead of stopping
 * at the first: `check` runs one setting's parse and turns a ConfigError into problems,
 * `finish` throws one ConfigError with all of them (or returns the parsed values).
 */
export class ConfigProblems {
  readonly #list: ConfigProblem[] = [];

  /** Records one problem. */
  add(variable: string, message: string): void {
    this.#list.push({ variable, message });
  }

  /** Runs `parse`; a ConfigError it throws is recorded and gives undefined. Other errors propagate. */
  check<T>(parse: () => T): T | undefined {
    try {
      return parse();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      this.#list.push(...err.problems);
      return undefined;
    }
  }

  /** Whether any problem was recorded (for `variable`, when given). */
  has(variable?: string): boolean {
    return variable === undefined ? this.#list.length > 0 : this.#list.some((p) => p.variable === variable);
  }

  get problems(): readonly ConfigProblem[] {
    return [...this.#list];
  }

  /** Throws one ConfigError listing every recorded problem, if there is any. */
  throwIfAny(): void {
    if (this.#list.length > 0) throw new ConfigError(this.#list);
  }

  /**
   * Throws when a problem was recorded; otherwise returns `values` typed without undefined
   * (a value left undefined without a recorded problem is a bug in the parser).
   */
  finish<T extends Record<string, unknown>>(values: T): { [K in keyof T]: Exclude<T[K], undefined> } {
    this.throwIfAny();
    const missing = Object.keys(values).filter((k) => values[k] === undefined);
    if (missing.length > 0) throw new Error(`config parser bug: ${missing.join(", ")} undefined without a recorded problem`);
    return values as { [K in keyof T]: Exclude<T[K], undefined> };
  }
}

/** An AWS discovery call failed in a way that stops the reconcile (e.g. listing namespaces). */
export class DiscoveryError extends Error {
  override name = "DiscoveryError";
  constructor(
    readonly operation: string,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** A conditional write lost a race (S3 412 PreconditionFailed / 409 ConditionalRequestConflict). */
export class ConflictError extends Error {
  override name = "ConflictError";
  constructor(message: string) {
    super(message);
  }
}

/** The stored state object cannot be read by this version (unknown schemaVersion, not JSON): it is never overwritten. */
export class ReconcilerStateError extends Error {
  override name = "ReconcilerStateError";
  constructor(
    readonly object: string,
    reason: string,
    override readonly cause?: unknown,
  ) {
    super(`${object}: ${reason}`);
  }
}

/** An event could not be read or applied (its AWS reads failed, it is malformed): that event alone fails. */
export class EventError extends Error {
  override name = "EventError";
  constructor(
    readonly eventId: string,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(`event ${eventId}: ${message}`);
  }
}

/** Publishing failed for a reason other than a lost race. */
export class PublishError extends Error {
  override name = "PublishError";
  constructor(
    readonly operation: string,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** The one-line text of any error, with the AWS error name when there is one. */
export function errorLine(err: unknown): string {
  if (err instanceof Error) {
    const name = err.name && err.name !== "Error" ? `${err.name}: ` : "";
    return `${name}${err.message}`.split("\n")[0] as string;
  }
  return String(err);
}
