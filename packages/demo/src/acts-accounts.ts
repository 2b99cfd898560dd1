// Act 2 of the demo: the second account. Its document (published by its own full
// reconcile) reaches the same sidecar from S3 and the same Prometheus, which labels every
// target with its account and region; the first account's targets are untouched by it.
import { type ActContext, sleep } from "./context";
import { activeTargets } from "./prometheus";
import { FILE_SD_JOB } from "./stack";

/** Targets per account id (the `account_id` label Prometheus' relabelling sets), or undefined without Prometheus. */
async function targetsByAccount(ctx: ActContext): Promise<Map<string, number> | undefined> {
  const prom = ctx.s.prometheus;
  if (!prom) return undefined;
  const counts = new Map<string, number>();
  for (const t of await activeTargets(prom.url, FILE_SD_JOB)) {
    const account = `${t.labels.account_id ?? "?"} (${t.labels.region ?? "?"})`;
    counts.set(account, (counts.get(account) ?? 0) + 1);
  }
  return counts;
}

export async function secondAccount(ctx: ActContext): Promise<void> {
  const { p, s } = ctx;
  const b = s.second;
  if (!b) return;
  p.heading(`Act 2 · a second account, ${b.accountId} in ${b.region}: the same sidecar, the same Prometheus`);
  p.note(
    "Each account deploys its own stack; a central Prometheus reads them all. The second account's document is read from\n" +
      "S3 (its bucket policy grants the reader role s3:GetObject on the document only); the sidecar keeps one file per account\n" +
      "in the file_sd directory, and Prometheus relabels __meta_cloudmap_account_id and __meta_cloudmap_region into labels.",
  );
  const source = s.sidecar.sources.find((x) => x.config.name === b.accountId);
  const applied = source?.syncer.applied;
  p.line(
    "sidecar",
    applied ? `account ${b.accountId}: file → generation ${applied.generation ?? "?"} (${applied.targets} targets)` : `account ${b.accountId}: no file yet`,
  );
  if (!s.prometheus) {
    p.line("prometheus", p.dim("not running: the second account's targets are in its file only"));
    return;
  }
  // Prometheus reads the file_sd directory on change (inotify), then scrapes: a few seconds.
  const has = (c: Map<string, number> | undefined) => c !== undefined && [...c.keys()].some((k) => k.startsWith(b.accountId));
  const deadline = Date.now() + 20_000;
  let counts = await targetsByAccount(ctx);
  while (!has(counts) && Date.now() < deadline) {
    await sleep(ctx, 500);
    counts = await targetsByAccount(ctx);
  }
  const seen = has(counts);
  const list = [...(counts ?? new Map<string, number>())].map(([account, n]) => `${account} → ${n}`).join(", ");
  p.line("prometheus", seen ? `active targets by account: ${list}` : p.red(`the second account's targets did not appear within 20 s (${list || "none"})`));
}
