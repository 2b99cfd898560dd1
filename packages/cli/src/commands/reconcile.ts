// `scrape-reconciler reconcile [--dry-run] [--json]`: discover, diff against the
// published document, publish unless dry run.
import { createReconcilerClients, parseReconcileConfig, reconcile, type ReconcileSummary } from "@scrape-reconciler/reconcile";
import { formatDiff } from "@scrape-reconciler/core";
import { parseFlags } from "../flags";
import type { Command } from "../io";

export function formatSummary(s: ReconcileSummary): string {
  const lines: string[] = [];
  const verb = s.dryRun ? "would publish" : s.written ? "published" : "unchanged";
  if (s.withheld) lines.push(`not published: ${s.withheld}`);
  else
    lines.push(
      `${verb}: generation ${s.generation} (was ${s.previousGeneration}), ${s.targets} targets from ${s.services} services in ${s.namespaces} namespaces, sha256 ${s.sha256.slice(0, 12)}`,
    );
  for (const f of s.failed)
    lines.push(`error: ${f.scope} ${f.namespaceName ? `${f.namespaceName}/` : ""}${f.name}: ${f.operation}: ${f.error} (last targets kept)`);
  for (const k of s.skippedEndpoints) lines.push(`skipped endpoint: ${k.namespaceName}/${k.serviceName} ${k.tag}=${JSON.stringify(k.value)}: ${k.reason}`);
  lines.push(`took ${s.durationMs} ms, ${s.attempts} attempt(s), ${s.stats.taskBatches} DescribeTasks batch(es)`);
  return lines.join("\n");
}

export const reconcileCommand: Command = async (args, env, io) => {
  const { values } = parseFlags(args, { "dry-run": { type: "boolean" }, json: { type: "boolean" } }, "reconcile [--dry-run] [--json]");
  const config = parseReconcileConfig(env);
  const clients = createReconcilerClients(env);
  const summary = await reconcile({ clients, config, now: () => new Date() }, { dryRun: Boolean(values["dry-run"]) });
  if (values.json) {
    const { diff, ...rest } = summary;
    io.out(
      JSON.stringify(
        { ...rest, diff: { added: diff.added.map((a) => a.key), removed: diff.removed.map((r) => r.key), changed: diff.changed.map((c) => c.key) } },
        null,
        2,
      ),
    );
  } else {
    io.out(formatDiff(summary.diff));
    io.out(formatSummary(summary));
  }
  return summary.withheld ? 1 : 0;
};
