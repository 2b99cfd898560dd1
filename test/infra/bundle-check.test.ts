// The deploy-time check that the AWS SDK is bundled, on real esbuild output:
// the same entry built with the SDK external is refused, bundled is accepted.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { assertSdkBundled, externalSdkImports } from "../../infra/bundle-check";

const entrySource = `import { SSMClient, GetParameterCommand } from "@aws-sdk/client-ssm";
export const handler = async () => new SSMClient({}).send(new GetParameterCommand({ Name: "/x" }));
`;

async function bundle(external: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "sr-bundle-"));
  const entry = join(dir, "entry.ts");
  writeFileSync(entry, entrySource);
  await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "node",
    outfile: join(dir, "out", "entry.mjs"),
    external,
    nodePaths: [join(process.cwd(), "node_modules")],
    logLevel: "silent",
  });
  return join(dir, "out");
}

describe("bundle check", () => {
  it("refuses a bundle that imports the SDK at run time", async () => {
    const out = await bundle(["@aws-sdk/*"]);
    await expect(assertSdkBundled(out)).rejects.toThrow(/AWS SDK left external .*@aws-sdk\/client-ssm/);
  });

  it("accepts the same code with the SDK bundled", async () => {
    const out = await bundle([]);
    await expect(assertSdkBundled(out)).resolves.toBeUndefined();
  }, 60_000);

  it("finds import, dynamic import and require forms", () => {
    expect(externalSdkImports(`import{a}from"@aws-sdk/client-s3";const b=await import("@smithy/core");require('@aws-sdk/client-ecs')`)).toEqual([
      "@aws-sdk/client-ecs",
      "@aws-sdk/client-s3",
      "@smithy/core",
    ]);
    expect(externalSdkImports(`const s="see @aws-sdk/client-s3 docs"`)).toEqual([]);
    expect(externalSdkImports('throw new Error(`call [require("@aws-sdk/signature-v4-crt");] or [import "@aws-sdk/signature-v4-crt";]`)')).toEqual([]);
    expect(externalSdkImports(`import"@aws-sdk/client-sts";`)).toEqual(["@aws-sdk/client-sts"]);
  });
});
