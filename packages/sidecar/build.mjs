#!/usr/bin/env node
// Bundles the sidecar into one minified ESM file for Node 20+, AWS SDK included:
// dist/sidecar.mjs, run with `node dist/sidecar.mjs --source ... --output ...`.
// Only S3Client/GetObjectCommand, SSMClient/GetParameterCommand and STSClient/AssumeRoleCommand
// (sources behind a role) are imported, so esbuild tree-shakes the rest of the SDK away.
// They are dynamic imports (src/sdk.ts): still one file, but each client module is evaluated
// only when a source first needs it (no splitting: the image copies one file).
import { build } from "esbuild";
import { mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outfile = process.env.SIDECAR_BUNDLE_OUT ?? join(here, "dist", "sidecar.mjs");
mkdirSync(dirname(outfile), { recursive: true });

const result = await build({
  stdin: {
    contents: `import { runSidecar } from "./src/main.ts";\nprocess.exit(await runSidecar(process.argv.slice(2), process.env));\n`,
    resolveDir: here,
    sourcefile: "sidecar-entry.ts",
    loader: "ts",
  },
  outfile,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  minify: true,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
  // CommonJS dependencies (prom-client, parts of the SDK) call require() for built-ins.
  banner: {
    js: `#!/usr/bin/env node\nimport{createRequire as __cr}from"node:module";const require=__cr(import.meta.url);`,
  },
});

const bytes = statSync(outfile).size;
if (process.argv.includes("--analyze")) {
  const { analyzeMetafile } = await import("esbuild");
  console.log(await analyzeMetafile(result.metafile));
}
console.log(`${outfile} ${(bytes / 1024).toFixed(0)} KiB`);
