// Per-stage configuration, in one typed and validated place. A stage reads
// `infra/stages/<stage>.json`, or the JSON in SCRAPE_RECONCILER_CONFIG when that
// variable is set (it wins over the file); a stage with neither gets the
// defaults (removal: the stage's data is retained and the stage protected). Bad
// values fail the deploy with one ConfigError listing them all, one line per field.
// Pure: no SST or Pulumi imports, so it unit-tests in milliseconds and
// sst.config.ts's app() can use it. The error class comes from the core package's
// errors module by relative path (no workspace resolution in SST's config bundle).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { ConfigError, ConfigProblems } from "../packages/core/src/errors";

export { ConfigError };

export const CONFIG_ENV = "SCRAPE_RECONCILER_CONFIG";

const RATE = /^rate\((1 (minute|hour|day)|([2-9]|[1-9]\d+) (minutes|hours|days))\)$/;
const CRON = /^cron\(\S+( \S+){5}\)$/;
const schedule = z.string().refine((v) => RATE.test(v) || CRON.test(v), "expected rate(N minutes|hours|days) or cron(6 fields)");
const s3Key = z
  .string()
  .regex(/^[A-Za-z0-9!_.*'()-][A-Za-z0-9!_.*'()\-/]{0,1023}$/, "expected an S3 key without a leading slash")
  .refine((v) => !v.endsWith("/"), "expected an object key, not a folder");
const tagName = z.string().regex(/^[A-Za-z0-9_.:/=+\-@ ]{1,128}$/, "expected a Cloud Map tag key (1-128 characters)");
const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "expected an AWS region such as eu-west-1");
const ssmName = z
  .string()
  .regex(/^(\/[A-Za-z0-9_.-]+){1,15}$/, "expected an SSM parameter path such as /app/stage/targets/manifest")
  .max(1011);
const clusterRef = z.string().regex(/^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/)?[A-Za-z0-9_-]{1,255}$/, "expected an ECS cluster name or cluster ARN");
const tagFilter = z.string().regex(/^[^=\s][^=]{0,127}=[^=]{0,256}$/, "expected KEY=VALUE");
/**
 * A reader of the published document in another account: an IAM role ARN, with or
 * without a path. Not an account root (`arn:aws:iam::ACCOUNT:root` would let every
 * principal that account's administrators allow read the document, which lists the
 * account's internal addresses), a user, an assumed-role session or a wildcard (the
 * grant matches with ArnEquals, where `*` and `?` are wildcards).
 */
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[\w+=,.@-]{1,512}\/)*[\w+=,.@-]{1,64}$/;
const ROOT_ARN = /^arn:aws[a-z-]*:iam::\d{12}:root$/;
const MAX_READERS = 50;
const isReaderArn = (v: string) => ROLE_ARN.test(v) && v.length <= 2048;
const readerArn = z.string({ error: "expected an IAM role ARN" }).superRefine((v, ctx) => {
  if (isReaderArn(v)) return;
  ctx.addIssue({
    code: "custom",
    message: ROOT_ARN.test(v)
      ? "an account root is not accepted: name the reader role, arn:aws:iam::ACCOUNT:role/NAME (a root would let every principal of that account its administrators allow read the document)"
      : "expected an IAM role ARN, arn:aws:iam::ACCOUNT:role/NAME or arn:aws:iam::ACCOUNT:role/PATH/NAME (no wildcard, user or assumed-role ARN)",
  });
});
const readersSchema = z
  .array(readerArn, { error: "expected a list of IAM role ARNs" })
  .max(MAX_READERS, `at most ${MAX_READERS} readers (the bucket policy is limited to 20 KB)`)
  .superRefine((arns, ctx) => {
    const first = new Map<string, number>();
    arns.forEach((arn, i) => {
      if (!isReaderArn(arn)) return; // already reported
      const seen = first.get(arn);
      if (seen === undefined) first.set(arn, i);
      else ctx.addIssue({ code: "custom", path: [i], message: `duplicate of readers[${seen}]` });
    });
  })
  .default([]);

const AMP_URL = /^https:\/\/aps-workspaces\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com\/workspaces\/(ws-[A-Za-z0-9-]+)\/api\/v1\/remote_write$/;

