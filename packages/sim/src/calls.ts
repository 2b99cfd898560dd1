// Call accounting: a counter per `service:Operation` and an ordered log of every call
// (operation, IAM action, time, HTTP status, signing key, injected fault), which tests use
// to count AWS reads and to compare the calls code makes with the IAM policies it is given.

export interface CallRecord {
  /** `service:Operation`, e.g. `ecs:DescribeTasks`. */
  key: string;
  service: string;
  operation: string;
  /** The IAM action the call needs (`s3:GetObject` for HeadObject). */
  iamAction: string;
  readOnly: boolean;
  /** Epoch milliseconds when the request arrived. */
  time: number;
  durationMs: number;
  status: number;
  /** S3: the request path (`/BUCKET/KEY` with path-style addressing). */
  path?: string;
  /** The access key id the request was signed with (`ASIA...` for an STS session). */
  accessKeyId?: string;
  /** The error code answered, if any. */
  error?: string;
  /** Set when the error was injected (`rate`, `deny`, `queued`). */
  fault?: "rate" | "deny" | "queued";
}

export interface CallFilter {
  service?: string;
  readOnly?: boolean;
}

export class CallLog {
  private readonly counts = new Map<string, number>();
  private records: CallRecord[] = [];

  record(call: CallRecord): void {
    this.counts.set(call.key, (this.counts.get(call.key) ?? 0) + 1);
    this.records.push(call);
  }

  /** Calls of one `service:Operation` since the last reset (every attempt counts). */
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Counts per `service:Operation`, keys sorted. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  total(filter: CallFilter = {}): number {
    return this.records.filter(
      (r) => (filter.service === undefined || r.service === filter.service) && (filter.readOnly === undefined || r.readOnly === filter.readOnly),
    ).length;
  }

  /** A copy of the call log, oldest first. */
  get log(): CallRecord[] {
    return [...this.records];
  }

  /** The distinct IAM actions called, sorted. */
  iamActions(): string[] {
    return [...new Set(this.records.map((r) => r.iamAction))].sort();
  }

  reset(): void {
    this.counts.clear();
    this.records = [];
  }
}
