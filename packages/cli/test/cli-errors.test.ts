import { describe, expect, it } from "vitest";
import { main } from "../src";
import { describeFailure } from "../src/aws-errors";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
}

describe("CLI errors", () => {
  it("exits 2 with one line naming a missing variable", async () => {
    const c = capture();
    expect(await main(["reconcile"], {}, c.io)).toBe(2);
    expect(c.err).toHaveLength(1);
    expect(c.err[0]).toMatch(/^scrape-reconciler reconcile: configuration: TARGETS_BUCKET is required/);
  });
  it("exits 2 with one line for an unknown flag and an unknown command", async () => {
    const c = capture();
    expect(await main(["reconcile", "--bogus"], { TARGETS_BUCKET: "b-1" }, c.io)).toBe(2);
    expect(c.err[0]).toMatch(/--bogus/);
    expect(await main(["frobnicate"], {}, c.io)).toBe(2);
    expect(c.err[1]).toMatch(/unknown command "frobnicate"/);
  });
  it("gives one clear line for credential, permission and network failures", () => {
    const named = (name: string, message: string, extra: object = {}) => Object.assign(new Error(message), { name, ...extra });
    expect(describeFailure(named("CredentialsProviderError", "Could not load credentials from any providers")).line).toMatch(/^AWS credentials not found/);
    expect(describeFailure(named("UnrecognizedClientException", "The security token included in the request is invalid.")).line).toMatch(/^AWS rejected the credentials/);
    expect(describeFailure(named("AccessDeniedException", "User: x is not authorized to perform: servicediscovery:ListNamespaces")).line).toMatch(/^AWS denied the call: .*ListNamespaces/);
    expect(describeFailure(named("Error", "Region is missing")).line).toMatch(/AWS_REGION/);
    expect(describeFailure(named("Error", "connect ECONNREFUSED 127.0.0.1:1", { code: "ECONNREFUSED" })).line).toMatch(/cannot reach/);
    for (const f of [named("X", "a\nb\nc")]) expect(describeFailure(f).line.includes("\n")).toBe(false);
  });
});
