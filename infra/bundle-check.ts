// Deploy-time check of a built function: the AWS SDK must be bundled at the
// versions pinned in package-lock.json, not imported from the Lambda runtime's
// own copy. Runs as the functions' postbuild hook; pure Node (fs) otherwise.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

// An SDK package imported, not bundled: `import ... from "@aws-sdk/x"`, a bare
// `import "@aws-sdk/x"` at a statement start, `import("@aws-sdk/x")` or
// `require("@aws-sdk/x")` in code position. A quoted name inside a string (the
// SDK's own error messages quote `[require("@aws-sdk/signature-v4-crt")]`) is
// preceded by other characters and does not count.
const PKG = `["'](@aws-sdk\\/[^"'\\s]+|@smithy\\/[^"'\\s]+)["']`;
const EXTERNAL_SDK = new RegExp(
  [`[}\\w$]\\s*from\\s*${PKG}`, `(?:^|[;\\n])\\s*import\\s*${PKG}`, `(?:^|[=(,;:?!&|{}\\s])(?:import|require)\\(\\s*${PKG}\\s*\\)`].join("|"),
  "g",
);

/** Specifiers of AWS SDK packages that a bundle still imports at run time. */
export function externalSdkImports(code: string): string[] {
  return [...new Set([...code.matchAll(EXTERNAL_SDK)].map((m) => (m[1] ?? m[2] ?? m[3])!))].sort();
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
