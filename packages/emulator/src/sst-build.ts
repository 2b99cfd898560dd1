// Builds a function's bundle the way SST 4.17.1's binary does for `Runtime.Build` (its Go
// code, pkg/runtime/node/build.go): esbuild, platform node, ESM `.mjs` by default, target
// esnext, main fields module/main, names kept, the ESM banner that defines require,
// __filename and __dirname, a linked source map, minified when `nodejs.minify` is set,
// `sharp`/`pg-native` plus `nodejs.install` and `nodejs.esbuild.external` left external.
// The emulation runs exactly this output, so a bundle that breaks on Lambda (an import the
// banner does not cover, an external left out) breaks here too. Not a library of SST's:
// the binary exposes its build only over its RPC, hence this mirror of its options.
import { existsSync, mkdirSync } from "node:fs";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { build, type Loader, type Metafile } from "esbuild";

export class BuildError extends Error {
  override name = "BuildError";
}

/** What SST's function component sends to `Runtime.Build` (the fields the Node runtime uses). */
export interface BuildInput {
  functionID: string;
  handler: string;
  runtime: string;
  properties: {
    format?: "esm" | "cjs";
    minify?: boolean;
    sourcemap?: boolean;
    install?: string[];
    loader?: Record<string, string>;
    banner?: string;
    splitting?: boolean;
    esbuild?: { external?: string[]; target?: string };
    architecture?: string;
  };
}

export interface BuildOutput {
  /** `file.export`, relative to `out`, as SST returns it. */
  handler: string;
  out: string;
  errors: string[];
  sourcemaps: string[];
  /** esbuild's metafile of a successful build (output paths relative to the working directory). */
  metafile?: Metafile;
}

const FORCE_EXTERNAL = ["sharp", "pg-native"];
const TS_JS = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];

/** The handler's source file: `functions/reconcile.handler` -> functions/reconcile.ts (or .js, ...). */
export function handlerFile(root: string, handler: string): string {
  const base = handler.slice(0, handler.lastIndexOf("."));
  for (const ext of TS_JS) {
    const file = resolve(root, base + ext);
    if (existsSync(file)) return file;
  }
  throw new BuildError(`Handler not found: ${handler}`);
}

export async function buildFunction(root: string, input: BuildInput, outRoot: string): Promise<BuildOutput> {
  const p = input.properties ?? {};
  const file = handlerFile(root, input.handler);
  const esm = p.format !== "cjs";
  const rel = relative(root, file);
  // Lambda's handler may hold a single dot between file and export.
  const fileName = basename(rel, extname(rel)).replaceAll(".", "-");
  const out = join(outRoot, input.functionID);
  mkdirSync(out, { recursive: true });
  const outfile = join(out, fileName + (esm ? ".mjs" : ".cjs"));
  const loader: Record<string, Loader> = {};
  for (const [k, v] of Object.entries(p.loader ?? {})) loader[k] = v as Loader;
  const banner = [
    `import { createRequire as topLevelCreateRequire } from 'module';`,
    `const require = topLevelCreateRequire(import.meta.url);`,
    `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
    `const __filename = topLevelFileUrlToPath(import.meta.url)`,
    `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
    p.banner ?? "",
  ].join("\n");
  try {
    const result = await build({
      entryPoints: [file],
      platform: "node",
      external: [...FORCE_EXTERNAL, ...(p.install ?? []), ...(p.esbuild?.external ?? [])],
      loader,
      keepNames: true,
      bundle: true,
      splitting: Boolean(p.splitting),
      metafile: true,
      ...(p.splitting ? { outdir: dirname(outfile), outExtension: { ".js": ".mjs" } } : { outfile }),
      sourcemap: p.sourcemap === false ? false : "linked",
      write: true,
      format: esm ? "esm" : "cjs",
      target: p.esbuild?.target ?? "esnext",
      mainFields: esm ? ["module", "main"] : ["main"],
      ...(esm ? { banner: { js: banner } } : {}),
      minify: Boolean(p.minify),
      logLevel: "silent",
    });
    return {
      handler: fileName + extname(input.handler),
      out,
      errors: result.errors.map((e) => e.text),
      sourcemaps: p.sourcemap === false ? [] : [`${outfile}.map`],
      metafile: result.metafile,
    };
  } catch (err) {
    const failure = err as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] };
    if (failure.errors) {
      return {
        handler: "",
        out,
        errors: failure.errors.map((e) => (e.location ? `${e.text} ${e.location.file}:${e.location.line}:${e.location.column}` : e.text)),
        sourcemaps: [],
      };
    }
    throw err;
  }
}
