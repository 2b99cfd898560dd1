// The demo's first acts: the simulated account, the first full reconcile (manual invoke),
// then everyday changes that reach Prometheus through events only: a rolling deployment,
// a scale-out of Celery workers and a crashing task replaced by the scheduler.
import { handleInput } from "@scrape-reconciler/events";
import { actResult, pickServices, settle, sleep, until, type ActContext } from "./context";

const NS_TYPE: Record<string, string> = { DNS_PRIVATE: "private DNS", DNS_PUBLIC: "public DNS", HTTP: "HTTP" };

/** A port tag that is not a list of ports 1-65535. */
const badPort = (v: string | undefined) => v !== undefined && !v.split(",").every((x) => /^\d+$/.test(x.trim()) && Number(x) >= 1 && Number(x) <= 65535);

/** The account as a table: what runs where, and which services opted in by tags. */
export function tourAccount(ctx: ActContext): void {
  const { p, s } = ctx;
  const sc = s.sim.scenario;
  p.heading("The account (simulated AWS, seeded from the scenario)");
  p.note(
    "ECS services register their tasks in AWS Cloud Map; the Cloud Map service's tags say what to scrape.\n" +
      "Web apps expose /metrics; Celery workers expose theirs through a statsd-exporter container (port 9102);\n" +
      "ECS_METRICS_PORT adds a second, \"infra\" endpoint (the ECS task-metadata exporter).",
  );
  const nsType = new Map(sc.namespaces.map((n) => [n.name, NS_TYPE[n.type] ?? n.type]));
  const rows = sc.services.map((svc) => {
    const tags = Object.entries(svc.tags)
      .filter(([k]) => /METRICS/.test(k))
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    const bad = badPort(svc.tags.METRICS_PORT) || badPort(svc.tags.ECS_METRICS_PORT) ? "  <- bad tag" : "";
    const mode = `${svc.networkMode ?? (svc.launchType === "EC2" ? "bridge" : "awsvpc")}/${svc.launchType}`;
    const ns = svc.namespace ? `${svc.namespace} (${nsType.get(svc.namespace)})` : "(no Cloud Map)";
    return [svc.cluster, svc.name, String(svc.desiredCount), mode, ns, (tags || "-") + bad];
  });
  const head = ["cluster", "service", "tasks", "network", "Cloud Map namespace", "scrape tags"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => `  ${r.map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ")}`.trimEnd();
  p.say(p.bold(fmt(head)));
  for (const r of rows) p.say(fmt(r));
  for (const extra of sc.extraCloudMapServices) {
    const inst = extra.instances.map((i) => `${i.attributes.AWS_INSTANCE_IPV4}:${i.attributes.AWS_INSTANCE_PORT}`).join(", ");
    p.say(p.dim(`  + ${extra.name}: registered in ${extra.namespace} by hand (not ECS), ${inst}, tags ${Object.entries(extra.tags).map(([k, v]) => `${k}=${v}`).join(" ")}`));
  }
}

export async function firstReconcile(ctx: ActContext): Promise<void> {
  const { p, s, n } = ctx;
  p.heading("Act 1 · the first full reconcile");
  p.note("A manual invoke ({\"action\":\"reconcile\"}, as after a deploy) reads every Cloud Map namespace and page, the tags,\nand ECS for the tasks; it publishes the document to S3 and the manifest to SSM. Then the sidecar and Prometheus follow.");
  const started = Date.now();
  s.tracker.markInitial(started);
  const calls0 = s.sim.calls.total({});
  const r = await handleInput(s.deps, { action: "reconcile", dryRun: false });
  if (r.kind !== "reconcile") throw new Error(`unexpected ${r.kind} result`);
  const sum = r.summary;
  const at = Date.now();
  p.line("reconcile", `full discovery: ${sum.namespaces} namespaces, ${sum.services} opted-in services, ${s.sim.calls.total({}) - calls0} AWS calls, ${sum.durationMs} ms`, at);
  for (const k of sum.skippedEndpoints) p.line("reconcile", p.red(`skipped ${k.namespaceName}/${k.serviceName}: ${k.tag}=${JSON.stringify(k.value)}: ${k.reason} (the other services go on)`), at);
  const { doc } = await n.refreshDocument("full reconcile", at);
  p.line("document", `${p.green(`generation ${sum.generation}`)}: ${sum.targets} targets in s3://${s.config.bucket}/${s.config.key} (one target group per target)`, at);
  const first = doc?.text.split("\n")[1] ?? "";
  p.say(p.dim(`             ${first.length > 150 ? `${first.slice(0, 147)}...` : first}`));
  p.line("document", `manifest ssm:${s.config.manifestParameter}: generation ${sum.generation}, sha256 ${sum.sha256.slice(0, 12)}…, ${sum.targets} targets`, at);
  s.pipeline.start();
  await settle(ctx);
  actResult(ctx, started, "the start of the reconcile");
}

export async function rollingDeployment(ctx: ActContext): Promise<void> {
  const { p, s } = ctx;
  const svc = pickServices(s.sim.scenario).deploy;
  p.heading(`Act 2 · a rolling deployment of ${svc.name}`);
  p.note(
    "ECS starts the new revision's tasks, then stops the old ones. Each step is an ECS \"Task State Change\" event\n" +
      "(and a Cloud Map RegisterInstance/DeregisterInstance via CloudTrail). The rules drop PROVISIONING/PENDING; the\n" +
      "queue batches the rest; a target is added at RUNNING and removed at the first sign of stopping.",
  );
  const since = Date.now();
  const old = s.lifecycle.live(svc.cluster, svc.name);
  const rev = s.lifecycle.newRevision(svc.cluster, svc.name);
  p.line("aws", `UpdateService ${svc.cluster}/${svc.name} → task definition ${rev}`);
  const fresh: string[] = [];
  for (let i = 0; i < old.length; i++) {
    fresh.push(s.lifecycle.launch(svc.cluster, svc.name));
    await sleep(ctx, 300);
  }
  await until(ctx, () => fresh.every((id) => s.sim.state.task(id).lastStatus === "RUNNING"), 10_000);
  await sleep(ctx, 1500);
  for (const id of old) {
    s.lifecycle.retire(id, "Scaling activity initiated by (deployment ecs-svc/demo)");
    await sleep(ctx, 500);
  }
  await settle(ctx);
  actResult(ctx, since);
}

export async function scaleOut(ctx: ActContext): Promise<void> {
  const { p, s } = ctx;
  const svc = pickServices(s.sim.scenario).scale;
  const live = s.lifecycle.live(svc.cluster, svc.name).length;
  const to = live + 3;
  p.heading(`Act 3 · ${svc.name} scales out ${live} → ${to}`);
  p.note("A queue backs up; Application Auto Scaling raises the desired count. The new workers' statsd-exporter\nendpoints (port 9102) appear as targets as soon as the tasks run.");
  const since = Date.now();
  s.sim.state.ecs.service(svc.cluster, svc.name).desiredCount = to;
  p.line("aws", `desired count of ${svc.cluster}/${svc.name}: ${live} → ${to}`);
  for (let i = live; i < to; i++) {
    s.lifecycle.launch(svc.cluster, svc.name);
    await sleep(ctx, 200);
  }
  await settle(ctx);
  actResult(ctx, since);
}

export async function crashingTask(ctx: ActContext): Promise<void> {
  const { p, s } = ctx;
  const svc = pickServices(s.sim.scenario).crash;
  p.heading(`Act 4 · a task of ${svc.name} crashes`);
  p.note("Its essential container exits: the task goes to STOPPED at once, the service scheduler starts a replacement.\nThe dead task's targets (app and infra endpoints) leave; the replacement's arrive.");
  const victim = s.lifecycle.live(svc.cluster, svc.name)[0];
  if (!victim) {
    p.line("demo", `no running task of ${svc.name} to crash; skipped`);
    return;
  }
  const since = Date.now();
  s.lifecycle.crash(victim);
  await sleep(ctx, 1500);
  s.lifecycle.launch(svc.cluster, svc.name);
  await settle(ctx);
  actResult(ctx, since);
}
