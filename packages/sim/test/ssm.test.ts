// SSM Parameter Store: GetParameter and PutParameter (versions, tiers, limits).
import { GetParameterCommand, PutParameterCommand } from "@aws-sdk/client-ssm";
import { describe, expect, it } from "vitest";
import { failure, useSimulator } from "./helpers";

const env = useSimulator();

describe("SSM Parameter Store", () => {
  it("reads a seeded parameter with version, type, ARN and date", async () => {
    const r = await env.c.ssm.send(new GetParameterCommand({ Name: "/app/dev/manifest" }));
    expect(r.Parameter).toMatchObject({
      Name: "/app/dev/manifest",
      Type: "String",
      Value: '{"generation":1}',
      Version: 1,
      ARN: "arn:aws:ssm:us-east-1:123456789012:parameter/app/dev/manifest",
      DataType: "text",
    });
    expect(r.Parameter!.LastModifiedDate).toBeInstanceOf(Date);
  });

  it("PutParameter creates, refuses to overwrite without Overwrite, and increments Version", async () => {
    const name = "/app/dev/targets/manifest";
    expect((await env.c.ssm.send(new PutParameterCommand({ Name: name, Value: "a", Type: "String" }))).Version).toBe(1);
    const exists = await failure(env.c.ssm.send(new PutParameterCommand({ Name: name, Value: "b", Type: "String" })));
    expect(exists.name).toBe("ParameterAlreadyExists");
    const v2 = await env.c.ssm.send(new PutParameterCommand({ Name: name, Value: "b", Overwrite: true }));
    expect(v2).toMatchObject({ Version: 2, Tier: "Standard" });
    expect((await env.c.ssm.send(new GetParameterCommand({ Name: name }))).Parameter).toMatchObject({ Value: "b", Version: 2 });
    expect((await env.c.ssm.send(new GetParameterCommand({ Name: `${name}:1` }))).Parameter).toMatchObject({ Value: "a", Version: 1 });
    const noType = await failure(env.c.ssm.send(new PutParameterCommand({ Name: "/app/dev/untyped", Value: "x" })));
    expect(noType.name).toBe("ValidationException");
  });

  it("enforces 4096 characters for Standard and 8192 for Advanced", async () => {
    await env.c.ssm.send(new PutParameterCommand({ Name: "/limits/std", Value: "x".repeat(4096), Type: "String" }));
    const tooLong = await failure(env.c.ssm.send(new PutParameterCommand({ Name: "/limits/std", Value: "x".repeat(4097), Type: "String", Overwrite: true })));
    expect(tooLong.name).toBe("ValidationException");
    expect(tooLong.message).toContain("4096");
    expect((await env.c.ssm.send(new GetParameterCommand({ Name: "/limits/std" }))).Parameter!.Value).toHaveLength(4096);
    const adv = await env.c.ssm.send(new PutParameterCommand({ Name: "/limits/adv", Value: "y".repeat(8000), Type: "String", Tier: "Advanced" }));
    expect(adv.Tier).toBe("Advanced");
    expect((await failure(env.c.ssm.send(new PutParameterCommand({ Name: "/limits/adv", Value: "y".repeat(8193), Overwrite: true })))).name).toBe(
      "ValidationException",
    );
  });

  it("reads by ARN; an unknown name is ParameterNotFound, an unknown version ParameterVersionNotFound", async () => {
    const arn = "arn:aws:ssm:us-east-1:123456789012:parameter/app/dev/manifest";
    expect((await env.c.ssm.send(new GetParameterCommand({ Name: arn }))).Parameter!.Name).toBe("/app/dev/manifest");
    expect((await failure(env.c.ssm.send(new GetParameterCommand({ Name: "/nope" })))).name).toBe("ParameterNotFound");
    expect((await failure(env.c.ssm.send(new GetParameterCommand({ Name: "/app/dev/manifest:99" })))).name).toBe("ParameterVersionNotFound");
  });
});
