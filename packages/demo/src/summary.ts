// The end of the demo script: what the whole run did (generations, batches, events through
// the stack's rules, the functions' invocations), the delay distributions per stage for
// the event-driven changes, what Prometheus scraped, and where to look in its UI.
import { sleep, type ActContext } from "./context";
import { percentiles, seconds } from "./output";
import { query } from "./prometheus";
import { FILE_SD_JOB } from "./stack";
import { delays, type TrackedStage } from "./tracker";

export async function printSummary(ctx: ActContext, eventsSince: number): Promise<void> {
  const { p, s, n } = ctx;
  p.heading("The whole run");
  const byEvents = n.generations.filter((g) => g.by.startsWith("event")).length;
  const batches = s.pipeline.reports;
  const quiet = batches.filter((b) => b.summary && !b.summary.documentWritten).length;
  const failed = batches.filter((b) => b.error).length;
  const dlq = s.settings.deadLetterQueue ? s.emulation.queue(s.settings.deadLetterQueue).size() : 0;
  p.say(`  document generations published: ${n.generations.length} (${byEvents} by event batches, ${n.generations.length - byEvents} by full reconciles)`);
  p.say(`  batches from the queue: ${batches.length} (${quiet} changed no target and wrote no document, ${failed} failed); dead letters: ${dlq}`);
  p.say(
    `  EventBridge events: ${s.pipeline.routed} passed the stack's rules, ${s.pipeline.dropped} dropped by them (PROVISIONING/PENDING), ${s.pipeline.lost} lost while the rules were disabled`,
  );
  for (const fn of [s.reconcileFn, s.auditFn]) {
    const st = s.emulation.lambda.stats(fn);
    p.say(`  ${fn}: ${st.invocations} invocations (${st.coldStarts} cold starts), ${st.errors} errors, ${st.timeouts} timeouts, ${st.throttles} throttles`);
  }

  const changes = s.tracker.changesSince(eventsSince);
  const stages: [TrackedStage, string][] = [
    ["document", "published document (S3 + SSM)"],
    ["file", "sidecar's file (file_sd)"],
    ["prometheus", "Prometheus' active targets"],
  ];
  const head = ["median", "p90", "p99", "max"].map((h) => h.padStart(8)).join(" ");
  p.say(`  ${"delay from a task's RUNNING or first stop sign to:".padEnd(52)} ${head}   (${changes.length} target changes)`);
  for (const [stage, label] of stages) {
    if (stage === "prometheus" && !s.prometheus) continue;
    const d = percentiles(delays(changes, stage));
    const cols = d ? [d.median, d.p90, d.p99, d.max].map((v) => seconds(v).padStart(8)).join(" ") : "       -";
    p.say(`    ${label.padEnd(50)} ${cols}`);
  }
  p.say(
    p.dim(
      `  (the deployed batching window is ${s.settings.batchWindowSeconds} s; our part ends at the sidecar's file; Prometheus adds its own file_sd batching of about 5 s; the old sidecar polled every 30 s)`,
    ),
  );

  if (s.prometheus) {
    await sleep(ctx, 5000); // one scrape interval, so the newest targets have an `up` sample
    try {
      const all = await query(s.prometheus.url, `count(up{job="${FILE_SD_JOB}"})`);
      const up = await query(s.prometheus.url, `count(up{job="${FILE_SD_JOB}"} == 1)`);
      const series = await query(s.prometheus.url, `count({job="${FILE_SD_JOB}"})`);
      p.say(
        `  Prometheus: ${all[0]?.value ?? 0} targets in job ${FILE_SD_JOB}, ${up[0]?.value ?? 0} up; ${series[0]?.value ?? 0} series scraped from the demo's /metrics servers`,
      );
    } catch (err) {
      p.say(`  Prometheus: query failed (${(err as Error).message})`);
    }
    const u = s.prometheus.url;
    p.say(`  try in the UI: ${u}/targets · ${u}/graph?g0.expr=${encodeURIComponent("sum by (service) (rate(http_requests_total[1m]))")}&g0.tab=0`);
    p.say(
      `                 ${u}/graph?g0.expr=${encodeURIComponent("celery_queue_length")} · ${u}/graph?g0.expr=${encodeURIComponent("scrape_reconciler_sidecar_document_generation")}&g0.tab=0`,
    );
  }
}
