// `scrape-reconciler invoke --stage S [--dry-run] [--function NAME]`: a manual
// reconcile by the deployed function of a stage. Sends
// {"action":"reconcile","dryRun":bool}, prints the function's summary JSON,
// and exits non-zero with one line when the call or the function fails.
//
// The function's name: --function if given; else `reconcileFunction` from
// .sst/outputs.json (what the last `sst deploy` in this folder printed) when it
// belongs to the requested stage; else the stack's naming convention
// `scrape-reconciler-<stage>-reconcile` (the stack names its functions
// explicitly, so no lambda:ListFunctions permission or lookup is needed).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { InvokeCommand, LambdaClient, type InvokeCommandInput, type InvokeCommandOutput } from "@aws-sdk/client-lambda";
import { describeFailure } from "../aws-errors";
import { parseFlags } from "../flags";
import { UsageError, type Env, type Io } from "../io";

export const APP_NAME = "scrape-reconciler";
const USAGE = "invoke --stage STAGE [--dry-run] [--function NAME]";
const STAGE = /^[a-z0-9][a-z0-9-]{0,29}$/;

/** What the command needs from a Lambda client (the real one, or a test's fake). */
export interface LambdaInvoker {
  send(command: InvokeCommand): Promise<Pick<InvokeCommandOutput, "FunctionError" | "Payload" | "StatusCode">>;
}

export interface InvokeDeps {
  lambda?: LambdaInvoker;
  /** Folder holding .sst/outputs.json (default: the current directory). */
  cwd?: string;
}

/** Name the stack gives a stage's reconcile function (infra/naming.ts). */
export function conventionalFunctionName(stage: string): string {
  return `${APP_NAME}-${stage}-reconcile`;
}

/** The function to invoke for `stage`, and where the name came from. */
export function resolveFunctionName(stage: string, explicit: string | undefined, cwd: string): { name: string; from: string } {
  if (explicit) return { name: explicit, from: "--function" };
  const file = join(cwd, ".sst", "outputs.json");
  if (existsSync(file)) {
    let outputs: { reconcileFunction?: unknown };
    try {
      outputs = JSON.parse(readFileSync(file, "utf8"));
    } catch (err) {
      throw new UsageError(`.sst/outputs.json is not valid JSON (${(err as Error).message.split("\n")[0]}); pass --function NAME`);
    }
    // outputs.json holds the last deploy of this folder, whatever its stage.
    const name = outputs.reconcileFunction;
    if (typeof name === "string" && name.endsWith(`-${stage}-reconcile`)) return { name, from: ".sst/outputs.json" };
  }
  return { name: conventionalFunctionName(stage), from: "naming convention" };
}

export async function invokeCommand(args: string[], env: Env, io: Io, deps: InvokeDeps = {}): Promise<number> {
  try {
    const { values } = parseFlags(args, { stage: { type: "string" }, "dry-run": { type: "boolean" }, function: { type: "string" } }, USAGE);
    const stage = values.stage;
    if (!stage) throw new UsageError(`--stage is required (usage: scrape-reconciler ${USAGE})`);
    if (!STAGE.test(stage)) throw new UsageError(`--stage "${stage}" is not a stage name (${STAGE.source})`);
    const dryRun = values["dry-run"] === true;
    const fn = resolveFunctionName(stage, values.function, deps.cwd ?? process.cwd());

    const lambda = deps.lambda ?? new LambdaClient({ region: env.AWS_REGION || undefined });
    const input: InvokeCommandInput = {
      FunctionName: fn.name,
      InvocationType: "RequestResponse",
      Payload: new TextEncoder().encode(JSON.stringify({ action: "reconcile", dryRun })),
    };
    const res = await lambda.send(new InvokeCommand(input));
    const text = res.Payload ? new TextDecoder().decode(res.Payload) : "";
    if (res.FunctionError) {
      io.err(`scrape-reconciler invoke: ${fn.name} failed (${res.FunctionError}): ${functionErrorLine(text)}`);
      return 1;
    }
    let summary: unknown;
    try {
      summary = JSON.parse(text);
    } catch {
      io.err(`scrape-reconciler invoke: ${fn.name} returned no JSON summary: ${oneLine(text) || "(empty)"}`);
      return 1;
    }
    io.out(JSON.stringify(summary, null, 2));
    return 0;
  } catch (err) {
    const { lines, code } = describeFailure(err);
    for (const line of lines) io.err(`scrape-reconciler invoke: ${line}`);
    return code;
  }
}

/** `errorType: errorMessage` from Lambda's error payload, on one line. */
function functionErrorLine(text: string): string {
  try {
    const e = JSON.parse(text) as { errorType?: string; errorMessage?: string };
    if (e.errorType || e.errorMessage) return oneLine(`${e.errorType ?? "Error"}: ${e.errorMessage ?? ""}`);
  } catch {
    // not JSON: fall through
  }
  return oneLine(text) || "(no error payload)";
}

function oneLine(s: string): string {
  const first = s.trim().split("\n")[0] ?? "";
  return first.length > 300 ? `${first.slice(0, 300)}...` : first;
}
