// Flag parsing on node:util parseArgs, turning its errors into one-line UsageErrors.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./io";

export function parseFlags<O extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: O, usage: string) {
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split("\n")[0]} (usage: scrape-reconciler ${usage})`);
  }
}
