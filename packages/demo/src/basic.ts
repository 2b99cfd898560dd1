// The offline demo's first act: the local AWS simulator seeded with a scenario, a full
// reconcile into its S3 and SSM, the published document, then a change in the account
// (a task crashes, a service scales out) and the reconcile that follows it.
import { createReconcilerClients, parseReconcileConfig, readManifest, readPublished, reconcile } from "@scrape-reconciler/aws";
import { formatDiff } from "@scrape-reconciler/core";
import { startSimulator, simClientConfig } from "@scrape-reconciler/sim";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";

export interface DemoIo {
  out: (text: string) => void;
}

export interface BasicDemoOptions {
  scenario: string;
  bucket?: string;
}

export async function runBasicDemo(opts: BasicDemoOptions, io: DemoIo): Promise<void> {
  const sim = await startSimulator({ scenario: opts.scenario });
  try {
    const bucket = opts.bucket ?? "scrape-reconciler-demo";
    await new S3Client(simClientConfig(sim)).send(new CreateBucketCommand({ Bucket: bucket })).catch(() => undefined);
    const env = { ...sim.endpointEnv(), TARGETS_BUCKET: bucket };
    const config = parseReconcileConfig(env);
    const clients = createReconcilerClients(env);
    const deps = { clients, config, now: () => new Date() };
    io.out(`local AWS simulator on ${sim.url} (scenario ${opts.scenario}): ${sim.state.tasks({}).length} tasks`);

    io.out("\n== 1. first reconcile: discover Cloud Map + ECS, publish to S3 and SSM");
    let s = await reconcile(deps);
    io.out(formatDiff(s.diff, 30));
    for (const k of s.skippedEndpoints) io.out(`skipped: ${k.namespaceName}/${k.serviceName} ${k.tag}=${JSON.stringify(k.value)}: ${k.reason}`);
    io.out(`generation ${s.generation}, ${s.targets} targets, ${s.durationMs} ms`);

    io.out(`\n== 2. the published document: s3://${bucket}/${config.key}`);
    const doc = await readPublished({ ...clients, bucket, key: config.key });
    const clip = (line: string) => (line.length > 160 ? `${line.slice(0, 157)}...` : line);
    io.out((doc?.text ?? "").split("\n").slice(0, 3).map(clip).join("\n") + `\n... (${doc?.document.length ?? 0} target groups, one per target)`);
    const manifest = await readManifest(clients.ssm, config.manifestParameter);
    io.out(`manifest ${config.manifestParameter}: ${JSON.stringify(manifest)}`);

    io.out("\n== 3. nothing changed: the second reconcile writes nothing");
    s = await reconcile(deps);
    io.out(`written: ${s.written}, generation still ${s.generation}`);

    io.out("\n== 4. a task crashes and a service scales out");
    const victim = sim.state.tasks({}).find((t) => t.lastStatus === "RUNNING");
    if (victim?.taskArn) sim.state.stopTask(victim.taskArn, "Essential container in task exited");
    const scaled = sim.scenario.services.find((svc) => /^\d+$/.test(svc.tags?.METRICS_PORT ?? "") && (svc.networkMode ?? "awsvpc") === "awsvpc");
    if (scaled) sim.state.startTask(scaled.cluster, scaled.name, { until: "RUNNING" });
    s = await reconcile(deps);
    io.out(formatDiff(s.diff, 30));
    io.out(`generation ${s.previousGeneration} -> ${s.generation}`);
  } finally {
    await sim.close();
  }
}
