// Child process of bench/batch-cost.ts: one reconcile function's warm process. Reads
// commands from stdin, one JSON line each, and answers one JSON line on stdout:
//   {"cmd":"full"}                 -> a full reconcile (the account's state and document)
//   {"cmd":"batch","events":[...]} -> the events as one SQS batch through the function's
//                                     router (handleInput), as the deployed queue delivers them
// Each answer has this process' CPU time for the command (process.cpuUsage: the simulator
// runs in the parent) and the S3 bytes it wrote (PutObject bodies) and read (GetObject
// bodies), counted by a middleware on the real S3 client, and of those written, the single
// document's and the shard index's and shards' (what a sidecar downloads after the change). Bundled by the benchmark from
// today's sources and from a baseline commit's.
import { createInterface } from "node:readline";
import { Logger } from "@aws-lambda-powertools/logger";
import { createReconcilerClients, handleInput, parseReconcileConfig, reconcile } from "@scrape-reconciler/reconcile";

const clients = createReconcilerClients(process.env);
const config = parseReconcileConfig(process.env);
const logger = new Logger({ serviceName: "batch-runner", logLevel: "SILENT" });
const bytes = { written: 0, read: 0, document: 0, sharded: 0 };
clients.s3.middlewareStack.add(
  (next, context) => async (args) => {
    const body = (args.request as { body?: unknown }).body;
    const size = typeof body === "string" ? Buffer.byteLength(body) : body instanceof Uint8Array ? body.byteLength : 0;
    bytes.written += size;
    // What a sidecar downloads after this write: the single document, or the index and new shards.
    const key = (args.input as { Key?: string }).Key ?? "";
    if (context.commandName === "PutObjectCommand" && key === config.key) bytes.document += size;
    if (context.commandName === "PutObjectCommand" && (key.endsWith(".index.json") || key.includes(".shards/"))) bytes.sharded += size;
    const out = await next(args);
    const res = out.response as { statusCode?: number; headers?: Record<string, string> };
    if (context.commandName === "GetObjectCommand" && res.statusCode === 200) {
      bytes.read += Number(res.headers?.["content-length"] ?? 0);
    }
    return out;
  },
  { step: "finalizeRequest", name: "countBytes" },
);

const deps = { clients, config, logger, now: () => new Date() };
let seq = 0;
for await (const line of createInterface({ input: process.stdin })) {
  const cmd = JSON.parse(line) as { cmd: "full" } | { cmd: "batch"; events: unknown[] };
  bytes.written = 0;
  bytes.read = 0;
  bytes.document = 0;
  bytes.sharded = 0;
  const cpu = process.cpuUsage();
  let result: Record<string, unknown>;
  if (cmd.cmd === "full") {
    const s = await reconcile(deps);
    result = { targets: s.targets, written: s.written };
  } else {
    const records = cmd.events.map((e) => {
      seq += 1;
      const attributes = { ApproximateReceiveCount: "1", SentTimestamp: "0", SenderId: "events", ApproximateFirstReceiveTimestamp: "0" };
      return {
        messageId: `m-${seq}`,
        receiptHandle: `r-${seq}`,
        body: JSON.stringify(e),
        attributes,
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:q",
        awsRegion: "us-east-1",
      };
    });
    const r = await handleInput(deps, { Records: records });
    const summary =
      r.kind === "reconcile"
        ? { targets: r.summary.targets }
        : { targets: r.summary.targets, documentWritten: r.summary.documentWritten, events: r.summary.events };
    result = summary;
  }
  const used = process.cpuUsage(cpu);
  process.stdout.write(`${JSON.stringify({ ...result, cpuMs: (used.user + used.system) / 1000, ...bytes })}\n`);
}
process.exit(0);
