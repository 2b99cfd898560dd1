// Where the sidecar reads the targets document from, behind one interface:
//   fetch(previous) -> { status: "unchanged" } | { status: "changed", body, generation?, etag?, sha256? }
// `previous` is what was last applied (verified and published), so a source can answer
// "unchanged" cheaply: S3 with a conditional GET (If-None-Match; 304 and no body in the
// steady state), a local file by its sha256, SSM by the manifest (ssm-source.ts): one
// GetParameter per poll, and S3 only when the manifest names a new generation. A manifest
// with an `index` at least as new as its single document is followed through that index
// (index-source.ts: only the shards not already held are fetched); otherwise the single
// document is fetched and its sha256 checked against the manifest.
// Failures are SourceErrors with a short machine-readable reason for the metrics. A source
// may have its own region and an IAM role to assume (credentials.ts) for its AWS calls.
// The SDK clients are loaded on first use (dynamic import; in the bundle a module evaluated
// only then): S3 for s3: and ssm: sources, SSM only for ssm:, STS only for a source with a
// role, none for file: (sdk.ts). An s3: key ending in `.index.json` is the sharded
// publication's index, read by index-source.ts with the same clients. The Source interface
// and the SourceError vocabulary are source-base.ts's.
import { readFile } from "node:fs/promises";
import type { GetObjectCommand, GetObjectCommandOutput, S3Client, S3ClientConfig } from "@aws-sdk/client-s3";
import type { GetParameterCommand, GetParameterCommandOutput, SSMClient, SSMClientConfig } from "@aws-sdk/client-ssm";
import type { AssumeRoleCommand, AssumeRoleCommandOutput, STSClient, STSClientConfig } from "@aws-sdk/client-sts";
import { sha256Hex } from "@scrape-reconciler/core";
import { roleCredentials, sessionNameFor, type RoleCredentials } from "./credentials";
import { indexSource } from "./index-source";
import type { Logger } from "./log";
import { loadS3, loadSsm, loadSts } from "./sdk";
import { isIndexSource, type SourceSpec } from "./source-config";
import { SourceError, bodyBytes, classifyAwsError, conditionalGet, type S3Like, type SendClient, type Source } from "./source-base";
import { ssmSource } from "./ssm-source";

export type { FetchResult, S3Like, SendClient, Source, SourceState, SsmLike, VerifiedShard } from "./source-base";
export { SourceError, classifyAwsError, sha256Hex };
export { followedIndex, parseManifest, ssmSource, type CheckedManifest } from "./ssm-source";

