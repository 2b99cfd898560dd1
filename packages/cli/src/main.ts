// The `scrape-reconciler` command line: dispatches to one command per file under
// commands/ (loaded lazily so `sidecar` does not load the reconciler and vice versa),
// turns every failure into one line on stderr (one per problem for a configuration
// error) and an exit code (2 for bad usage or configuration, 1 for anything else).
import { describeFailure } from "./aws-errors";
import { processIo, UsageError, type Command, type Env, type Io } from "./io";

/** Each command's usage line (what `<command> --help` prints), in the order the usage lists them. */
const SUMMARIES = {
  reconcile: "reconcile [--dry-run] [--json]   discover, diff against the published document, publish",
  show: "show [--json]                    print the published document and manifest",
  audit: "audit [--json]                   compare the published document with AWS (exit 1 on findings)",
  forward: "forward [--once] [--dry-run] [--json]   CloudWatch RDS/ElastiCache metrics -> remote write",
  invoke: "invoke --stage S [--dry-run]     run the deployed reconcile function (manual reconcile)",
  sidecar: "sidecar --source SRC ...         sync the document beside Prometheus (file_sd + http_sd)",
  demo: "demo [--scenario FILE] [--duration DURATION]   the offline demo of the whole pipeline (no AWS account)",
};
type CommandName = keyof typeof SUMMARIES;

/** Each command's module, imported only when that command runs. */
const LOADERS: Record<CommandName, () => Promise<Command>> = {
  reconcile: async () => (await import("./commands/reconcile")).reconcileCommand,
  show: async () => (await import("./commands/show")).showCommand,
  audit: async () => (await import("./commands/audit")).auditCommand,
  forward: async () => (await import("./commands/forward")).forwardCommand,
  invoke: async () => (await import("./commands/invoke")).invokeCommand,
  sidecar: async () => {
    const { sidecarMain } = await import("@scrape-reconciler/sidecar");
    return (args, env) => sidecarMain(args, env);
  },
  demo: async () => (await import("./commands/demo")).demoCommand,
};

export function usage(): string {
  return [
    "usage: scrape-reconciler <command> [options]",
    "",
    ...Object.values(SUMMARIES).map((summary) => `  ${summary}`),
    "",
    "Configuration: TARGETS_BUCKET (required), TARGETS_KEY, MANIFEST_PARAMETER, NAMESPACES, CLUSTERS;",
    "AWS: the default credential chain, AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL[_<SERVICE>].",
  ].join("\n");
}

export async function main(argv: string[], env: Env = process.env, io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.out(usage());
    return name ? 0 : 2;
  }
  if (!Object.hasOwn(SUMMARIES, name)) {
    io.err(`unknown command "${name}" (commands: ${Object.keys(SUMMARIES).join(", ")})`);
    return 2;
  }
  const command = name as CommandName;
  const summary = SUMMARIES[command];
  try {
    if (name !== "sidecar" && (rest.includes("--help") || rest.includes("-h"))) {
      io.out(`usage: scrape-reconciler ${summary}`);
      return 0;
    }
    return await (await LOADERS[command]())(rest, env, io);
  } catch (err) {
    const { lines, code } = describeFailure(err);
    for (const line of lines) io.err(`scrape-reconciler ${name}: ${line}`);
    if (env.SCRAPE_RECONCILER_DEBUG) io.err(String((err as Error)?.stack ?? err));
    return code;
  }
}

export { UsageError };
