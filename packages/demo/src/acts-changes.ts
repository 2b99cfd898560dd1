// The demo's first acts: the simulated account, the deploy of the stack (whose deploy-time
// invocation runs the first full reconcile) and an operator's manual invoke, then everyday
// changes that reach Prometheus through events only: a rolling deployment, a scale-out of
// Celery workers and a crashing task replaced by the scheduler.
import type { ReconcileSummary } from "@scrape-reconciler/reconcile";
import { actResult, pickServices, settle, sleep, until, type ActContext } from "./context";
import { DemoStackError } from "./stack";

/** What the reconcile function logs ("reconciled") and returns for a full reconcile: its summary without the diff. */
export type ReconciledSummary = Omit<ReconcileSummary, "diff">;

/** The manual invoke's payload (an operator's `scrape-reconciler invoke --stage demo`). */
export const MANUAL_RECONCILE = { action: "reconcile", dryRun: false } as const;

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
      'ECS_METRICS_PORT adds a second, "infra" endpoint (the ECS task-metadata exporter).',
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
    p.say(
      p.dim(
        `  + ${extra.name}: registered in ${extra.namespace} by hand (not ECS), ${inst}, tags ${Object.entries(extra.tags)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ")}`,
      ),
    );
  }
}

/** Act 1: `sst deploy`, whose ReconcileOnDeploy publishes the first document, then a manual invoke. */
export async function deployStack(ctx: ActContext): Promise<void> {
  const { p, s, n } = ctx;
  const onDeploy = s.model.invocations.find((i) => i.functionName === s.reconcileFn);
  if (!onDeploy) throw new DemoStackError(`the stack has no deploy-time invocation of ${s.reconcileFn}: nothing would publish before the first schedule`);
  p.heading(`Act 1 · sst deploy --stage ${s.model.stage}: the stack comes up and reconciles once`);
  p.note(
    `The deploy creates the bucket, the queues, the rules, the schedules and the functions (SST's bundles, run on Node 24),\n` +
      `then invokes the reconcile function once (${onDeploy.logicalName}, ${onDeploy.input}): it reads every Cloud Map\n` +
      "namespace and page, the tags, and ECS for the tasks, and publishes the document to S3 and the manifest to SSM.\n" +
      "Then the sidecar and Prometheus follow.",
  );
  const started = Date.now();
  s.tracker.markInitial(started);
  const emulation = await s.deploy();
  const took = s.deployedAt!.ended - s.deployedAt!.started;
  p.line(
    "stack",
    `deployed: ${s.model.functions.length} functions, ${s.model.rules.length} rules, ${s.model.queues.length} queues, ${s.model.alarms.length} alarms, in ${took} ms with its deploy-time invocation`,
  );
  const first = s.logs.withMessage(s.reconcileFn, "reconciled")[0];
  if (!first) throw new DemoStackError(`${onDeploy.logicalName} ran, but ${s.reconcileFn} logged no "reconciled" line`);
  const sum = first.record as unknown as ReconciledSummary;
  const inv = first.invocation;
  const at = inv.endedAt;
  const calls = s.sim.calls.log.filter((c) => c.time >= inv.startedAt && c.time <= inv.endedAt).length;
  const cold = inv.initDurationMs !== undefined ? `, cold start (INIT ${Math.round(inv.initDurationMs)} ms)` : "";
  p.line(
    "reconcile",
    `${onDeploy.logicalName}: full discovery: ${sum.namespaces} namespaces, ${sum.services} opted-in services, ${calls} AWS calls, ${sum.durationMs} ms${cold}`,
    at,
  );
  for (const k of sum.skippedEndpoints)
    p.line("reconcile", p.red(`skipped ${k.namespaceName}/${k.serviceName}: ${k.tag}=${JSON.stringify(k.value)}: ${k.reason} (the other services go on)`), at);
  if (!sum.written) {
    p.line("reconcile", p.red(`nothing published${sum.withheld ? `: ${sum.withheld}` : ""}; the schedule will try again`), at);
  } else {
    const { doc } = await n.refreshDocument("the deploy's full reconcile", at);
    p.line(
      "document",
      `${p.green(`generation ${sum.generation}`)}: ${sum.targets} targets in s3://${s.config.bucket}/${s.config.key} (one target group per target)`,
      at,
    );
    const line = doc?.text.split("\n")[1] ?? "";
    p.say(p.dim(`             ${line.length > 150 ? `${line.slice(0, 147)}...` : line}`));
    p.line(
      "document",
      `manifest ssm:${s.config.manifestParameter}: generation ${sum.generation}, sha256 ${sum.sha256.slice(0, 12)}…, ${sum.targets} targets`,
      at,
    );
  }
  s.pipeline.start();

  // An operator's manual reconcile, a synchronous invoke of the deployed function.
  const r = await emulation.invoke(s.reconcileFn, MANUAL_RECONCILE);
  if (!r.ok) {
    p.line("reconcile", p.red(`manual invoke failed: ${r.error?.errorType}: ${r.error?.errorMessage}`));
  } else {
    const m = r.result as ReconciledSummary;
    const what = m.written
      ? `published ${p.green(`generation ${m.generation}`)} (+${m.added} -${m.removed})`
      : `the account is unchanged: no write (same sha256), generation stays ${m.generation}`;
    p.line(
      "reconcile",
      `manual invoke ${JSON.stringify(MANUAL_RECONCILE)} (scrape-reconciler invoke --stage ${s.model.stage}): ${what} · ${Math.round(r.durationMs)} ms${r.coldStart ? " (cold start)" : ", warm"}`,
    );
  }
  await settle(ctx);
  actResult(ctx, started, "the start of the deploy");
}

