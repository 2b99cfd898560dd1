// Deploy-time check of a built function: the AWS SDK must be bundled at the
// versions pinned in package-lock.json, not imported from the Lambda runtime's
// own copy. Runs as the functions' postbuild hook; pure Node (fs) otherwise.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

// An SDK package imported, not bundled: `import ... from "@aws-sdk/x"` (and `export * from`,
// `export {a} from`), a bare `import "@aws-sdk/x"` at a statement start, a dynamic
// `import("@aws-sdk/x")`, `require("@aws-sdk/x")` or esbuild's require shim in code
// position: `__require("@aws-sdk/x")`, or, minified, the shim's own short name
// (`var c=(o=>typeof require<"u"?require:...)`, then `c("@aws-sdk/x")`). A quoted name
// inside a string (the SDK's own error messages quote `[require("@aws-sdk/signature-v4-crt")]`)
// is preceded by other characters and does not count; nor does a call that is not a
// require (`Symbol("@smithy/core/cbor::tagSymbol")`: a specifier has no `:`).
const PKG = `["'](@aws-sdk\\/[^"'\\s:]+|@smithy\\/[^"'\\s:]+)["']`;
const CODE = `(?:^|[=(,;:?!&|{}\\s>])`;
/** The names esbuild gives its require shim in a bundle (`__require`, or a minified one). */
const REQUIRE_SHIM = /(?:^|[\s,;{}])([A-Za-z_$][\w$]*)\s*=\s*\(?\s*[A-Za-z_$][\w$]*\s*\)?\s*=>\s*typeof require\s*<\s*"u"/g;

function externalSdkPattern(code: string): RegExp {
  const shims = [...new Set([...code.matchAll(REQUIRE_SHIM)].map((m) => m[1]!.replace(/\$/g, "\\$")))];
  const callees = ["import", "require", "__require", ...shims].join("|");
  return new RegExp([`[}\\w$*]\\s*from\\s*${PKG}`, `(?:^|[;\\n])\\s*import\\s*${PKG}`, `${CODE}(?:${callees})\\s*\\(\\s*${PKG}\\s*\\)`].join("|"), "g");
}

/** Specifiers of AWS SDK packages that a bundle still imports at run time. */
export function externalSdkImports(code: string): string[] {
  return [...new Set([...code.matchAll(externalSdkPattern(code))].map((m) => (m[1] ?? m[2] ?? m[3])!))].sort();
}

/** Throws when any JavaScript file of the built folder imports the SDK instead of bundling it. */
export async function assertSdkBundled(dir: string): Promise<void> {
  const offenders: string[] = [];
  for (const file of jsFiles(dir)) {
    const found = externalSdkImports(readFileSync(file, "utf8"));
    if (found.length > 0) offenders.push(`${file}: ${found.join(", ")}`);
  }
  if (offenders.length > 0) {
    throw new Error(`AWS SDK left external in the function bundle (it must be bundled): ${offenders.join("; ")}`);
  }
}

function jsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules") continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...jsFiles(p));
    else if (/\.(m|c)?js$/.test(name)) out.push(p);
  }
  return out;
}
