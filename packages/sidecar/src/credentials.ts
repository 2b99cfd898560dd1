// Credentials of an IAM role assumed with STS AssumeRole (@aws-sdk/client-sts; the SDK
// signs every call), for a source in another account. One provider per source, shared by
// its S3 and SSM clients:
//  - cached, and refreshed `refreshBeforeMs` (5 min) before they expire, so a sync never
//    signs with credentials about to lapse; concurrent calls share one AssumeRole;
//  - a failed refresh while the cached credentials are still valid keeps using them (logged,
//    retried at most every 30 s); once they have expired the AssumeRole error is the
//    source's error (AccessDenied -> access_denied, Throttling -> throttled);
//  - `invalidate()` drops them: the source calls it when AWS rejects a call signed with them
//    (an expired or revoked session), so the next sync assumes the role again.
// Marked `memoized` so the SDK clients call it for every request instead of caching it
// themselves (their own cache would only refresh near the expiry and ignore invalidate()).
// The STS module is loaded on the first AssumeRole only (sdk.ts).
import type { AssumeRoleCommand, AssumeRoleCommandOutput } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentity } from "@smithy/types";
import type { Logger } from "./log";
import { loadSts } from "./sdk";

export interface StsLike {
  send(command: AssumeRoleCommand, options?: { abortSignal?: AbortSignal }): Promise<AssumeRoleCommandOutput>;
}

export interface RoleCredentialsOptions {
  sts: StsLike;
  roleArn: string;
  sessionName: string;
  externalId?: string;
  /** Requested session length; default 3600 s (AWS's default MaxSessionDuration). */
  durationSeconds?: number;
  /** Refresh this long before the expiry; default 5 min. */
  refreshBeforeMs?: number;
  /** After a failed refresh, wait this long before trying again while the cached ones are valid; default 30 s. */
  retryAfterMs?: number;
  now?: () => number;
  log?: Logger;
}

export interface RoleCredentials {
  (): Promise<AwsCredentialIdentity>;
  /** Tells the SDK not to wrap it in its own cache. */
  readonly memoized: true;
  readonly roleArn: string;
  /** Drops the cached credentials: the next call assumes the role again. */
  invalidate(): void;
  /** AssumeRole calls made (successful or not). */
  readonly assumed: number;
}

/** An AssumeRole failure, naming the role; `cause` is the SDK's error (what the classifier reads). */
export class AssumeRoleError extends Error {
  override name = "AssumeRoleError";
  constructor(
    readonly roleArn: string,
    override readonly cause: unknown,
  ) {
    const e = cause as { name?: string; message?: string } | undefined;
    super(`AssumeRole ${roleArn}: ${e?.name ?? "Error"}${e?.message ? `: ${e.message}` : ""}`);
  }
}

export const DEFAULT_REFRESH_BEFORE_MS = 5 * 60_000;

/** A role's credentials, assumed on first use and refreshed before they expire. */
export function roleCredentials(opts: RoleCredentialsOptions): RoleCredentials {
  const now = opts.now ?? Date.now;
  const refreshBefore = opts.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS;
  const retryAfter = opts.retryAfterMs ?? 30_000;
  const durationSeconds = opts.durationSeconds ?? 3600;
  let current: AwsCredentialIdentity | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;
  let failedAt: number | undefined;
  let assumed = 0;

  const expiresAt = (c: AwsCredentialIdentity) => c.expiration?.getTime() ?? Number.POSITIVE_INFINITY;

  async function assume(): Promise<AwsCredentialIdentity> {
    assumed++;
    let out: AssumeRoleCommandOutput;
    try {
      const { AssumeRoleCommand } = await loadSts(); // the STS client module, loaded on the first AssumeRole
      out = await opts.sts.send(
        new AssumeRoleCommand({
          RoleArn: opts.roleArn,
          RoleSessionName: opts.sessionName,
          DurationSeconds: durationSeconds,
          ...(opts.externalId ? { ExternalId: opts.externalId } : {}),
        }),
      );
    } catch (err) {
      throw new AssumeRoleError(opts.roleArn, err);
    }
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new AssumeRoleError(opts.roleArn, new Error("the answer holds no credentials"));
    const expiration = c.Expiration ?? new Date(now() + durationSeconds * 1000);
    opts.log?.info("assumed role", { role: opts.roleArn, expires: expiration.toISOString() });
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}), expiration };
  }

  const provider = async (): Promise<AwsCredentialIdentity> => {
    const t = now();
    if (current && expiresAt(current) - t > refreshBefore) return current;
    const valid = current && expiresAt(current) > t;
    if (valid && failedAt !== undefined && t - failedAt < retryAfter) return current!;
    if (!pending) {
      pending = assume().finally(() => {
        pending = undefined;
      });
    }
    try {
      current = await pending;
      failedAt = undefined;
      return current;
    } catch (err) {
      failedAt = now();
      if (current && expiresAt(current) > now()) {
        opts.log?.warn("role refresh failed; the current credentials are used until they expire", {
          role: opts.roleArn,
          expires: current.expiration?.toISOString(),
          error: (err as Error).message,
        });
        return current;
      }
      throw err;
    }
  };
  Object.defineProperties(provider, {
    memoized: { value: true },
    roleArn: { value: opts.roleArn },
    invalidate: {
      value: () => {
        current = undefined;
        failedAt = undefined;
      },
    },
    assumed: { get: () => assumed },
  });
  return provider as RoleCredentials;
}

/** The session name for a source: `scrape-reconciler-sidecar-NAME`, within STS's 64 characters and charset. */
export function sessionNameFor(sourceName: string): string {
  return `scrape-reconciler-sidecar-${sourceName}`.replace(/[^\w+=,.@-]/g, "-").slice(0, 64);
}
