// One Lambda execution environment, run by Node 24 in its own process (started by
// lambda-environment.ts with exactly the environment Lambda gives the function).
// INIT imports the handler named by _HANDLER from LAMBDA_TASK_ROOT, as the Lambda Node.js
// runtime does (extensions "", .js, .mjs, .cjs; nested export names; callback handlers
// refused from nodejs24.x on), then answers `ready` or `init-error` on the IPC channel.
// Each `invoke` message runs handler(event, context) and answers `result` (the JSON text)
// or `error` ({errorType, errorMessage}). stdout/stderr carry only the function's logs;
// the console is patched to the runtime's text format (timestamp, request id, level).
import { existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { format } from "node:util";

/** Lambda's limit on a synchronous response, as its error message states it. */
const MAX_RESPONSE_BYTES = 6291556;
const CALLBACK_REMOVED =
  "ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. " +
  "You need to modify this function to use a supported handler signature to use Node.js 24 or later. " +
  "For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.";

// Bytes written to stdout/stderr so far: the parent waits for all of them to arrive before
// it closes an invocation's logs (the pipes and the IPC channel are separate streams).
const written = { stdout: 0, stderr: 0 };
for (const name of /** @type {const} */ (["stdout", "stderr"])) {
  const stream = process[name];
  const write = stream.write;
  stream.write = function countedWrite(chunk, encoding, cb) {
    written[name] += typeof chunk === "string" ? Buffer.byteLength(chunk, typeof encoding === "string" ? encoding : "utf8") : chunk.byteLength;
    return write.call(this, chunk, encoding, cb);
  };
}

/** The invocation being run (kept after its answer: later output still names it). */
let current = null;
let answered = true;
let phase = "init";

// The runtime's text log format: one line per call, newlines turned into carriage returns.
const LEVELS = { trace: "TRACE", debug: "DEBUG", info: "INFO", warn: "WARN", error: "ERROR", fatal: "FATAL" };
for (const [method, level] of Object.entries(LEVELS)) {
  console[method] = (...args) => {
    const line = [new Date().toISOString(), current?.requestId ?? "undefined", level, format(...args)].join("\t");
    process.stdout.write(`${line.replace(/\n/g, "\r")}\n`);
  };
}
console.log = console.info;

function namedError(name, message) {
  const err = new Error(message);
  err.name = name;
  return err;
}

/** What Lambda answers for an error: the Error's name and message, or the thrown value's type. */
function describe(err) {
  try {
    if (err instanceof Error) return { errorType: String(err.name), errorMessage: String(err.message) };
    return { errorType: typeof err, errorMessage: String(err) };
  } catch {
    return { errorType: "handled", errorMessage: "an error was thrown, but its message, name or stack could not be read" };
  }
}

/** Logs `Invoke Error` and the like as the runtime does: message, a tab, the error as JSON. */
function logError(message, err) {
  const error = err instanceof Error ? err : new Error(String(err));
  let json;
  try {
    json = JSON.stringify(error, (_key, value) =>
      value instanceof Error
        ? {
            errorType: value.name,
            errorMessage: value.message,
            code: value.code,
            ...value,
            ...(typeof value.stack === "string" ? { stack: value.stack.split("\n") } : {}),
          }
        : value,
    );
  } catch {
    json = JSON.stringify(describe(error));
  }
  console.error(message, `\t${json}`);
}

function send(message) {
  return new Promise((done) => {
    if (!process.connected) return done();
    process.send({ ...message, stdoutBytes: written.stdout, stderrBytes: written.stderr, maxMemoryMb: Math.ceil(process.resourceUsage().maxRSS / 1024) }, () =>
      done(),
    );
  });
}

async function importFirst(base) {
  for (const ext of ["", ".js", ".mjs", ".cjs"]) {
    const file = base + ext;
    if (existsSync(file) && statSync(file).isFile()) return import(pathToFileURL(file).href);
  }
  return undefined;
}

function findExport(path, mod) {
  return path.split(".").reduce((obj, key) => (obj && (typeof obj === "object" || typeof obj === "function") ? obj[key] : undefined), mod);
}

async function loadHandler() {
  const handlerString = process.env._HANDLER ?? "";
  const taskRoot = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
  if (handlerString.includes("..")) {
    throw namedError(
      "Runtime.MalformedHandlerName",
      `'${handlerString}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const slash = handlerString.lastIndexOf("/");
  const moduleRoot = handlerString.slice(0, slash + 1);
  const match = /^([^.]*)\.(.*)$/.exec(handlerString.slice(slash + 1));
  if (!match) throw namedError("Runtime.MalformedHandlerName", "Bad handler");
  const [, moduleName, handlerName] = match;
  let mod;
  try {
    mod = await importFirst(resolve(taskRoot, moduleRoot, moduleName));
    if (mod === undefined) {
      const require = createRequire(join(taskRoot, "index.js"));
      mod = require(require.resolve(moduleName, { paths: [taskRoot, join(taskRoot, moduleRoot)] }));
    }
  } catch (err) {
    if (err instanceof SyntaxError) {
      const wrapped = namedError("Runtime.UserCodeSyntaxError", String(err));
      wrapped.stack = err.stack;
      throw wrapped;
    }
    if (err?.code === "MODULE_NOT_FOUND") throw namedError("Runtime.ImportModuleError", String(err));
    throw err;
  }
  let handler = findExport(handlerName, mod);
  if (!handler && mod && typeof mod === "object" && "default" in mod) handler = findExport(handlerName, mod.default);
  if (!handler) throw namedError("Runtime.HandlerNotFound", `${handlerString} is undefined or not exported`);
  if (typeof handler !== "function") throw namedError("Runtime.HandlerNotFound", `${handlerString} is not a function`);
  const runtimeMajor = Number(/^AWS_Lambda_nodejs(\d+)/.exec(process.env.AWS_EXECUTION_ENV ?? "")?.[1] ?? 0);
  if (handler.length >= 3 && runtimeMajor >= 24) throw namedError("Runtime.CallbackHandlerDeprecated", CALLBACK_REMOVED);
  return handler;
}

/** Calls the handler; (event, context, callback) handlers only exist before nodejs24.x. */
function callHandler(handler, event, context) {
  if (handler.length < 3) return handler(event, context);
  return new Promise((resolvePromise, reject) => {
    const returned = handler(event, context, (err, value) => (err ? reject(err) : resolvePromise(value)));
    if (returned && typeof returned.then === "function") returned.then(resolvePromise, reject);
  });
}

function responseOf(result) {
  let payload;
  try {
    payload = JSON.stringify(result === undefined ? null : result) ?? "null";
  } catch (err) {
    logError("Invoke Error", err);
    return { type: "error", errorType: "Runtime.JSONStringifyError", errorMessage: "Unable to stringify response body" };
  }
  if (Buffer.byteLength(payload) > MAX_RESPONSE_BYTES) {
    return {
      type: "error",
      errorType: "Function.ResponseSizeTooLarge",
      errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
    };
  }
  return { type: "result", payload };
}

async function invoke(handler, msg) {
  current = { requestId: msg.requestId };
  answered = false;
  process.env._X_AMZN_TRACE_ID = msg.traceId;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: msg.invokedFunctionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: msg.requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, msg.deadlineMs - Date.now()),
  };
  let response;
  try {
    response = responseOf(await callHandler(handler, JSON.parse(msg.event), context));
  } catch (err) {
    logError("Invoke Error", err);
    response = { type: "error", ...describe(err) };
  }
  await new Promise((next) => setImmediate(next));
  if (answered) return; // an uncaught exception answered first
  answered = true;
  await send({ ...response, requestId: msg.requestId });
}

/** An uncaught exception or unhandled rejection ends the environment, as in Lambda. */
async function fatal(message, err, exitCode) {
  logError(message, err);
  if (phase === "init") await send({ type: "init-error", ...describe(err) });
  else if (!answered) {
    answered = true;
    await send({ type: "error", requestId: current?.requestId, fatal: true, ...describe(err) });
  }
  process.exit(exitCode);
}

process.on("uncaughtException", (err) => void fatal("Uncaught Exception", err, 129));
process.on("unhandledRejection", (reason) => {
  const err = namedError("Runtime.UnhandledPromiseRejection", String(reason instanceof Error ? `${reason.name}: ${reason.message}` : reason));
  void fatal("Unhandled Promise Rejection", err, 128);
});
// The emulator went away: an environment never outlives it.
process.on("disconnect", () => process.exit(0));

let handler;
try {
  handler = await loadHandler();
} catch (err) {
  logError("Init Error", err);
  await send({ type: "init-error", ...describe(err) });
  process.exit(1);
}
phase = "invoke";
process.on("message", (msg) => {
  if (msg && msg.type === "invoke") void invoke(handler, msg);
});
await send({ type: "ready" });
