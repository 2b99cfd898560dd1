// ConfigError carries every problem (one line each) and ConfigProblems collects them while
// a parser reads every setting, instead of stopping at the first.
import { describe, expect, it } from "vitest";
import { ConfigError, ConfigProblems, errorLine } from "../src/errors";

describe("ConfigError", () => {
  it("the one-problem form keeps `variable` and the message", () => {
    const err = new ConfigError("TARGETS_BUCKET", "TARGETS_BUCKET is required: the S3 bucket of the targets document");
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe("ConfigError");
    expect(err.variable).toBe("TARGETS_BUCKET");
    expect(err.message).toBe("TARGETS_BUCKET is required: the S3 bucket of the targets document");
    expect(err.problems).toEqual([{ variable: "TARGETS_BUCKET", message: "TARGETS_BUCKET is required: the S3 bucket of the targets document" }]);
  });

  it("lists every problem, one line each, in order", () => {
    const err = new ConfigError([
      { variable: "TARGETS_BUCKET", message: "TARGETS_BUCKET is required" },
      { variable: "DISCOVERY_CONCURRENCY", message: 'DISCOVERY_CONCURRENCY="0" must be an integer from 1 to 64' },
      { variable: "TARGETS_BUCKET", message: "TARGETS_BUCKET again" },
    ]);
    expect(err.problems).toHaveLength(3);
    expect(err.message.split("\n")).toEqual([
      "TARGETS_BUCKET is required",
      'DISCOVERY_CONCURRENCY="0" must be an integer from 1 to 64',
      "TARGETS_BUCKET again",
    ]);
    expect(err.variable).toBe("TARGETS_BUCKET");
    expect(err.variables).toEqual(["TARGETS_BUCKET", "DISCOVERY_CONCURRENCY"]);
    expect(errorLine(err)).toBe("ConfigError: TARGETS_BUCKET is required");
  });

  it("folds a multi-line problem message onto one line and never has an empty one", () => {
    const err = new ConfigError([
      { variable: "FORWARD_METRIC_SET", message: "FORWARD_METRIC_SET is not valid JSON:\n  Unexpected token\r\n at 3" },
      { variable: "X", message: " \n " },
    ]);
    expect(err.message.split("\n")).toEqual(["FORWARD_METRIC_SET is not valid JSON: Unexpected token at 3", "X is invalid"]);
  });

  it("needs at least one problem, and its problems cannot be changed afterwards", () => {
    expect(() => new ConfigError([])).toThrow(TypeError);
    const source = [{ variable: "A", message: "A is bad" }];
    const err = new ConfigError(source);
    source.push({ variable: "B", message: "B is bad" });
    expect(err.problems).toHaveLength(1);
    expect(Object.isFrozen(err.problems) && Object.isFrozen(err.problems[0])).toBe(true);
  });
});

describe("ConfigProblems", () => {
  it("collects the problems of every check and throws them together", () => {
    const problems = new ConfigProblems();
    expect(problems.check(() => 8)).toBe(8);
    expect(
      problems.check(() => {
        throw new ConfigError("A", "A is required");
      }),
    ).toBeUndefined();
    problems.add("B", "B is not a number");
    problems.check(() => {
      throw new ConfigError([
        { variable: "C", message: "C is bad" },
        { variable: "D", message: "D is bad" },
      ]);
    });
    expect(problems.has()).toBe(true);
    expect(problems.has("B")).toBe(true);
    expect(problems.has("E")).toBe(false);
    let thrown: unknown;
    try {
      problems.throwIfAny();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems.map((p) => p.variable)).toEqual(["A", "B", "C", "D"]);
    expect((thrown as ConfigError).message).toBe("A is required\nB is not a number\nC is bad\nD is bad");
  });

  it("lets any other error through: a bug is not a configuration problem", () => {
    const problems = new ConfigProblems();
    expect(() =>
      problems.check(() => {
        throw new RangeError("boom");
      }),
    ).toThrow(RangeError);
    expect(problems.has()).toBe(false);
  });

  it("finish returns the values when there is no problem, and throws when there is", () => {
    const ok = new ConfigProblems();
    ok.throwIfAny();
    const values: { bucket: string | undefined; concurrency: number | undefined } = { bucket: "b-1", concurrency: 8 };
    const done = ok.finish(values);
    expect(done).toEqual({ bucket: "b-1", concurrency: 8 });
    const bad = new ConfigProblems();
    const bucket = bad.check((): string => {
      throw new ConfigError("TARGETS_BUCKET", "TARGETS_BUCKET is required");
    });
    bad.add("DISCOVERY_CONCURRENCY", "DISCOVERY_CONCURRENCY must be an integer");
    expect(() => bad.finish({ bucket, concurrency: undefined })).toThrow(/^TARGETS_BUCKET is required\nDISCOVERY_CONCURRENCY must be an integer$/);
  });

  it("finish reports a value left undefined without a problem as a parser bug", () => {
    const problems = new ConfigProblems();
    expect(() => problems.finish({ bucket: "b", key: undefined })).toThrow(/parser bug: key/);
    expect(() => problems.finish({ bucket: "b", key: undefined })).not.toThrow(ConfigError);
  });
});
