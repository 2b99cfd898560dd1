// AWS Signature Version 4 for fetch-style requests (what AMP's remote_write endpoint needs):
// converts a URL + headers + body into the signing library's request shape, signs it with
// @smithy/signature-v4 + @aws-crypto/sha256-js, and returns the headers to send. Credentials
// come from the caller or, lazily, from the SDK's default Node credential chain.
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";

export interface SignInput {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Uint8Array | string;
}

export interface SignOptions {
  region: string;
  service: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  signingDate?: Date;
  /** Send (and sign) `x-amz-content-sha256` with the body's hash, as AMP expects. */
  contentSha256Header?: boolean;
}

/** Query string → map, decoding with decodeURIComponent (a `+` stays a plus sign). */
function parseQuery(search: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const part of search.replace(/^\?/, "").split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? "" : decodeURIComponent(part.slice(eq + 1));
    const prev = query[key];
    query[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return query;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function sha256Hex(body: Uint8Array | string): Promise<string> {
  const h = new Sha256();
  h.update(body);
  return hex(await h.digest());
}

/**
 * Signs a request; returns the headers to send (input headers plus x-amz-date, Authorization,
 * x-amz-security-token when the credentials carry one, x-amz-content-sha256 when asked).
 * `host` is signed from the URL and left out of the result (fetch sets it to the same value).
 * The URL path is taken as sent on the wire and escaped once more while signing, the rule
 * for every AWS service except S3.
 */
export async function signRequest(input: SignInput, options: SignOptions): Promise<Record<string, string>> {
  const url = new URL(input.url);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.headers)) headers[k.toLowerCase()] = v;
  headers.host = url.host;
  if (options.contentSha256Header) headers["x-amz-content-sha256"] = await sha256Hex(input.body ?? "");
  const signer = new SignatureV4({
    service: options.service,
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
    applyChecksum: false,
    uriEscapePath: true,
  });
  const signed = await signer.sign(
    {
      method: input.method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query: parseQuery(url.search),
      headers,
      body: input.body,
    },
    { signingDate: options.signingDate ?? new Date() },
  );
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) if (k.toLowerCase() !== "host") out[k] = v;
  return out;
}

let defaultChain: AwsCredentialIdentityProvider | undefined;

/** The SDK's default Node credential chain (env, SSO, ini, process, container, IMDS), loaded once. */
export function defaultCredentials(): AwsCredentialIdentityProvider {
  return async () => {
    if (!defaultChain) {
      const { defaultProvider } = await import("@aws-sdk/credential-provider-node");
      defaultChain = defaultProvider();
    }
    return defaultChain();
  };
}