type Picked = ReturnType<typeof pickServices>;

/**
 * An everyday change to one of the services the script acts on:
 * 1. `announce` gets the service (pickServices' choice for `role`), prints the act's heading
 *    and note, and returns the change, or undefined when there is nothing to change.
 * 2. The change runs; the act's result counts from the moment it starts.
 * 3. The act waits until the pipeline has settled and prints what changed and how fast.
 */
async function changeService(ctx: ActContext, role: keyof Picked, announce: (svc: Picked[keyof Picked]) => (() => Promise<void>) | undefined): Promise<void> {
  const change = announce(pickServices(ctx.s.sim.scenario)[role]);
  if (!change) return;
  const since = Date.now();
  await change();
  await settle(ctx);
  actResult(ctx, since);
}

export function rollingDeployment(ctx: ActContext): Promise<void> {
  const { p, s } = ctx;
  return changeService(ctx, "deploy", (svc) => {
    p.heading(`Act 3 · a rolling deployment of ${svc.name}`);
    p.note(
      'ECS starts the new revision\'s tasks, then stops the old ones. Each step is an ECS "Task State Change" event\n' +
        "(and a Cloud Map RegisterInstance/DeregisterInstance via CloudTrail). The rules drop PROVISIONING/PENDING; the\n" +
        "queue batches the rest; a target is added at RUNNING and removed at the first sign of stopping.",
    );
    return async () => {
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
    };
  });
}

export function scaleOut(ctx: ActContext): Promise<void> {
  const { p, s } = ctx;
  return changeService(ctx, "scale", (svc) => {
    const live = s.lifecycle.live(svc.cluster, svc.name).length;
    const to = live + 3;
    p.heading(`Act 4 · ${svc.name} scales out ${live} → ${to}`);
    p.note(
      "A queue backs up; Application Auto Scaling raises the desired count. The new workers' statsd-exporter\nendpoints (port 9102) appear as targets as soon as the tasks run.",
    );
    return async () => {
      s.sim.state.ecs.service(svc.cluster, svc.name).desiredCount = to;
      p.line("aws", `desired count of ${svc.cluster}/${svc.name}: ${live} → ${to}`);
      for (let i = live; i < to; i++) {
        s.lifecycle.launch(svc.cluster, svc.name);
        await sleep(ctx, 200);
      }
    };
  });
}

export function crashingTask(ctx: ActContext): Promise<void> {
  const { p, s } = ctx;
  return changeService(ctx, "crash", (svc) => {
    p.heading(`Act 5 · a task of ${svc.name} crashes`);
    p.note(
      "Its essential container exits: the task goes to STOPPED at once, the service scheduler starts a replacement.\nThe dead task's targets (app and infra endpoints) leave; the replacement's arrive.",
    );
    const victim = s.lifecycle.live(svc.cluster, svc.name)[0];
    if (!victim) {
      p.line("demo", `no running task of ${svc.name} to crash; skipped`);
      return undefined;
    }
    return async () => {
      s.lifecycle.crash(victim);
      await sleep(ctx, 1500);
      s.lifecycle.launch(svc.cluster, svc.name);
    };
  });
}
