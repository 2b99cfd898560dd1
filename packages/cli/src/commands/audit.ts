// `scrape-reconciler audit [--json]`: compares the published document with what AWS runs
// now, without publishing: stale and missing targets by service, the document's and the
// last full reconcile's ages, and AWS errors. Exit 0 when clean; 1 when anything was
// found (stale or missing targets, an AWS error, no usable document); 2 for bad usage or
// configuration (from the dispatcher).
import { audit, formatReport, hasFindings } from "@scrape-reconciler/audit";
import { createReconcilerClients, parseReconcileConfig } from "@scrape-reconciler/reconcile";
import { parseFlags } from "../flags";
import type { Command } from "../io";

export const auditCommand: Command = async (args, env, io) => {
  const { values } = parseFlags(args, { json: { type: "boolean" } }, "audit [--json]");
  const config = parseReconcileConfig(env);
  const clients = createReconcilerClients(env);
  const report = await audit({ clients, config, now: () => new Date() });
  const findings = hasFindings(report);
  if (values.json) io.out(JSON.stringify({ ok: !findings, ...report }, null, 2));
  else io.out(formatReport(report, `s3://${config.bucket}/${config.key}`));
  return findings ? 1 : 0;
};
