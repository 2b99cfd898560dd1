/// <reference path="./.sst/platform/config.d.ts" />
// scrape-reconciler's deployable infrastructure, one stage per AWS account and
// region: `sst deploy --stage <stage>`. The stage's settings come from
// infra/stages/<stage>.json (or SCRAPE_RECONCILER_CONFIG); each infra/ module
// holds one concept. See infra/README.md.
// SST refuses top-level imports in this file (since 3.11): app() and run() import
// infra/ dynamically; app() may be async. infra/config.ts is pure (zod, node:fs).
export default $config({
  async app(input) {
    const { stageRemoval } = await import("./infra/config");
    const app = { name: "scrape-reconciler", home: "aws" } as const;
    // Per stage (infra/stages/<stage>.json `removal`, `protect`); by default a stage keeps
    // its bucket and settings on `sst remove`, which refuses it.
    const { removal, protect } = stageRemoval({ app: app.name, stage: input?.stage });
    return { ...app, removal, protect };
  },
  async run() {
    const { loadStageConfig } = await import("./infra/config");
    const { assertDeployTarget, deployContext } = await import("./infra/context");
    const { createEventDelivery } = await import("./infra/delivery");
    const { createStorage } = await import("./infra/storage");
    const { createReconcile } = await import("./infra/reconcile");
    const { createForwarder } = await import("./infra/forwarder");
    const { createAudit } = await import("./infra/audit");
    const { createAlarmTopic, createAlarms } = await import("./infra/alarms");
    const { createSidecarAccess } = await import("./infra/sidecar-access");
    const { createTrail } = await import("./infra/trail");

    const cfg = loadStageConfig({ app: $app.name, stage: $app.stage, root: $cli.paths.root });
    // Wrong credentials or region for this stage: stop before declaring anything.
    await assertDeployTarget(cfg);
    const ctx = deployContext();
    const delivery = createEventDelivery();
    const storage = createStorage(cfg, ctx);
    const reconcile = createReconcile(cfg, ctx, storage, delivery);
    const forward = createForwarder(cfg, ctx, storage, delivery);
    const audit = createAudit(cfg, ctx, storage, delivery);
    delivery.allowRules();
    const topic = createAlarmTopic(cfg);
    createAlarms(cfg, topic, {
      functions: [
        { role: "reconcile", name: reconcile.fn.name },
        ...(forward ? [{ role: "forward", name: forward.fn.name }] : []),
        { role: "audit", name: audit.fn.name },
      ],
      deadLetterQueueName: reconcile.dlq.name,
      eventRuleNames: delivery.rules.map((rule) => rule.name),
      eventDeadLetterQueueName: delivery.deadLetters.name,
    });
    const sidecar = createSidecarAccess(cfg, ctx, storage);
    // Optional (stage `trail`): the management-event trail the Cloud Map event rule depends on.
    createTrail(cfg, ctx);

    return {
      bucket: storage.bucketName,
      documentKey: storage.documentKey,
      // For readers in other accounts (stage `readers`): the object ARN their role's policy
      // names, and the sidecar source that reads it from anywhere.
      documentArn: storage.documentObjectArn,
      documentSource: $interpolate`s3://${storage.bucketName}/${storage.documentKey}?region=${ctx.region}`,
      manifestParameter: storage.manifestParameter,
      reconcileFunction: reconcile.fn.name,
      forwardFunction: forward?.fn.name ?? "",
      auditFunction: audit.fn.name,
      reconcileQueueUrl: reconcile.queue.url,
      deadLetterQueueUrl: reconcile.dlq.url,
      eventDeadLetterQueueUrl: delivery.deadLetters.url,
      alarmTopicArn: topic.topicArn,
      prometheusReadPolicyArn: sidecar.policy.arn,
      prometheusReadPolicy: sidecar.policy.policy,
    };
  },
});
