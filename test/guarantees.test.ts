// README.md's "### Guarantees" section is the home of the guarantees: a numbered list
// G1..Gn. The code cites them by number ("README guarantee G3", "README guarantees G2 and
// G7") at the place that implements each one. This test keeps the two in step: the numbers
// are consecutive, every one is cited by the source under packages/ or functions/, and no
// source cites a number the README does not have, nor the old "invariant N" form (the
// design document's numbering, which the README's replaced).
import { type Dirent, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const self = relative(root, fileURLToPath(import.meta.url));

/** The section's lines, from its heading to the next heading. */
function guaranteesSection(readme: string): string[] {
  const lines = readme.split("\n");
  const start = lines.findIndex((l) => l.trim() === "### Guarantees");
  if (start < 0) throw new Error('README.md has no "### Guarantees" section');
  const end = lines.findIndex((l, i) => i > start && /^#{1,6} /.test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** The section's list items, in order: `- **G<n>.** text` (continuation lines indented). */
function guarantees(readme: string): { n: number; text: string }[] {
  const items: { n: number; text: string }[] = [];
  for (const line of guaranteesSection(readme)) {
    if (/^\s*([-*+]|\d+[.)])\s/.test(line) && !/^\s{2,}/.test(line)) {
      const m = /^- \*\*G(\d+)\.\*\* (\S.*)$/.exec(line);
      if (!m) throw new Error(`a guarantee that is not numbered "- **G<n>.** ...": ${line}`);
      items.push({ n: Number(m[1]), text: m[2]! });
    } else if (items.length > 0 && /^\s{2,}\S/.test(line)) {
      items[items.length - 1]!.text += ` ${line.trim()}`;
    }
  }
  return items;
}

const SOURCE_EXT = /\.(ts|mts|cts|js|mjs|cjs)$/;
const TEST_FILE = /\.test\.[cm]?[jt]s$/;

function walk(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    if (e.name === "node_modules" || e.name.startsWith(".") || e.name === "dist") continue;
    const path = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(path));
    else if (SOURCE_EXT.test(e.name)) out.push(path);
  }
  return out;
}

/** Source files (tests excluded) under packages/<name>/src and functions/: where the guarantees are implemented. */
function implementationFiles(): string[] {
  const packages = readdirSync(join(root, "packages"), { withFileTypes: true }).filter((e) => e.isDirectory());
  return [...packages.flatMap((p) => walk(`packages/${p.name}/src`)), ...walk("functions")].filter((f) => !TEST_FILE.test(f));
}

/** Source code of the stack and tools too (tests excluded): none may use the old numbering. */
function sourceFiles(): string[] {
  return [...implementationFiles(), ...walk("infra"), ...walk("bench"), ...walk("scripts")].filter((f) => !TEST_FILE.test(f));
}

/** Every file that could cite a guarantee, tests included (this file aside). */
function allFiles(): string[] {
  const packages = readdirSync(join(root, "packages"), { withFileTypes: true }).filter((e) => e.isDirectory());
  const files = [
    ...packages.flatMap((p) => walk(`packages/${p.name}`)),
    ...walk("functions"),
    ...walk("infra"),
    ...walk("bench"),
    ...walk("scripts"),
    ...walk("test"),
  ];
  return files.filter((f) => f !== self.split(sep).join("/"));
}

/** Comment text joined across lines, so a citation wrapped over two comment lines is one. */
function flatten(text: string): string {
  return text.replace(/[ \t]*\r?\n[ \t]*(?:\/\/+|\*(?!\/))?[ \t]*/g, " ");
}

/** The numbers cited as "README guarantee G<n>" / "README guarantees G<a>, G<b> and G<c>". */
function readmeCitations(text: string): number[] {
  const out: number[] = [];
  for (const m of flatten(text).matchAll(/\bREADME guarantees? (G\d+(?:(?:, | and |, and )G\d+)*)/g)) {
    for (const g of m[1]!.matchAll(/G(\d+)/g)) out.push(Number(g[1]));
  }
  return out;
}

/** Any "guarantee G<n>" (with or without "README"), to catch a number the README lacks. */
function anyGuaranteeNumbers(text: string): number[] {
  const out: number[] = [];
  for (const m of flatten(text).matchAll(/\bguarantees? (G\d+(?:(?:, | and |, and |\/)G\d+)*)/gi)) {
    for (const g of m[1]!.matchAll(/G(\d+)/gi)) out.push(Number(g[1]));
  }
  return out;
}

const OLD_FORM = /\binvariants?\s*(?:#|no\.?\s*)?\d+/gi;

const readme = readFileSync(join(root, "README.md"), "utf8");
const items = guarantees(readme);
const numbers = items.map((g) => g.n);

describe("README guarantees", () => {
  it("are numbered G1..Gn, consecutive, each with its text", () => {
    expect(items.length).toBeGreaterThanOrEqual(9);
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    for (const g of items) expect(g.text.length, `G${g.n}`).toBeGreaterThan(20);
  });

  it("are each cited by the source under packages/ or functions/ that implements it", () => {
    const citedBy = new Map<number, string[]>();
    for (const file of implementationFiles()) {
      for (const n of readmeCitations(readFileSync(join(root, file), "utf8"))) citedBy.set(n, [...(citedBy.get(n) ?? []), file]);
    }
    const uncited = numbers.filter((n) => !citedBy.has(n)).map((n) => `G${n}`);
    expect(uncited, "guarantees no source file cites as `README guarantee G<n>`").toEqual([]);
  });

  it("no file cites a guarantee number the README does not have", () => {
    const known = new Set(numbers);
    const unknown: string[] = [];
    for (const file of allFiles()) {
      for (const n of anyGuaranteeNumbers(readFileSync(join(root, file), "utf8"))) if (!known.has(n)) unknown.push(`${file}: G${n}`);
    }
    expect(unknown).toEqual([]);
  });

  it('no source cites the old "invariant N" form', () => {
    const old: string[] = [];
    for (const file of sourceFiles()) {
      for (const m of flatten(readFileSync(join(root, file), "utf8")).matchAll(OLD_FORM)) old.push(`${file}: "${m[0]}"`);
    }
    expect(old).toEqual([]);
  });

  it("the parsers read what they are meant to", () => {
    expect(readmeCitations("// kept (README\n// guarantee G1).")).toEqual([1]);
    expect(readmeCitations(" * nothing at all.\n * README guarantees G2 and G7.\n")).toEqual([2, 7]);
    expect(readmeCitations("README guarantees G1, G3, and G8")).toEqual([1, 3, 8]);
    expect(anyGuaranteeNumbers("the stack's 6x timeout guarantees); the")).toEqual([]);
    expect([...flatten("kept (invariant\n// 1).").matchAll(OLD_FORM)]).toHaveLength(1);
    expect([..."an invariant of the loop".matchAll(OLD_FORM)]).toHaveLength(0);
    expect(guarantees("### Guarantees\n\nintro\n\n- **G1.** one\n  more\n- **G2.** two\n\n## Next\n- x\n")).toEqual([
      { n: 1, text: "one more" },
      { n: 2, text: "two" },
    ]);
    expect(() => guarantees("### Guarantees\n- plain bullet\n")).toThrow(/not numbered/);
  });
});
