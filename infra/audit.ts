// The audit: every 5 minutes, compares the published document with what AWS
// runs now and emits CloudWatch metrics (EMF through its logs, so no
// cloudwatch:PutMetricData) that alarms.ts watches: StaleTargets,
// MissingTargets, DocumentAgeSeconds, ReconcileAgeSeconds, DiscoveryErrors.
// It reads (never writes) the document, the manifest and the reconciler state
// (for the time of the last successful full reconcile).
import type { StageConfig } from "./config";
import type { DeployContext } from "./context";
import type { EventDelivery } from "./delivery";
import { auditStatements } from "./iam";
import { appFunction, discoveryEnvironment, discoveryScope, type AppFunction } from "./lambda";
import { scheduleFunction } from "./schedule";
import type { Storage } from "./storage";

export const AUDIT_METRICS = ["StaleTargets", "MissingTargets", "DocumentAgeSeconds", "ReconcileAgeSeconds", "DiscoveryErrors"] as const;

export function createAudit(cfg: StageConfig, ctx: DeployContext, storage: Storage, delivery: EventDelivery): AppFunction {
  const f = appFunction(cfg, ctx, "Audit", {
    role: "audit",
    handler: "functions/audit.handler",
    description: "Audits the published targets document against AWS and emits CloudWatch metrics",
    timeoutSeconds: 120,
    memoryMb: 512,
    reservedConcurrency: 1,
    environment: discoveryEnvironment(cfg, storage),
    statements: (logStreamsArn) =>
      auditStatements<$util.Input<string>>(
        {
          bucketArn: storage.bucketArn,
          documentKey: storage.documentKey,
          stateKey: storage.stateKey,
          indexKey: storage.indexKey,
          scope: discoveryScope(cfg, ctx),
          documentObjectArn: storage.documentObjectArn,
          stateObjectArn: storage.stateObjectArn,
          indexObjectArn: storage.indexObjectArn,
          shardObjectsArn: storage.shardObjectsArn,
          statePartsArn: storage.statePartsArn,
          manifestParameterArn: storage.manifestParameterArn,
          logStreamsArn,
        },
        "*",
      ),
  });
  scheduleFunction("Audit", cfg.schedules.audit, f.fn, "Audit of the published targets", delivery);
  return f;
}