const ampSchema = z
  .strictObject({
    remoteWriteUrl: z.string().regex(AMP_URL, "expected https://aps-workspaces.REGION.amazonaws.com/workspaces/ws-ID/api/v1/remote_write"),
    /** Signing region; defaults to the URL's region and must agree with it. */
    region: region.optional(),
    /** Account that owns the workspace (default: the deploying account). */
    workspaceAccount: z
      .string()
      .regex(/^\d{12}$/, "expected a 12-digit account id")
      .optional(),
    /** Role in the central account to assume before writing (cross-account AMP). */
    roleArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\-/]{1,512}$/, "expected an IAM role ARN")
      .optional(),
  })
  .superRefine((amp, ctx) => {
    const urlRegion = AMP_URL.exec(amp.remoteWriteUrl)?.[1];
    if (amp.region && urlRegion && amp.region !== urlRegion) {
      ctx.addIssue({ code: "custom", path: ["region"], message: `does not match the URL's region ${urlRegion}` });
    }
  })
  .transform((amp) => {
    const m = AMP_URL.exec(amp.remoteWriteUrl)!;
    return { ...amp, region: amp.region ?? m[1]!, workspaceId: m[2]! };
  });

// What the forwarder reads (packages/forwarder): with ids, only those (and IAM names
// their ARNs); without, every resource of the kind in the region, optionally
// narrowed by tag. `enabled: false` leaves a source out.
const rdsSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** DB instance identifiers (empty: every instance in the region). */
    instances: z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,62}$/, "expected a DB instance identifier")).default([]),
    /** Keep only instances with this tag, as KEY=VALUE. */
    tag: tagFilter.optional(),
    /** Aurora cluster-level metrics too (DescribeDBClusters). */
    auroraClusters: z.boolean().default(true),
  })
  .default({ enabled: true, instances: [], auroraClusters: true });

const elastiCacheSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Cache cluster ids (Redis replication groups: the node clusters, e.g. my-redis-001); empty: all. */
    clusters: z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,49}$/, "expected an ElastiCache cluster id")).default([]),
    tag: tagFilter.optional(),
  })
  .default({ enabled: true, clusters: [] });

const alarmsSchema = z
  .strictObject({
    /** E-mail address subscribed to a topic this stage creates. */
    email: z.email().optional(),
    /** Existing SNS topic to notify instead of creating one. */
    topicArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/, "expected an SNS topic ARN")
      .optional(),
    /** Consecutive 5-minute periods a condition must hold before the alarm fires. */
    evaluationPeriods: z.int().min(1).max(288).default(3),
    // The audit runs every 5 minutes and an unchanged account's reconcile records a
    // heartbeat in the state every 15: 1800 s leaves room for one missed heartbeat and
    // an audit period, so a quiet, healthy account never trips these.
    documentMaxAgeSeconds: z.int().min(60).max(86_400).default(1800),
    reconcileMaxAgeSeconds: z.int().min(60).max(86_400).default(1800),
  })
  .refine((a) => !(a.email && a.topicArn), { message: "set email or topicArn, not both", path: ["topicArn"] })
  .default({ evaluationPeriods: 3, documentMaxAgeSeconds: 1800, reconcileMaxAgeSeconds: 1800 });

/** What `sst remove` does to the stage's data. Default: keep it (see REMOVAL_DEFAULTS). */
const removalSchema = z.enum(["retain", "remove"], { error: 'expected "retain" or "remove"' });

/**
 * The safe default for a stage that says nothing: its bucket (the published document,
 * its history and the reconciler state) and the bucket's settings survive `sst remove`,
 * and `sst remove` refuses the stage. A throwaway stage opts out in its file with
 * `"removal": "remove", "protect": false`.
 */
export const REMOVAL_DEFAULTS = { removal: "retain", protect: true } as const;

/** CloudWatch Logs' accepted retention periods, in days (PutRetentionPolicy). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;
const logRetention = z
  .number({ error: "expected a number of days" })
  .refine((n) => (LOG_RETENTION_DAYS as readonly number[]).includes(n), `expected one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(", ")}`);
/** The AWS account a stage deploys to (stage files must name it; see checkDeployTarget). */
const accountId = z.string({ error: "expected a 12-digit AWS account id, as a string" }).regex(/^\d{12}$/, "expected a 12-digit AWS account id, as a string");

