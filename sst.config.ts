/// <reference path="./.sst/platform/config.d.ts" />
// scrape-reconciler's deployable infrastructure, one stage per AWS account:
// `sst deploy --stage <stage>`. The stage's settings come from
// infra/stages/<stage>.json (or SCRAPE_RECONCILER_CONFIG); each infra/ module
// holds one concept. See infra/README.md.
export default $config({
  app(input) {
    return {
      name: "scrape-reconciler",
      // Production keeps its bucket (and so the published history) on `sst remove`.
      removal: input?.stage === "production" ? "retain" : "remove",
      protect: input?.stage === "production",
      home: "aws",
    };
  },
  async run() {
    const { loadStageConfig } = await import("./infra/config");
    const { deployContext } = await import("./infra/context");
    const { createStorage } = await import("./infra/storage");
    const { createReconcile } = await import("./infra/reconcile");
    const { createForwarder } = await import("./infra/forwarder");
    const { createAudit } = await import("./infra/audit");
    const { createAlarmTopic, createAlarms } = await import("./infra/alarms");
    const { createSidecarAccess } = await import("./infra/sidecar-access");

    const cfg = loadStageConfig({ app: $app.name, stage: $app.stage, root: $cli.paths.root });
    const ctx = deployContext();
    const storage = createStorage(cfg, ctx);
    const reconcile = createReconcile(cfg, ctx, storage);
    const forward = createForwarder(cfg, ctx, storage);
    const audit = createAudit(cfg, storage);
    const topic = createAlarmTopic(cfg);
    createAlarms(cfg, topic, {
      functions: [
        { role: "reconcile", name: reconcile.fn.name },
        ...(forward ? [{ role: "forward", name: forward.fn.name }] : []),
        { role: "audit", name: audit.fn.name },
      ],
      deadLetterQueueName: reconcile.dlq.name,
    });
    const sidecar = createSidecarAccess(cfg, storage);

    return {
      bucket: storage.bucketName,
      documentKey: storage.documentKey,
      manifestParameter: storage.manifestParameter,
      reconcileFunction: reconcile.fn.name,
      forwardFunction: forward?.fn.name ?? "",
      auditFunction: audit.fn.name,
      reconcileQueueUrl: reconcile.queue.url,
      deadLetterQueueUrl: reconcile.dlq.url,
      alarmTopicArn: topic.topicArn,
      prometheusReadPolicyArn: sidecar.policy.arn,
      prometheusReadPolicy: sidecar.policy.policy,
    };
  },
});
