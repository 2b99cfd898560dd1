// How every function of this app is built and run: runtime, architecture,
// bundling, its own log group, exact IAM statements (`permissions`, never
// `link`, which grants s3:* / sqs:*) and a role that only Lambda can assume.
// Environment variable names come from packages/core's env-names, the module the
// functions' parsers read them from.
import { ENV, RUNTIME_ENV } from "../packages/core/src/env-names";
import type { StageConfig } from "./config";
import type { DeployContext } from "./context";
import { assertSdkBundled } from "./bundle-check";
import { lambdaTrustPolicy, wildcardActions, XRAY_WRITE_ACTIONS, type DiscoveryScope, type Statement } from "./iam";
import { functionName, roleName, type FunctionRole } from "./naming";
import type { Storage } from "./storage";

/** CloudWatch namespace of the EMF metrics all functions emit (Powertools Metrics). */
export const METRICS_NAMESPACE = "ScrapeReconciler";
/**
 * What every function runs on: the newest Node runtime that both AWS Lambda and SST 4.17.1
 * accept (Node 22 leaves support in 2027), on arm64.
 */
const PLATFORM = { runtime: "nodejs24.x", architecture: "arm64" } as const;

export interface AppFunctionArgs {
  role: FunctionRole;
  /** `functions/<file>.handler`, relative to the repository root. */
  handler: string;
  description: string;
  timeoutSeconds: number;
  memoryMb: number;
  reservedConcurrency?: number;
  environment: Record<string, $util.Input<string>>;
  /** Statements of the function, given the ARN of its own log streams. */
  statements: (logStreamsArn: $util.Output<string>) => Statement<$util.Input<string>>[];
}

export interface AppFunction {
  fn: sst.aws.Function;
  name: string;
  logGroup: aws.cloudwatch.LogGroup;
}

export function appFunction(cfg: StageConfig, ctx: DeployContext, logicalName: string, a: AppFunctionArgs): AppFunction {
  const name = functionName(cfg.app, cfg.stage, a.role);
  const logGroup = new aws.cloudwatch.LogGroup(`${logicalName}Logs`, {
    name: `/aws/lambda/${name}`,
    retentionInDays: cfg.logRetentionDays,
  });
  const statements = a.statements($interpolate`${logGroup.arn}:*`);
  // Stage `tracing`: X-Ray's write actions, on "*" (X-Ray has no resource-level permissions
  // for them), instead of the AWSXRayDaemonWriteAccess managed policy (the same two and more).
  if (cfg.tracing) statements.push({ actions: [...XRAY_WRITE_ACTIONS], resources: ["*"] });
  const wild = wildcardActions(statements);
  if (wild.length > 0) throw new Error(`${logicalName}: wildcard IAM actions are not allowed: ${wild.join(", ")}`);

  const fn = new sst.aws.Function(logicalName, {
    name,
    description: a.description,
    handler: a.handler,
    ...PLATFORM,
    timeout: `${a.timeoutSeconds} seconds`,
    memory: `${a.memoryMb} MB`,
    // esbuild: minified ESM with linked source maps, split into chunks: what a function
    // imports dynamically (the EC2 SDK, the SDK's rarely used credential providers) is
    // its own file in the same zip, loaded only when called, not at cold start. The AWS
    // SDK is bundled from the lockfile's versions (nothing in `install`/`external`);
    // the postbuild hook checks every chunk and fails the deploy if a build ever leaves it external.
    nodejs: { format: "esm", minify: true, sourcemap: true, splitting: true },
    hook: { postbuild: assertSdkBundled },
    environment: {
      [RUNTIME_ENV.NODE_OPTIONS]: "--enable-source-maps",
      [RUNTIME_ENV.POWERTOOLS_SERVICE_NAME]: cfg.app,
      [RUNTIME_ENV.POWERTOOLS_METRICS_NAMESPACE]: METRICS_NAMESPACE,
      ...a.environment,
    },
    concurrency: a.reservedConcurrency === undefined ? undefined : { reserved: a.reservedConcurrency },
    logging: { logGroup: logGroup.name, format: "text" },
    permissions: statements,
    transform: {
      role: (args) => {
        // A stable name: a central AMP account's role can trust it by ARN. IAM names
        // are global to the account, so it carries the region.
        args.name = ctx.region.apply((region) => roleName(cfg.app, cfg.stage, region, a.role));
        // SST 4.17.1 makes every role also trust the account root (it tests a
        // Pulumi Output for falsiness): trust the Lambda service only.
        args.assumeRolePolicy = JSON.stringify(lambdaTrustPolicy());
        // Logs go through the inline statement scoped to this log group
        // instead of AWSLambdaBasicExecutionRole (logs:* writes on "*").
        args.managedPolicyArns = [];
      },
      // Stage `tracing`: X-Ray active tracing (default off: PassThrough, Lambda's own default).
      function: (args) => {
        if (cfg.tracing) args.tracingConfig = { mode: "Active" };
      },
    },
  });
  return { fn, name, logGroup };
}

/** The resources of discovery's reads for this stage (iam.ts DiscoveryScope): the account's, ECS services and container instances narrowed to `clusters` when listed. */
export function discoveryScope(cfg: StageConfig, ctx: DeployContext): DiscoveryScope<$util.Input<string>> {
  return {
    ecsTasks: ctx.ecsResourcePatterns("task"),
    ecsServices: ctx.ecsResourcePatterns("service", cfg.clusters),
    ecsContainerInstances: ctx.ecsResourcePatterns("container-instance", cfg.clusters),
    cloudMapServices: [ctx.cloudMapResourcePattern("service")],
    cloudMapNamespaces: [ctx.cloudMapResourcePattern("namespace")],
  };
}

/** The reconcile settings shared by the reconcile and audit functions (names from DESIGN.md). */
export function discoveryEnvironment(cfg: StageConfig, storage: Storage): Record<string, $util.Input<string>> {
  return {
    [ENV.TARGETS_BUCKET]: storage.bucketName,
    [ENV.TARGETS_KEY]: storage.documentKey,
    [ENV.STATE_KEY]: storage.stateKey,
    [ENV.MANIFEST_PARAMETER]: storage.manifestParameter,
    [ENV.NAMESPACES]: cfg.namespaces.join(","),
    [ENV.CLUSTERS]: cfg.clusters.join(","),
    [ENV.TAG_METRICS_PORT]: cfg.tags.metricsPort,
    [ENV.TAG_METRICS_PATH]: cfg.tags.metricsPath,
    [ENV.TAG_ECS_METRICS_PORT]: cfg.tags.ecsMetricsPort,
    [ENV.TAG_ECS_METRICS_PATH]: cfg.tags.ecsMetricsPath,
    [ENV.TAG_METRICS_SCHEME]: cfg.tags.metricsScheme,
  };
}
