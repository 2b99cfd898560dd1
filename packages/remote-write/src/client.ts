// The remote-write 1.0 client: prepares series, splits them into size-bounded requests,
// POSTs snappy-compressed protobuf (SigV4-signed for AMP), retries 5xx/429/network
// failures with capped full-jitter backoff, and on a 400 drops the bad series (named in
// the answer, or isolated by bisection within a request budget) while resending the rest.
// Configuration errors (401, 403, 404, other 4xx, signing failures) throw RemoteWriteError.
// No error text carries a secret: URL userinfo is refused at construction, and the
// receiver's answers and network errors are masked (redact.ts) of URL userinfo, the
// credential headers' and query parameters' values and the `secrets` given.
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { endpointOf, namedSeries, oneLine, reasonFor, RemoteWriteError, sameLabels } from "./errors";
import { createRedactor, hasUserinfo, headerSecrets, maskUserinfo, urlSecrets } from "./redact";
import { backoffDelay, DEFAULT_RETRY, isRetryableStatus, parseRetryAfter, type RetryPolicy } from "./retry";
import {
  cutPieces,
  encodePieces,
  halve,
  labelsToRecord,
  packBatches,
  pieceSamples,
  pieceToSeries,
  pieceWireSize,
  prepareSeries,
  type DroppedSeries,
  type DropReason,
  type Piece,
  type Series,
  type WriteResult,
} from "./series";
import { defaultCredentials, signRequest } from "./sigv4";
import { snappyCompress } from "./snappy";

export type RemoteWriteAuth =
  | { type: "none" }
  | {
      type: "sigv4";
      region: string;
      /** Signing name; "aps" (Amazon Managed Service for Prometheus) by default. */
      service?: string;
      /** Defaults to the AWS SDK's default Node credential chain. */
      credentials?: AwsCredentialIdentityProvider | AwsCredentialIdentity;
    };

export interface RemoteWriteClientOptions {
  /** e.g. https://aps-workspaces.REGION.amazonaws.com/workspaces/ID/api/v1/remote_write */
  url: string;
  auth?: RemoteWriteAuth;
  /** Uncompressed WriteRequest bytes per POST; larger writes are split. Default 1 MiB. */
  maxBytesPerRequest?: number;
  /** Series (pieces of series) per POST. Default 2000. */
  maxSeriesPerRequest?: number;
  /** Extra POSTs one `write()` may spend isolating rejected series. Default 100. */
  maxIsolationRequests?: number;
  retry?: Partial<RetryPolicy>;
  /** Per-attempt timeout; a timeout is retried like a network error. Default 30 s. */
  timeoutMs?: number;
  userAgent?: string;
  /** Extra request headers (e.g. a tenant header, or `Authorization`: its value is masked in every error). */
  headers?: Record<string, string>;
  /**
   * More strings masked (`***`) in every error message, beside those found automatically:
   * the values of credential headers and of credential-like query parameters.
   */
  secrets?: readonly string[];
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Source of jitter in [0, 1). Default Math.random. */
  random?: () => number;
  now?: () => number;
}

export interface RemoteWriteClient {
  /** The endpoint, without query string. */
  readonly endpoint: string;
  /** Sends every series; bad series are dropped and reported, not thrown. */
  write(series: Series[]): Promise<WriteResult>;
}

export const DEFAULT_USER_AGENT = "scrape-reconciler-remote-write/0.1.0";

type Outcome = { kind: "ok" } | { kind: "rejected"; status: number; message: string } | { kind: "exhausted"; status: number | undefined; message: string };

