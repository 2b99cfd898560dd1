// EventBridge events from the simulated account: every task change becomes an
// "ECS Task State Change" event as ECS sends it (ISO timestamps, attachment type "eni",
// `detail.version` increasing per task), every Cloud Map instance or service change an
// "AWS API Call via CloudTrail" event (eventSource servicediscovery.amazonaws.com, the
// request parameters in CloudTrail's camelCase). Delivery can be made realistic: events
// duplicated at a rate, delivered late, and shuffled (EventBridge is at-least-once and
// unordered), all from a seeded PRNG.
import { seededRandom } from "./ids";
import type { CloudMapChange, TaskChange } from "./model";
import type { SimState } from "./state";

/** The EventBridge event envelope, as PutEvents takes it and rules and targets see it. */
export interface EventEnvelope<Detail = unknown> {
  version?: string;
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Detail;
}

/** An event as AWS services send it to the default bus (what the emitter produces). */
export interface RawEvent extends EventEnvelope<Record<string, unknown>> {
  version: "0";
}

export interface DeliveryOptions {
  /** Probability that an event is delivered twice. */
  duplicateRate?: number;
  /** Shuffle the order of each drained batch. */
  shuffle?: boolean;
  /** Probability that an event is held back to the next drain (delivered late). */
  delayRate?: number;
  seed?: string;
}

/** ISO strings for Dates and epoch-second numbers in a task, as EventBridge sends them. */
function toEventShape(value: unknown, key = ""): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "number" && /At$/.test(key)) return new Date(value * 1000).toISOString();
  if (Array.isArray(value)) return value.map((v) => toEventShape(v));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toEventShape(v, k);
    return out;
  }
  return value;
}

export class EventBridgeEmitter {
  private queue: RawEvent[] = [];
  private held: RawEvent[] = [];
  private readonly random: () => number;
  private counter = 0;
  private readonly unsubscribe: (() => void)[] = [];
  /** Events produced so far (before duplication), by detail-type. */
  readonly produced: Record<string, number> = {};

  constructor(
    private readonly state: SimState,
    private readonly options: DeliveryOptions = {},
  ) {
    this.random = seededRandom(`${options.seed ?? "events"}/delivery`);
    this.unsubscribe.push(state.onChange((c) => this.push(this.taskEvent(c))));
    this.unsubscribe.push(state.onCloudMapChange((c) => this.push(this.cloudMapEvent(c))));
  }

  close(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  private id(): string {
    this.counter += 1;
    const n = this.counter;
    const hex = n.toString(16).padStart(12, "0");
    return `5e1f0000-0000-4000-8000-${hex}`;
  }

  private push(e: RawEvent): void {
    this.produced[e["detail-type"]] = (this.produced[e["detail-type"]] ?? 0) + 1;
    this.queue.push(e);
    if (this.random() < (this.options.duplicateRate ?? 0)) this.queue.push(structuredClone(e));
  }

  taskEvent(c: TaskChange): RawEvent {
    const detail = toEventShape(c.task) as Record<string, unknown>;
    for (const a of (detail.attachments as { type?: string }[] | undefined) ?? []) if (a.type === "ElasticNetworkInterface") a.type = "eni";
    const now = this.state.now().toISOString();
    detail.updatedAt = now;
    detail.version = c.version;
    return {
      version: "0",
      id: this.id(),
      "detail-type": "ECS Task State Change",
      source: "aws.ecs",
      account: this.state.accountId,
      time: now.replace(/\.\d{3}Z$/, "Z"),
      region: this.state.region,
      resources: [String(detail.taskArn)],
      detail,
    };
  }

  cloudMapEvent(c: CloudMapChange): RawEvent {
    const time = c.time.toISOString().replace(/\.\d{3}Z$/, "Z");
    let requestParameters: Record<string, unknown>;
    if (c.action === "RegisterInstance") {
      const attrs = this.state.cloudMap.service(c.serviceId).instances.get(c.instanceId ?? "")?.attributes ?? {};
      requestParameters = { serviceId: c.serviceId, instanceId: c.instanceId, creatorRequestId: `${c.instanceId}-${this.counter}`, attributes: { ...attrs } };
    } else if (c.action === "DeregisterInstance" || c.action === "UpdateInstanceCustomHealthStatus") {
      requestParameters = { serviceId: c.serviceId, instanceId: c.instanceId };
    } else if (c.action === "TagResource") {
      requestParameters = { resourceARN: c.serviceArn };
    } else {
      requestParameters = { id: c.serviceId };
    }
    return {
      version: "0",
      id: this.id(),
      "detail-type": "AWS API Call via CloudTrail",
      source: "aws.servicediscovery",
      account: this.state.accountId,
      time,
      region: this.state.region,
      resources: [],
      detail: {
        eventVersion: "1.08",
        userIdentity: { type: "AWSService", invokedBy: "ecs.amazonaws.com" },
        eventTime: time,
        eventSource: "servicediscovery.amazonaws.com",
        eventName: c.action,
        awsRegion: this.state.region,
        sourceIPAddress: "ecs.amazonaws.com",
        userAgent: "ecs.amazonaws.com",
        requestParameters,
        responseElements: c.action.endsWith("Instance") ? { operationId: `op-${this.counter}` } : null,
        requestID: this.id(),
        eventID: this.id(),
        eventType: "AwsApiCall",
        readOnly: false,
        managementEvent: true,
        recipientAccountId: this.state.accountId,
      },
    };
  }

  /** Events ready for delivery: those held back last time plus new ones (some now held). */
  drain(): RawEvent[] {
    const ready = [...this.held];
    this.held = [];
    for (const e of this.queue.splice(0)) {
      if (this.random() < (this.options.delayRate ?? 0)) this.held.push(e);
      else ready.push(e);
    }
    if (this.options.shuffle) {
      for (let i = ready.length - 1; i > 0; i--) {
        const j = Math.floor(this.random() * (i + 1));
        [ready[i], ready[j]] = [ready[j]!, ready[i]!];
      }
    }
    return ready;
  }

  /** Everything still queued or held, e.g. at the end of a test. */
  flush(): RawEvent[] {
    const all = [...this.held, ...this.queue.splice(0)];
    this.held = [];
    return all;
  }
}
