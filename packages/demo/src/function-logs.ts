// The deployed functions' logs, as the demo reads them: the emulated Lambda service writes
// each function's stdout line by line (the platform's START / END / REPORT lines, the
// runtime's tab-separated error lines, the Powertools Logger's JSON lines and the EMF
// metric lines); this module groups them per invocation (request id) and hands over one
// record per finished invocation: when it started and ended, its REPORT durations and
// status, and its Logger records. Parsing is pure; FunctionLogs keeps the open ones.

/** One JSON line of the Powertools Logger ("reconciled", "events applied", "audit findings"...). */
export interface LogRecord {
  level: string;
  message: string;
  function_request_id?: string;
  [key: string]: unknown;
}

/** One finished invocation of a function, read from its log lines. */
export interface InvocationRecord {
  fn: string;
  requestId: string;
  /** When its START line arrived (its INIT, on a cold start, came before). */
  startedAt: number;
  /** When its REPORT line arrived. */
  endedAt: number;
  /** REPORT's Duration and Init Duration (cold start) in ms. */
  durationMs: number;
  initDurationMs?: number;
  /** REPORT's status when not a success ("timeout", or the error type of a crash). */
  status?: string;
  /** "ErrorType: message" of the runtime's `Invoke Error` line, when the handler threw. */
  error?: string;
  /** The Logger's records of this invocation, in order. */
  records: LogRecord[];
}

export interface ReportLine {
  requestId: string;
  durationMs: number;
  initDurationMs?: number;
  status?: string;
}

/** The request id of a platform `START RequestId: ... Version: ...` line. */
export function parseStart(line: string): string | undefined {
  return /^START RequestId: (\S+)/.exec(line)?.[1];
}

/** A platform `REPORT RequestId: ...` line: durations and the status when it failed. */
export function parseReport(line: string): ReportLine | undefined {
  const m = /^REPORT RequestId: (\S+)\tDuration: ([\d.]+) ms/.exec(line);
  if (!m) return undefined;
  const init = /\tInit Duration: ([\d.]+) ms/.exec(line)?.[1];
  const status = /\tStatus: (\w+)(?:\tError Type: (\S+))?/.exec(line);
  return {
    requestId: m[1]!,
    durationMs: Number(m[2]),
    ...(init !== undefined ? { initDurationMs: Number(init) } : {}),
    ...(status ? { status: status[2] ?? status[1]! } : {}),
  };
}

/** A Logger JSON line (one with a level and a message); EMF lines and plain text are not. */
export function parseRecord(line: string): LogRecord | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const v = JSON.parse(line) as Partial<LogRecord>;
    return typeof v.level === "string" && typeof v.message === "string" ? (v as LogRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** The runtime's `<time>\t<request id>\tERROR\tInvoke Error \t{json}` line: request id and "Type: message". */
export function parseInvokeError(line: string): { requestId: string; error: string } | undefined {
  const parts = line.split("\t");
  if (parts.length < 5 || parts[2] !== "ERROR" || !parts[3]!.startsWith("Invoke Error")) return undefined;
  try {
    const e = JSON.parse(parts.slice(4).join("\t")) as { errorType?: string; errorMessage?: string };
    return { requestId: parts[1]!, error: `${e.errorType ?? "Error"}: ${String(e.errorMessage ?? "").split("\n")[0]}` };
  } catch {
    return { requestId: parts[1]!, error: parts.slice(3).join(" ").trim() };
  }
}

interface Open {
  startedAt: number;
  records: LogRecord[];
  error?: string;
}

/** Groups the stack's log lines per invocation; `onLog` is the emulation's log hook. */
export class FunctionLogs {
  private readonly open = new Map<string, Open>();
  readonly finished: InvocationRecord[] = [];

  constructor(
    private readonly onInvocation: (r: InvocationRecord) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  readonly onLog = (fn: string, line: string): void => {
    const at = this.now();
    const start = parseStart(line);
    if (start) {
      this.open.set(`${fn}/${start}`, { startedAt: at, records: [] });
      return;
    }
    const report = parseReport(line);
    if (report) {
      const key = `${fn}/${report.requestId}`;
      const o = this.open.get(key) ?? { startedAt: at - report.durationMs, records: [] };
      this.open.delete(key);
      const r: InvocationRecord = {
        fn,
        requestId: report.requestId,
        startedAt: o.startedAt,
        endedAt: at,
        durationMs: report.durationMs,
        ...(report.initDurationMs !== undefined ? { initDurationMs: report.initDurationMs } : {}),
        ...(report.status ? { status: report.status } : {}),
        ...(o.error ? { error: o.error } : {}),
        records: o.records,
      };
      this.finished.push(r);
      this.onInvocation(r);
      return;
    }
    const err = parseInvokeError(line);
    if (err) {
      const o = this.open.get(`${fn}/${err.requestId}`);
      if (o) o.error ??= err.error;
      return;
    }
    const rec = parseRecord(line);
    const id = rec?.function_request_id;
    if (rec && id) this.open.get(`${fn}/${id}`)?.records.push(rec);
  };

  /** Finished invocations of `fn` that logged a record with this message, oldest first. */
  withMessage(fn: string, message: string): { invocation: InvocationRecord; record: LogRecord }[] {
    return this.finished.flatMap((invocation) => {
      if (invocation.fn !== fn) return [];
      const record = invocation.records.find((r) => r.message === message);
      return record ? [{ invocation, record }] : [];
    });
  }
}
