// The shipped Prometheus alert rules: `promtool check rules` and `promtool test rules`
// pass; every rule has a summary, a description and a runbook anchor that exists in
// monitoring/README.md; every rule has a firing and a non-firing test case, and the
// firing case is real (the tests fail when that rule can never fire).
import { spawnSync } from "node:child_process";
import { accessSync, constants, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { parseRules, testCases, withExpr } from "./rules-file";

const dir = fileURLToPath(new URL("../../monitoring/prometheus/", import.meta.url));
const rulesText = readFileSync(join(dir, "alerts.yml"), "utf8");
const testsText = readFileSync(join(dir, "alerts.test.yml"), "utf8");
const readme = readFileSync(fileURLToPath(new URL("../../monitoring/README.md", import.meta.url)), "utf8");
const rules = parseRules(rulesText);

function findPromtool(): string | undefined {
  const candidates = [process.env.PROMTOOL_BIN, "/usr/bin/promtool", ...(process.env.PATH ?? "").split(delimiter).map((d) => d && join(d, "promtool"))];
  return candidates.find((c): c is string => {
    if (!c) return false;
    try {
      accessSync(c, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
const promtool = findPromtool();
if (!promtool) console.warn("test/monitoring/rules.test.ts: promtool checks skipped: no promtool (install Debian's prometheus package or set PROMTOOL_BIN)");

function run(args: string[], cwd: string) {
  const r = spawnSync(promtool!, args, { cwd, encoding: "utf8", timeout: 30_000 });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

describe("alert rules file", () => {
  it("has the rules the runbook documents, each with a summary, a description and a runbook anchor", () => {
    expect(rules.map((r) => r.name)).toEqual([
      "ScrapeReconcilerSidecarSyncStale",
      "ScrapeReconcilerSidecarAbsent",
      "ScrapeReconcilerSidecarSyncErrors",
      "ScrapeReconcilerTargetsDropped",
      "ScrapeReconcilerServiceTargetsDown",
      "ScrapeReconcilerServiceAllTargetsDown",
      "ScrapeReconcilerRdsMetricsStale",
      "ScrapeReconcilerElastiCacheMetricsStale",
    ]);
    for (const r of rules) {
      expect(r.expr[0], r.name).toBeGreaterThan(0);
      expect(r.annotations.summary, r.name).toBeTruthy();
      expect(r.annotations.description, r.name).toBeTruthy();
      expect(r.annotations.runbook_url, r.name).toBe(`monitoring/README.md#${r.name.toLowerCase()}`);
      expect(readme, `README heading for ${r.name}`).toMatch(new RegExp(`^### ${r.name}$`, "m"));
    }
  });

  it("every rule has a firing and a non-firing test case", () => {
    const cases = testCases(testsText);
    for (const r of rules) {
      expect(cases.get(r.name)?.firing ?? 0, `${r.name}: firing cases`).toBeGreaterThan(0);
      expect(cases.get(r.name)?.silent ?? 0, `${r.name}: non-firing cases`).toBeGreaterThan(0);
    }
    expect([...cases.keys()].filter((n) => !rules.some((r) => r.name === n))).toEqual([]);
  });
});

describe.skipIf(!promtool)("promtool", () => {
  const work = mkdtempSync(join(tmpdir(), "alert-rules-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("check rules: valid, every rule found", () => {
    const r = run(["check", "rules", "alerts.yml"], dir);
    expect(r.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(r.code).toBe(0);
  });

  it("test rules: every unit test passes", () => {
    const r = run(["test", "rules", "alerts.test.yml"], dir);
    expect(r.output).toContain("SUCCESS");
    expect(r.code, r.output).toBe(0);
  });

  it("each rule's firing case depends on that rule: it fails when the rule can never fire", () => {
    copyFileSync(join(dir, "alerts.test.yml"), join(work, "alerts.test.yml"));
    for (const rule of rules) {
      writeFileSync(join(work, "alerts.yml"), withExpr(rulesText, rule, "vector(0) > 1"));
      const r = run(["test", "rules", "alerts.test.yml"], work);
      expect(r.code, `${rule.name} never firing must fail the tests`).not.toBe(0);
      expect(r.output).toContain(`alertname: ${rule.name},`);
    }
  });
});
