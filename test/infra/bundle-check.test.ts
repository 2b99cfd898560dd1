// The deploy-time check that the AWS SDK is bundled, on real esbuild output:
// the same entry built with the SDK external is refused, bundled is accepted.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { assertSdkBundled, externalSdkImports } from "../../infra/bundle-check";

const entrySource = `import { SSMClient, GetParameterCommand } from "@aws-sdk/client-ssm";
export const handler = async () => new SSMClient({}).send(new GetParameterCommand({ Name: "/x" }));
`;

async function bundle(external: string[], source = entrySource, minify = true): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "sr-bundle-"));
  const entry = join(dir, "entry.ts");
  writeFileSync(entry, source);
  await build({
    entryPoints: [entry],
    bundle: true,
    minify,
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

  // Each way esbuild's ESM output can leave an SDK package to the runtime, built for real
  // with the SDK external, minified (as SST builds) and not.
  const forms: [string, string, string][] = [
    ["require (esbuild's __require shim)", `const ssm = require("@aws-sdk/client-ssm");\nexport const handler = async () => ssm;\n`, "@aws-sdk/client-ssm"],
    ["dynamic import()", `export const handler = async () => (await import("@aws-sdk/client-s3")).S3Client;\n`, "@aws-sdk/client-s3"],
    ["dynamic import() in an arrow", `export const load = () => import("@aws-sdk/client-ec2");\n`, "@aws-sdk/client-ec2"],
    ["export * from", `export * from "@aws-sdk/client-ecs";\nexport const handler = async () => ({});\n`, "@aws-sdk/client-ecs"],
    ["export { } from", `export { STSClient } from "@aws-sdk/client-sts";\nexport const handler = async () => ({});\n`, "@aws-sdk/client-sts"],
  ];
  for (const minify of [true, false]) {
    it.each(forms)(`refuses %s (${minify ? "minified" : "not minified"})`, async (_what, source, pkg) => {
      const out = await bundle(["@aws-sdk/*"], source, minify);
      const code = readFileSync(join(out, "entry.mjs"), "utf8");
      expect(externalSdkImports(code)).toEqual([pkg]);
      await expect(assertSdkBundled(out)).rejects.toThrow(new RegExp(`AWS SDK left external .*${pkg.replace("/", "\\/")}`));
    });
  }

  it("finds __require, the minified require shim and export * in code", () => {
    expect(externalSdkImports(`var a=__require("@aws-sdk/client-ssm");`)).toEqual(["@aws-sdk/client-ssm"]);
    const shim = `var c=(o=>typeof require<"u"?require:o)(function(o){throw Error('Dynamic require of "'+o+'" is not supported')});`;
    expect(externalSdkImports(`${shim}var e=c("@aws-sdk/client-ssm");`)).toEqual(["@aws-sdk/client-ssm"]);
    // Without that shim, a call of another function with a package name is not an import.
    expect(externalSdkImports(`var e=c("@aws-sdk/client-ssm");var t=Symbol("@smithy/core/cbor::tagSymbol");`)).toEqual([]);
    expect(externalSdkImports(`${shim}var t=Symbol("@smithy/core/cbor::tagSymbol");`)).toEqual([]);
    expect(externalSdkImports(`export*from"@aws-sdk/client-ecs";export * as s from "@smithy/core";`)).toEqual(["@aws-sdk/client-ecs", "@smithy/core"]);
    expect(externalSdkImports(`const f=()=>import("@aws-sdk/client-ec2")`)).toEqual(["@aws-sdk/client-ec2"]);
  });

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
