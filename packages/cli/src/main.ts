// The `scrape-reconciler` command line: dispatches to one command per file under
// commands/ (loaded lazily so `sidecar` does not load the reconciler and vice versa),
// turns every failure into one line on stderr (one per problem for a configuration
// error) and an exit code (2 for bad usage or configuration, 1 for anything else).
import { describeFailure } from "./aws-errors";
import { processIo, UsageError, type Command, type Env, type Io } from "./io";

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  reconcile: {
    summary: "reconcile [--dry-run] [--json]   discover, diff against the published document, publish",
    load: async () => (await import("./commands/reconcile")).reconcileCommand,
  },
  show: {
    summary: "show [--json]                    print the published document and manifest",
    load: async () => (await import("./commands/show")).showCommand,
  },
  audit: {
    summary: "audit [--json]                   compare the published document with AWS (exit 1 on findings)",
    load: async () => (await import("./commands/audit")).auditCommand,
  },
  forward: {
    summary: "forward [--once] [--dry-run] [--json]   CloudWatch RDS/ElastiCache metrics -> remote write",
    load: async () => (await import("./commands/forward")).forwardCommand,
  },
  invoke: {
    summary: "invoke --stage S [--dry-run]     run the deployed reconcile function (manual reconcile)",
    load: async () => (await import("./commands/invoke")).invokeCommand,
  },
  sidecar: {
    summary: "sidecar --source SRC ...         sync the document beside Prometheus (file_sd + http_sd)",
    load: async () => {
      const { sidecarMain } = await import("@scrape-reconciler/sidecar");
      return (args, env) => sidecarMain(args, env);
    },
  },
  demo: {
    summary: "demo [--scenario FILE] [--duration DURATION]   the offline demo of the whole pipeline (no AWS account)",
    load: async () => (await import("./commands/demo")).demoCommand,
  },
};

export function usage(): string {
  return [
    "usage: scrape-reconciler <command> [options]",
    "",
    ...Object.values(COMMANDS).map((c) => `  ${c.summary}`),
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
  const entry = COMMANDS[name];
  if (!entry) {
    io.err(`unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(", ")})`);
    return 2;
  }
  try {
    if (name !== "sidecar" && (rest.includes("--help") || rest.includes("-h"))) {
      io.out(`usage: scrape-reconciler ${entry.summary}`);
      return 0;
    }
    return await (await entry.load())(rest, env, io);
  } catch (err) {
    const { lines, code } = describeFailure(err);
    for (const line of lines) io.err(`scrape-reconciler ${name}: ${line}`);
    if (env.SCRAPE_RECONCILER_DEBUG) io.err(String((err as Error)?.stack ?? err));
    return code;
  }
}

export { UsageError };