function metadataGeneration(out: GetObjectCommandOutput): number | undefined {
  const raw = out.Metadata?.generation;
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/** `s3://bucket/key`: conditional GET on the last applied ETag. */
export function s3Source(client: S3Like, bucket: string, key: string): Source {
  const description = `s3://${bucket}/${key}`;
  return {
    description,
    async fetch(previous, signal) {
      const out = await conditionalGet(client, bucket, key, previous.etag, description, signal);
      if (out === "not_modified") return { status: "unchanged", note: "not_modified" };
      const body = await bodyBytes(out);
      const generation = metadataGeneration(out);
      return {
        status: "changed",
        body,
        sha256: sha256Hex(body),
        ...(out.ETag ? { etag: out.ETag } : {}),
        ...(generation !== undefined ? { generation } : {}),
      };
    },
  };
}

/**
 * `file:PATH` (local use): read every time and compared by sha256. A stat-based check
 * would miss rewrites within the file system's timestamp granularity, and local files
 * are small.
 */
export function fileSource(path: string): Source {
  return {
    description: `file:${path}`,
    async fetch(previous) {
      let body: Buffer;
      try {
        body = await readFile(path);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new SourceError(code === "ENOENT" ? "not_found" : code === "EACCES" ? "access_denied" : "fetch_error", `read ${path}: ${(err as Error).message}`);
      }
      const sha256 = sha256Hex(body);
      if (previous.sha256 === sha256) return { status: "unchanged", note: "not_modified" };
      return { status: "changed", body, sha256 };
    },
  };
}

export interface AwsClientOptions {
  /** Environment to read AWS_REGION / AWS_ENDPOINT_URL[_S3|_SSM|_STS] from (the SDK also reads process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Extra client config (tests pass the simulator's). */
  s3Config?: S3ClientConfig;
  ssmConfig?: SSMClientConfig;
  /** Extra config of the STS client that assumes a source's role. */
  stsConfig?: STSClientConfig;
}

/** How one source reaches AWS: its own region, and a role to assume (with its external id). */
export interface SourceAccess {
  /** The source's name (in the role session name). */
  name?: string;
  region?: string;
  role?: string;
  externalId?: string;
  log?: Logger;
  /** An index source calls it with the size of each shard it fetches (the shard metrics). */
  onShardFetched?: (bytes: number) => void;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * What the given environment says explicitly (region, static keys). The SDK's default chain
 * reads process.env itself; passing these keeps an `env` other than process.env effective
 * (the project CLI calls sidecarMain(argv, env)). Everything else stays with the chain.
 */
function fromEnv(env: Env) {
  return {
    ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
    ...(env !== process.env && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          credentials: {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {}),
  };
}

/** S3 client from the SDK default chain; a custom endpoint gets forcePathStyle. */
export async function createS3Client(opts: AwsClientOptions = {}): Promise<S3Client> {
  const env = opts.env ?? process.env;
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL;
  const { S3Client } = await loadS3();
  return new S3Client({ ...fromEnv(env), ...(endpoint ? { endpoint, forcePathStyle: true } : {}), ...opts.s3Config });
}

/** SSM client from the SDK default chain. */
export async function createSsmClient(opts: AwsClientOptions = {}): Promise<SSMClient> {
  const env = opts.env ?? process.env;
  const endpoint = env.AWS_ENDPOINT_URL_SSM || env.AWS_ENDPOINT_URL;
  const { SSMClient } = await loadSsm();
  return new SSMClient({ ...fromEnv(env), ...(endpoint ? { endpoint } : {}), ...opts.ssmConfig });
}

/**
 * STS client for assuming a source's role: the default chain's credentials (the task role),
 * AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL, the sidecar's own region (AWS_REGION), else the
 * source's.
 */
export async function createStsClient(opts: AwsClientOptions = {}, sourceRegion?: string): Promise<STSClient> {
  const env = opts.env ?? process.env;
  const endpoint = env.AWS_ENDPOINT_URL_STS || env.AWS_ENDPOINT_URL;
  const base = fromEnv(env);
  const { STSClient } = await loadSts();
  return new STSClient({
    ...base,
    ...(!base.region && sourceRegion ? { region: sourceRegion } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...opts.stsConfig,
  });
}

export interface CreatedSource {
  source: Source;
  /** The role's credentials, when the source assumes one. */
  credentials?: RoleCredentials;
  close(): void;
}

/**
 * Drops the role's credentials when AWS refuses a call signed with them (access_denied: a
 * revoked or expired session, or a role without the permission), so the next sync assumes
 * the role again instead of signing with the same session.
 */
function renewingOnDenial(source: Source, credentials: RoleCredentials): Source {
  return {
    description: source.description,
    async fetch(previous, signal) {
      try {
        return await source.fetch(previous, signal);
      } catch (err) {
        if (err instanceof SourceError && err.reason === "access_denied") credentials.invalidate();
        throw err;
      }
    },
  };
}

/** An SDK client created on its first call (the SDK module is loaded then), destroyed by `destroy()`. */
interface LazyClient<C> {
  get(): Promise<C>;
  destroy(): void;
}

function lazyClient<C extends { destroy(): void }>(make: () => Promise<C>): LazyClient<C> {
  let pending: Promise<C> | undefined;
  let closed = false;
  return {
    get: () =>
      (pending ??= make().then((client) => {
        if (closed) client.destroy();
        return client;
      })),
    destroy() {
      closed = true;
      pending?.then(
        (client) => client.destroy(),
        () => {},
      );
    },
  };
}

/** A SendClient that forwards to the lazily created client. */
function sendVia<In, Out>(lazy: LazyClient<{ send(...args: never[]): Promise<unknown> }>): SendClient<In, Out> {
  return { send: async (command, options) => (await (await lazy.get()).send(command as never, options as never)) as Out };
}

/**
 * Builds the source for a spec, with real SDK clients for s3/ssm (in the source's region, with
 * its role's credentials): an `s3://BUCKET/KEY.index.json` is an index source (index-source.ts).
 * The clients (and their SDK modules) are created on the first fetch.
 */
export function createSource(spec: SourceSpec, opts: AwsClientOptions = {}, access: SourceAccess = {}): CreatedSource {
  if (spec.kind === "file") return { source: fileSource(spec.path), close() {} };
  const sts = access.role ? lazyClient(() => createStsClient(opts, access.region)) : undefined;
  const credentials =
    sts && access.role
      ? roleCredentials({
          sts: sendVia<AssumeRoleCommand, AssumeRoleCommandOutput>(sts),
          roleArn: access.role,
          sessionName: sessionNameFor(access.name ?? "source"),
          ...(access.externalId ? { externalId: access.externalId } : {}),
          ...(access.log ? { log: access.log } : {}),
        })
      : undefined;
  const own = { ...(access.region ? { region: access.region } : {}), ...(credentials ? { credentials } : {}) };
  const s3 = lazyClient(() => createS3Client({ ...opts, s3Config: { ...opts.s3Config, ...own } }));
  const s3Like = sendVia<GetObjectCommand, GetObjectCommandOutput>(s3);
  const ssm = spec.kind === "ssm" ? lazyClient(() => createSsmClient({ ...opts, ssmConfig: { ...opts.ssmConfig, ...own } })) : undefined;
  const shardOpts = access.onShardFetched ? { onShardFetched: access.onShardFetched } : {};
  const source =
    spec.kind === "s3" && isIndexSource(spec)
      ? indexSource(s3Like, spec.bucket, spec.key, shardOpts)
      : spec.kind === "s3"
        ? s3Source(s3Like, spec.bucket, spec.key)
        : ssmSource(sendVia<GetParameterCommand, GetParameterCommandOutput>(ssm!), s3Like, spec.name, shardOpts);
  return {
    source: credentials ? renewingOnDenial(source, credentials) : source,
    ...(credentials ? { credentials } : {}),
    close: () => {
      s3.destroy();
      ssm?.destroy();
      sts?.destroy();
    },
  };
}