export const stageConfigSchema = z
  .strictObject({
    /** The AWS account and region this stage deploys to: a deploy with credentials of another
     * account, or to another region, stops before creating anything (checkDeployTarget).
     * Required in a stage file; SCRAPE_RECONCILER_CONFIG may leave them out (the emulator's
     * stages), and then nothing is compared. */
    account: accountId.optional(),
    region: region.optional(),
    /** "retain": `sst remove` keeps the bucket and each of its settings (public access block,
     * TLS-only policy, versioning, encryption, ownership, lifecycle); "remove": deletes them. */
    removal: removalSchema.default(REMOVAL_DEFAULTS.removal),
    /** `sst remove` refuses a protected stage. */
    protect: z.boolean({ error: "expected true or false" }).default(REMOVAL_DEFAULTS.protect),
    /** Cloud Map namespace names or ids to include (empty: all). */
    namespaces: z.array(z.string().min(1).max(1024)).default([]),
    /** ECS cluster names or ARNs to include (empty: all); also narrows the ECS event rule. */
    clusters: z.array(clusterRef).default([]),
    /** Cloud Map service tag names of the opt-in contract. */
    tags: z
      .strictObject({
        metricsPort: tagName.default("METRICS_PORT"),
        metricsPath: tagName.default("METRICS_PATH"),
        ecsMetricsPort: tagName.default("ECS_METRICS_PORT"),
        ecsMetricsPath: tagName.default("ECS_METRICS_PATH"),
        metricsScheme: tagName.default("METRICS_SCHEME"),
      })
      .default({
        metricsPort: "METRICS_PORT",
        metricsPath: "METRICS_PATH",
        ecsMetricsPort: "ECS_METRICS_PORT",
        ecsMetricsPath: "ECS_METRICS_PATH",
        metricsScheme: "METRICS_SCHEME",
      }),
    document: z
      .strictObject({
        key: s3Key.default("targets/ecs-services.json"),
        stateKey: s3Key.default("targets/state.json"),
        forwardStateKey: s3Key.default("forwarder/state.json"),
        noncurrentVersionDays: z.int().min(1).max(3650).default(30),
      })
      .default({
        key: "targets/ecs-services.json",
        stateKey: "targets/state.json",
        forwardStateKey: "forwarder/state.json",
        noncurrentVersionDays: 30,
      }),
    /** IAM role ARNs of other accounts (a central Prometheus) that may read the published
     * document: s3:GetObject on that one object, granted by the bucket policy. */
    readers: readersSchema,
    /** SSM parameter of the manifest; default /<app>/<stage>/targets/manifest. */
    manifestParameter: ssmName.optional(),
    amp: ampSchema.optional(),
    rds: rdsSchema,
    elastiCache: elastiCacheSchema,
    alarms: alarmsSchema,
    schedules: z
      .strictObject({
        reconcile: schedule.default("rate(5 minutes)"),
        forward: schedule.default("rate(1 minute)"),
        audit: schedule.default("rate(5 minutes)"),
      })
      .default({ reconcile: "rate(5 minutes)", forward: "rate(1 minute)", audit: "rate(5 minutes)" }),
    reconcile: z
      .strictObject({
        timeoutSeconds: z.int().min(10).max(900).default(60),
        /** Reserved concurrency and SQS maximum concurrency (SQS allows no fewer than 2). */
        maxConcurrency: z.int().min(2).max(10).default(2),
        maxReceiveCount: z.int().min(1).max(1000).default(5),
        /** How long the queue's event source gathers events into one batch (0: invoke at once,
         * up to 10 events; from 1 s: up to 1,000). See infra/reconcile.ts. */
        batchingWindowSeconds: z.int().min(0).max(300).default(0),
      })
      .default({ timeoutSeconds: 60, maxConcurrency: 2, maxReceiveCount: 5, batchingWindowSeconds: 0 }),
    /** Name of the existing Prometheus ECS task role to attach the read-only policy to. */
    prometheusTaskRoleName: z
      .string()
      .regex(/^[\w+=,.@-]{1,64}$/, "expected an IAM role name")
      .optional(),
    /** CloudWatch Logs retention of the functions' log groups, in days. */
    logRetentionDays: logRetention.default(30),
    /** AWS X-Ray active tracing of the functions (and the role's X-Ray write actions). */
    tracing: z.boolean({ error: "expected true or false" }).default(false),
    /** A CloudTrail trail of this region's management write events (infra/trail.ts): Cloud Map
     * changes reach EventBridge only through one. Leave false when the account (or its
     * organization) already has one: an extra copy of management events is billed. */
    trail: z.boolean({ error: "expected true or false" }).default(false),
  })
  .superRefine((c, ctx) => {
    if (c.amp && !c.rds.enabled && !c.elastiCache.enabled) {
      ctx.addIssue({ code: "custom", path: ["rds", "enabled"], message: "amp is set but both rds and elastiCache are disabled: nothing to forward" });
    }
  });

export type StageConfigInput = z.input<typeof stageConfigSchema>;
export type StageConfig = z.output<typeof stageConfigSchema> & {
  manifestParameter: string;
  stage: string;
  app: string;
  /** Where the settings came from (the stage file, or SCRAPE_RECONCILER_CONFIG): error lines name it. */
  source: string;
};

const STAGE = /^[a-z0-9][a-z0-9-]{0,29}$/;

/**
 * Validates raw JSON for one stage; throws a ConfigError with one problem per bad field
 * (variable: the field's path), each line `SOURCE: FIELD: message`.
 */
