// SigV4: our URL-based wrapper against the AWS Signature Version 4 test suite, and the
// signed remote-write request AMP expects (service "aps", x-amz-date, x-amz-content-sha256),
// re-verified here with node:crypto from the bytes and headers actually handed to fetch.
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createRemoteWriteClient } from "../src/client";
import { RemoteWriteError } from "../src/errors";
import { sha256Hex, signRequest } from "../src/sigv4";
import { fakeFetch, status, type Captured } from "./fake-receiver";

interface Vector {
  name: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  sessionToken?: string;
  authorization: string;
}
const suite = JSON.parse(readFileSync(new URL("./fixtures/sigv4-test-suite.json", import.meta.url), "utf8")) as {
  region: string;
  service: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  signingDate: string;
  vectors: Vector[];
};

describe("AWS SigV4 test suite", () => {
  it.each(suite.vectors.map((v) => [v.name, v] as const))("%s", async (_, v) => {
    const headers = await signRequest(
      { method: v.method, url: v.url, headers: v.headers, body: v.body },
      {
        region: suite.region,
        service: suite.service,
        credentials: { ...suite.credentials, sessionToken: v.sessionToken },
        signingDate: new Date(suite.signingDate),
      },
    );
    expect(headers.authorization).toBe(v.authorization);
    expect(headers["x-amz-date"]).toBe("20150830T123600Z");
    expect(headers.host).toBeUndefined();
    expect(headers["x-amz-content-sha256"]).toBeUndefined();
    if (v.sessionToken) expect(headers["x-amz-security-token"]).toBe(v.sessionToken);
  });

  it("hashes bodies like sha256sum", async () => {
    expect(await sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(await sha256Hex(new TextEncoder().encode("Param1=value1"))).toBe(createHash("sha256").update("Param1=value1").digest("hex"));
  });
});

const AMP = "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-0123abcd-4567/api/v1/remote_write";
const creds = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "session-token-1" };
const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();

/** Recomputes the SigV4 signature of a captured request from first principles. */
function expectedSignature(req: Captured, signed: string[], secret: string, scope: string): string {
  const url = new URL(req.url);
  const value = (h: string) => (h === "host" ? url.host : req.headers[h]!.trim().replace(/\s+/g, " "));
  const canonical = [
    "POST",
    url.pathname.split("/").map(encodeURIComponent).join("/"),
    "",
    ...signed.map((h) => `${h}:${value(h)}`),
    "",
    signed.join(";"),
    createHash("sha256").update(req.body).digest("hex"),
  ].join("\n");
  const [date, region, service] = scope.split("/");
  const stringToSign = ["AWS4-HMAC-SHA256", req.headers["x-amz-date"], scope, createHash("sha256").update(canonical).digest("hex")].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date!), region!), service!), "aws4_request");
  return createHmac("sha256", key).update(stringToSign).digest("hex");
}

describe("signed remote write (AMP)", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("carries Authorization for /aps/aws4_request, x-amz-date, x-amz-content-sha256 and a valid signature", async () => {
    const f = fakeFetch(() => status(204));
    const client = createRemoteWriteClient({ url: AMP, auth: { type: "sigv4", region: "eu-west-1", credentials: async () => creds }, fetch: f.fetch });
    const r = await client.write([
      { labels: { __name__: "aws_rds_cpuutilization_average", db: "orders" }, samples: [{ value: 3.5, timestamp: 1_795_633_000_000 }] },
    ]);
    expect(r.samplesSent).toBe(1);
    const req = f.calls[0]!;
    const h = req.headers;
    const m = /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/(\d{8})\/eu-west-1\/aps\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
      h.authorization!,
    );
    expect(m, h.authorization).not.toBeNull();
    const [, date, signedList, signature] = m!;
    expect(h["x-amz-date"]).toMatch(new RegExp(`^${date}T\\d{6}Z$`));
    expect(h["x-amz-content-sha256"]).toBe(createHash("sha256").update(req.body).digest("hex"));
    expect(h["x-amz-security-token"]).toBe("session-token-1");
    const signed = signedList!.split(";");
    expect(signed).toEqual([
      "content-encoding",
      "content-type",
      "host",
      "x-amz-content-sha256",
      "x-amz-date",
      "x-amz-security-token",
      "x-prometheus-remote-write-version",
    ]);
    expect(h.host).toBeUndefined(); // fetch sets Host from the URL, the value that was signed
    expect(signature).toBe(expectedSignature(req, signed, creds.secretAccessKey, `${date}/eu-west-1/aps/aws4_request`));
  });

  it("uses the SDK default credential chain when no credentials are given", async () => {
    vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIDFROMENVIRONMENT");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "secret-from-env");
    vi.stubEnv("AWS_SESSION_TOKEN", "");
    vi.stubEnv("AWS_PROFILE", "");
    vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true");
    const f = fakeFetch(() => status(204));
    const client = createRemoteWriteClient({ url: AMP, auth: { type: "sigv4", region: "eu-west-1" }, fetch: f.fetch });
    await client.write([{ labels: { __name__: "up" }, samples: [{ value: 1, timestamp: 1_795_633_000_000 }] }]);
    const h = f.calls[0]!.headers;
    expect(h.authorization).toMatch(/Credential=AKIDFROMENVIRONMENT\/\d{8}\/eu-west-1\/aps\/aws4_request/);
    const m = /SignedHeaders=([^,]+), Signature=(\w+)/.exec(h.authorization!)!;
    expect(m[2]).toBe(expectedSignature(f.calls[0]!, m[1]!.split(";"), "secret-from-env", /Credential=[^/]+\/([^,]+)/.exec(h.authorization!)![1]!));
  });

  it("turns a credential failure into a RemoteWriteError without sending anything", async () => {
    const f = fakeFetch(() => status(204));
    const client = createRemoteWriteClient({
      url: AMP,
      auth: { type: "sigv4", region: "eu-west-1", credentials: async () => Promise.reject(new Error("Could not load credentials from any providers")) },
      fetch: f.fetch,
    });
    const err = (await client.write([{ labels: { __name__: "up" }, samples: [{ value: 1, timestamp: 1 }] }]).catch((e: unknown) => e)) as RemoteWriteError;
    expect(err).toBeInstanceOf(RemoteWriteError);
    expect(err.status).toBeUndefined();
    expect(err.message).toBe(`remote write to ${AMP} failed: no response: SigV4 signing failed: Error: Could not load credentials from any providers`);
    expect(f.calls).toHaveLength(0);
  });
});
