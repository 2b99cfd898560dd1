// No secret in an error line: a URL with userinfo is refused at construction (masked),
// and every failure message (receiver answers that echo the request, network errors,
// retries given up, 401s) is masked of the credential headers' values, credential-like
// query parameters and the secrets the caller names.
import { describe, expect, it } from "vitest";
import { createRemoteWriteClient, type RemoteWriteClientOptions } from "../src/client";
import { RemoteWriteError } from "../src/errors";
import { createRedactor, hasUserinfo, headerSecrets, maskUserinfo, redact, urlSecrets } from "../src/redact";
import type { Series } from "../src/series";
import { fakeFetch, status, type Answer, type Captured } from "./fake-receiver";

const T0 = 1_795_633_000_000;
const TOKEN = "tok-9f8e7d6c5b4a";
const KEY = "k3y-0123456789";
const EXTRA = "tenant-secret-42";
const series: Series[] = [{ labels: { __name__: "m" }, samples: [{ value: 1, timestamp: T0 }] }];

/** A receiver that answers `code` and echoes everything it was sent: URL and every header. */
const echo =
  (code: number) =>
  (req: Captured): Answer =>
    status(code, `refused ${req.url} with ${JSON.stringify(req.headers)}`, { "retry-after": "0" });

function client(answer: (req: Captured, i: number) => Answer | Promise<Answer>, opts: Partial<RemoteWriteClientOptions> = {}) {
  const f = fakeFetch(answer);
  return createRemoteWriteClient({
    url: `http://127.0.0.1:9/api/v1/write?tenant=a&api_key=${KEY}`,
    headers: { Authorization: `Bearer ${TOKEN}`, "X-Scope-OrgID": EXTRA },
    secrets: [EXTRA],
    fetch: f.fetch,
    sleep: async () => {},
    retry: { maxAttempts: 3 },
    ...opts,
  });
}

const leaks = (text: string) => [TOKEN, KEY, EXTRA].filter((s) => text.includes(s));

describe("redaction", () => {
  it("masks userinfo in any text: the password (user kept), or a user alone", () => {
    expect(maskUserinfo("POST http://user:p%40ss@host:9090/api/v1/write failed")).toBe("POST http://user:***@host:9090/api/v1/write failed");
    expect(maskUserinfo("see https://glc_token@host/x and ftp://a:b@c")).toBe("see https://***@host/x and ftp://a:***@c");
    expect(maskUserinfo("mail me at a@b.c, http://host/x")).toBe("mail me at a@b.c, http://host/x");
    expect(hasUserinfo("http://u:p@h/x")).toBe(true);
    expect(hasUserinfo("http://u@h/x")).toBe(true);
    expect(hasUserinfo("http://h/x?u=a@b")).toBe(false);
  });

  it("finds the secrets of a URL and of headers, and masks them longest first", () => {
    expect(urlSecrets("http://user:p%40ssword@h/x?tenant=a&token=t0k3n&sig=abcd")).toEqual(
      expect.arrayContaining(["user", "p%40ssword", "p@ssword", "t0k3n", "abcd"]),
    );
    expect(urlSecrets("http://h/x?tenant=a")).toEqual([]);
    expect(headerSecrets({ Authorization: "Basic dXNlcjpwYXNz", "X-Scope-OrgID": "t1", "X-Api-Key": "abcdef" }).sort()).toEqual(
      ["Basic dXNlcjpwYXNz", "abcdef", "dXNlcjpwYXNz"].sort(),
    );
    const r = createRedactor(["abcdefgh", "abcd", "ab", undefined]);
    expect(r("x abcdefgh y abcd z ab")).toBe("x *** y *** z ab"); // under 4 characters: not searched
    expect(redact("http://u:secretpw@h secretpw")).toBe("http://u:***@h secretpw"); // no secrets given: userinfo only
  });
});

describe("the client", () => {
  it("refuses a URL with credentials at construction, masking them", () => {
    const err = (() => {
      try {
        createRemoteWriteClient({ url: "http://user:hunter22@host/api/v1/write" });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(TypeError);
    expect(err!.message).toContain("http://user:***@host/api/v1/write");
    expect(err!.message).not.toContain("hunter22");
    expect(err!.message.split("\n")).toHaveLength(1);
  });

  it("masks secrets in a final error (401 echoing the request)", async () => {
    const err = (await client(echo(401))
      .write(series)
      .catch((e: unknown) => e)) as RemoteWriteError;
    expect(err).toBeInstanceOf(RemoteWriteError);
    expect(err.status).toBe(401);
    expect(err.message).toContain("***");
    expect(err.message).toContain("tenant=a"); // what is not secret stays readable
    expect(leaks(err.message)).toEqual([]);
    expect(err.endpoint).toBe("http://127.0.0.1:9/api/v1/write");
  });

  it("masks secrets when retries are exhausted (500 echoing) and on a 400 drop", async () => {
    const r = await client(echo(500)).write(series);
    expect(r.dropped).toHaveLength(1);
    expect(r.dropped[0]).toMatchObject({ reason: "retries_exhausted", status: 500 });
    expect(r.dropped[0]!.message).toMatch(/gave up after 3 attempts/);
    expect(leaks(r.dropped[0]!.message)).toEqual([]);
    const bad = await client(echo(400)).write(series);
    expect(bad.dropped[0]!.reason).toBe("rejected");
    expect(leaks(bad.dropped[0]!.message)).toEqual([]);
  });

  it("masks secrets in network errors that quote the URL", async () => {
    const r = await client((req) => new TypeError(`fetch failed for ${req.url}`, { cause: new Error(`Authorization: Bearer ${TOKEN}`) })).write(series);
    expect(r.dropped[0]!.reason).toBe("retries_exhausted");
    expect(r.dropped[0]!.message).toContain("fetch failed for http://127.0.0.1:9/api/v1/write?tenant=a&api_key=***");
    expect(leaks(r.dropped[0]!.message)).toEqual([]);
  });

  it("masks the credentials a failing signer's error would print", async () => {
    const err = (await client(() => status(204), {
      headers: {},
      secrets: ["AKIDsecretkey0"],
      auth: {
        type: "sigv4",
        region: "eu-west-1",
        credentials: async () => {
          throw new Error("cannot load credentials for AKIDsecretkey0");
        },
      },
    })
      .write(series)
      .catch((e: unknown) => e)) as RemoteWriteError;
    expect(err).toBeInstanceOf(RemoteWriteError);
    expect(err.message).toContain("SigV4 signing failed");
    expect(err.message).not.toContain("AKIDsecretkey0");
  });
});