export function createRemoteWriteClient(options: RemoteWriteClientOptions): RemoteWriteClient {
  const url = options.url;
  if (hasUserinfo(url)) {
    // fetch refuses such a URL on every request, and its error would print the password.
    throw new TypeError(
      `remote-write URL ${maskUserinfo(url)} contains credentials (user:password@): refused; send them as a header (options.headers) instead`,
    );
  }
  const clean = createRedactor([...urlSecrets(url), ...headerSecrets(options.headers), ...(options.secrets ?? [])]);
  const endpoint = clean(endpointOf(url));
  const auth = options.auth ?? { type: "none" };
  const maxBytes = options.maxBytesPerRequest ?? 1024 * 1024;
  const maxSeries = options.maxSeriesPerRequest ?? 2000;
  const maxIsolation = options.maxIsolationRequests ?? 100;
  const policy = { ...DEFAULT_RETRY, ...options.retry };
  const timeoutMs = options.timeoutMs ?? 30_000;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  if (!(maxBytes > 0) || !(maxSeries >= 1) || !(policy.maxAttempts >= 1)) {
    throw new RangeError("maxBytesPerRequest, maxSeriesPerRequest and retry.maxAttempts must be positive");
  }
  const credentials = auth.type === "sigv4" ? (auth.credentials ?? defaultCredentials()) : undefined;
  const baseHeaders: Record<string, string> = {
    ...options.headers,
    "Content-Encoding": "snappy",
    "Content-Type": "application/x-protobuf",
    "User-Agent": options.userAgent ?? DEFAULT_USER_AGENT,
    "X-Prometheus-Remote-Write-Version": "0.1.0",
  };

  async function headersFor(body: Uint8Array): Promise<Record<string, string>> {
    if (auth.type !== "sigv4" || !credentials) return baseHeaders;
    try {
      return await signRequest(
        { method: "POST", url, headers: baseHeaders, body },
        { region: auth.region, service: auth.service ?? "aps", credentials, contentSha256Header: true },
      );
    } catch (err) {
      throw new RemoteWriteError(endpoint, undefined, `SigV4 signing failed: ${oneLine(clean(errorText(err)))}`, { cause: err });
    }
  }

  /** One request, with retries. Throws RemoteWriteError on a configuration-type failure. */
  async function post(pieces: Piece[], stats: { requests: number; retries: number }): Promise<Outcome> {
    const body = snappyCompress(encodePieces(pieces));
    for (let attempt = 1; ; attempt++) {
      const headers = await headersFor(body);
      stats.requests++;
      if (attempt > 1) stats.retries++;
      let status: number | undefined;
      let message: string;
      let retryAfter: number | undefined;
      try {
        const res = await fetchImpl(url, { method: "POST", headers, body, signal: AbortSignal.timeout(timeoutMs) });
        const text = oneLine(clean(await res.text().catch(() => "")));
        if (res.ok) return { kind: "ok" };
        status = res.status;
        message = text || oneLine(clean(res.statusText)) || `HTTP ${res.status}`;
        if (!isRetryableStatus(status)) {
          if (status === 400 || status === 413) return { kind: "rejected", status, message };
          throw new RemoteWriteError(endpoint, status, message);
        }
        retryAfter = parseRetryAfter(res.headers.get("retry-after"), now());
      } catch (err) {
        if (err instanceof RemoteWriteError) throw err;
        message = oneLine(clean(errorText(err)));
      }
      if (attempt >= policy.maxAttempts) {
        return { kind: "exhausted", status, message: `${message} (gave up after ${attempt} attempts)` };
      }
      if (retryAfter !== undefined && retryAfter > policy.maxRetryAfterMs) {
        return { kind: "exhausted", status, message: `${message} (Retry-After ${retryAfter} ms exceeds ${policy.maxRetryAfterMs} ms)` };
      }
      await sleep(retryAfter ?? backoffDelay(attempt, policy, random));
    }
  }

  async function write(input: Series[]): Promise<WriteResult> {
    const { prepared, dropped: invalid } = prepareSeries(input);
    const result: WriteResult = { requests: 0, seriesSent: 0, samplesSent: 0, dropped: [], retries: 0 };
    const sentKeys = new Set<string>();
    let budget = maxIsolation;

    const drop = (pieces: Piece[], reason: DropReason, status: number | undefined, message: string) => {
      for (const p of pieces) {
        const last: DroppedSeries | undefined = result.dropped[result.dropped.length - 1];
        const labels = labelsToRecord(p.series.labels);
        if (last && last.reason === reason && last.status === status && sameLabels(last.series.labels, labels)) {
          last.series.samples.push(...p.series.samples.slice(p.from, p.to));
        } else {
          result.dropped.push({ series: pieceToSeries(p), reason, status, message });
        }
      }
    };

    const deliver = async (batch: Piece[], isolating: boolean): Promise<void> => {
      if (batch.length === 0) return;
      if (isolating) {
        if (budget <= 0) {
          drop(batch, "isolation_limit", undefined, `isolation budget of ${maxIsolation} requests spent; not sent`);
          return;
        }
        budget--;
      }
      const out = await post(batch, result);
      if (out.kind === "ok") {
        for (const p of batch) {
          sentKeys.add(p.series.key);
          result.samplesSent += pieceSamples(p);
        }
        return;
      }
      if (out.kind === "exhausted") {
        drop(batch, "retries_exhausted", out.status, out.message);
        return;
      }
      const reason = reasonFor(out.status, out.message);
      const named = namedSeries(out.message);
      const isNamed = (p: Piece) => named.some((n) => sameLabels(labelsToRecord(p.series.labels), n));
      const bad = batch.filter(isNamed);
      if (bad.length > 0 && bad.length < batch.length) {
        drop(bad, reason, out.status, out.message);
        await deliver(
          batch.filter((p) => !isNamed(p)),
          true,
        );
        return;
      }
      const halves = halve(batch);
      if (!halves) {
        drop(batch, reason, out.status, out.message);
        return;
      }
      await deliver(halves[0], true);
      await deliver(halves[1], true);
    };

    try {
      for (const d of invalid) result.dropped.push(d);
      const { pieces, tooLarge } = cutPieces(prepared, maxBytes);
      for (const p of tooLarge) {
        const one = pieceWireSize({ series: p.series, from: p.from, to: p.from + 1 });
        drop([p], "too_large", undefined, `labels and one sample take ${one} bytes, over maxBytesPerRequest ${maxBytes}`);
      }
      for (const batch of packBatches(pieces, maxBytes, maxSeries)) await deliver(batch, false);
    } catch (err) {
      result.seriesSent = sentKeys.size;
      if (err instanceof RemoteWriteError) err.partial = result;
      throw err;
    }
    result.seriesSent = sentKeys.size;
    return result;
  }

  return { endpoint, write };
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
    return `${err.name}: ${err.message}${cause}`;
  }
  return String(err);
}
