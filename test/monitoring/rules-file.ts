// Reads the shipped alert rules and their promtool unit tests line by line (the files keep
// one regular layout; no YAML library is a dependency): each rule's name, annotations and
// expression lines, and for each alert the test cases that expect it to fire or not. Also
// rewrites one rule's expression, for the mutation check that its firing case is real.

export interface RuleEntry {
  name: string;
  annotations: Record<string, string>;
  /** Line range [start, end) of `expr:` and its block lines. */
  expr: [number, number];
}

const indentOf = (line: string) => line.length - line.trimStart().length;
const unquote = (v: string) => v.trim().replace(/^"(.*)"$/, "$1");

export function parseRules(text: string): RuleEntry[] {
  const lines = text.split("\n");
  const rules: RuleEntry[] = [];
  let current: RuleEntry | undefined;
  let inAnnotations = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const alert = /^\s*- alert: (\S+)\s*$/.exec(line);
    if (alert) {
      current = { name: alert[1]!, annotations: {}, expr: [-1, -1] };
      rules.push(current);
      inAnnotations = -1;
      continue;
    }
    if (!current || line.trim().startsWith("#")) continue;
    if (/^\s*- name: /.test(line)) current = undefined;
    else if (/^\s*expr:/.test(line)) {
      let end = i + 1;
      if (/expr:\s*[|>]/.test(line)) while (end < lines.length && (lines[end]!.trim() === "" || indentOf(lines[end]!) > indentOf(line))) end++;
      current.expr = [i, end];
    } else if (/^\s*annotations:\s*$/.test(line)) inAnnotations = indentOf(line);
    else if (inAnnotations >= 0 && indentOf(line) > inAnnotations) {
      const m = /^\s*(\w+):\s*(.*)$/.exec(line);
      if (m) current.annotations[m[1]!] = unquote(m[2]!);
    } else inAnnotations = -1;
  }
  return rules;
}

/** For each alertname in a promtool test file: how many cases expect alerts, how many expect none. */
export function testCases(text: string): Map<string, { firing: number; silent: number }> {
  const out = new Map<string, { firing: number; silent: number }>();
  let alert: string | undefined;
  for (const line of text.split("\n")) {
    const name = /^\s*alertname: (\S+)\s*$/.exec(line);
    if (name) alert = name[1];
    const exp = /^\s*exp_alerts:\s*(\[\])?\s*$/.exec(line);
    if (exp && alert) {
      const entry = out.get(alert) ?? { firing: 0, silent: 0 };
      if (exp[1]) entry.silent += 1;
      else entry.firing += 1;
      out.set(alert, entry);
      alert = undefined;
    }
  }
  return out;
}

/** The rules file with one rule's expression replaced by a one-line `expr`. */
export function withExpr(text: string, rule: RuleEntry, expr: string): string {
  const lines = text.split("\n");
  const [start, end] = rule.expr;
  const indent = " ".repeat(indentOf(lines[start]!));
  return [...lines.slice(0, start), `${indent}expr: ${expr}`, ...lines.slice(end)].join("\n");
}