export function parseStageConfig(raw: unknown, opts: { app: string; stage: string; source: string; requireTarget?: boolean }): StageConfig {
  const problems = new ConfigProblems();
  if (!STAGE.test(opts.stage)) {
    problems.add("stage", `${opts.source}: stage: "${opts.stage}" must match ${STAGE.source} (it is part of function names)`);
  }
  const res = stageConfigSchema.safeParse(raw ?? {});
  if (!res.success) {
    for (const issue of res.error.issues) {
      const field = formatPath(issue.path) || "(root)";
      problems.add(field, `${opts.source}: ${field}: ${issue.message}`);
    }
  }
  if (opts.requireTarget && raw !== null && typeof raw === "object" && !Array.isArray(raw)) {
    const given = raw as Record<string, unknown>;
    if (given.account === undefined) {
      problems.add("account", `${opts.source}: account: required: the 12-digit AWS account id this stage deploys to (a deploy with other credentials stops)`);
    }
    if (given.region === undefined) problems.add("region", `${opts.source}: region: required: the AWS region this stage deploys to, such as eu-west-1`);
  }
  const { data } = problems.finish({ data: res.data });
  return {
    ...data,
    app: opts.app,
    stage: opts.stage,
    source: opts.source,
    manifestParameter: data.manifestParameter ?? `/${opts.app}/${opts.stage}/targets/manifest`,
  };
}

/** Reads the stage's configuration from the environment variable or the stage file. */
export function loadStageConfig(opts: { app: string; stage: string; root: string; env?: NodeJS.ProcessEnv }): StageConfig {
  const env = opts.env ?? process.env;
  const fromEnv = env[CONFIG_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== "") {
    return parseStageConfig(parseJson(fromEnv, CONFIG_ENV), { ...opts, source: CONFIG_ENV });
  }
  const rel = `infra/stages/${opts.stage}.json`;
  const file = join(opts.root, rel);
  if (!existsSync(file)) {
    throw new ConfigError(
      "account",
      `${rel}: absent: every stage has a stage file naming its "account" and "region" (see infra/stages/example.json), or its settings in ${CONFIG_ENV}`,
    );
  }
  return parseStageConfig(parseJson(readFileSync(file, "utf8"), rel), { ...opts, source: rel, requireTarget: true });
}

/** Where a deploy's credentials and provider point: the caller's account and the provider's region. */
export interface DeployTarget {
  account: string;
  region: string;
  /** The caller's ARN, to name whose credentials these are. */
  callerArn?: string;
}

/**
 * Stops a deploy (any sst command that runs the program) whose credentials belong to another
 * account than the stage's `account`, or whose provider region is not the stage's `region`:
 * one line per mismatch, naming the field. A configuration without them (the emulator's,
 * through SCRAPE_RECONCILER_CONFIG) is not compared.
 */
export function checkDeployTarget(cfg: Pick<StageConfig, "account" | "region" | "source" | "stage">, actual: DeployTarget): void {
  const problems = new ConfigProblems();
  if (cfg.account !== undefined && cfg.account !== actual.account) {
    const who = actual.callerArn ? ` (${actual.callerArn})` : "";
    problems.add(
      "account",
      `${cfg.source}: account: stage ${cfg.stage} deploys to account ${cfg.account}, but the credentials are of account ${actual.account}${who}: use that account's credentials (AWS_PROFILE)`,
    );
  }
  if (cfg.region !== undefined && cfg.region !== actual.region) {
    problems.add(
      "region",
      `${cfg.source}: region: stage ${cfg.stage} deploys to ${cfg.region}, but the AWS provider's region is ${actual.region}: set AWS_REGION=${cfg.region} (or the profile's region)`,
    );
  }
  problems.throwIfAny();
}

/**
 * The stage's removal settings, for sst.config.ts's app(). SST evaluates app() before it
 * tells the program the project's root, so the root is the first folder holding
 * sst.config.ts from the working directory up (where SST itself finds it). The whole
 * configuration is validated, so a bad stage file stops every sst command at once.
 * Without a stage (SST may evaluate app() before one is chosen), the safe defaults.
 */
export function stageRemoval(opts: { app: string; stage: string | undefined; cwd?: string; env?: NodeJS.ProcessEnv }): {
  removal: "retain" | "remove";
  protect: boolean;
} {
  if (!opts.stage) return { ...REMOVAL_DEFAULTS };
  const cfg = loadStageConfig({ app: opts.app, stage: opts.stage, root: projectRoot(opts.cwd ?? process.cwd()), env: opts.env });
  return { removal: cfg.removal, protect: cfg.protect };
}

function projectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "sst.config.ts"))) return dir;
    if (dirname(dir) === dir) return from;
  }
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(source, `${source}: not valid JSON (${(err as Error).message.split("\n")[0]})`);
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}
