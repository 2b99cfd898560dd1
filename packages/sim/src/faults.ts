// Fault injection: errors at a seeded random rate (optionally limited to some services
// or operations), deterministic denials per operation, and one-shot queued faults;
// plus the translation of a generic fault name into each protocol's error code/status.
import { AwsError } from "./errors";
import { SimError, seededRandom } from "./ids";
import type { WireProtocol } from "./services/types";

export interface QueuedFault {
  /** `service:Operation`, e.g. `s3:PutObject`. */
  operation: string;
  error: string;
  /** How many calls fail (default 1). */
  count?: number;
}

export interface FaultConfig {
  /** Probability in [0, 1] that a matching call fails. */
  rate?: number;
  /** Error names drawn from at random (default ["ThrottlingException"]). */
  errors?: string[];
  /** Limit rate faults to these operations (`service:Operation` or `Operation`). */
  operations?: string[];
  /** Limit rate faults to these services (`ecs`, `servicediscovery`, ...). */
  services?: string[];
  /** Always fail these operations (`service:Operation` or `service:*`) with the given error. */
  deny?: Record<string, string>;
  /** Fail the next calls of an operation, in order. */
  next?: QueuedFault[];
}

export class FaultInjector {
  private config: FaultConfig | null = null;
  private queue: { operation: string; error: string; left: number }[] = [];
  private random: () => number;

  constructor(private readonly seed: string) {
    this.random = seededRandom(`${seed}/faults`);
  }

  /** Replaces the fault configuration (null clears it) and reseeds the PRNG. */
  set(config: FaultConfig | null): void {
    if (config?.rate !== undefined && !(config.rate >= 0 && config.rate <= 1)) throw new SimError(`fault rate must be within [0, 1], got ${config.rate}`);
    if (config?.errors !== undefined && config.errors.length === 0) throw new SimError("fault errors must not be empty");
    this.config = config;
    this.queue = (config?.next ?? []).map((q) => ({ operation: q.operation, error: q.error, left: q.count ?? 1 }));
    this.random = seededRandom(`${this.seed}/faults`);
  }

  /** The error to fail this call with, or undefined to let it through. */
  pick(service: string, operation: string): { error: string; kind: "deny" | "queued" | "rate" } | undefined {
    const c = this.config;
    if (!c) return undefined;
    const key = `${service}:${operation}`;
    const denied = c.deny?.[key] ?? c.deny?.[`${service}:*`];
    if (denied) return { error: denied, kind: "deny" };
    const q = this.queue.find((x) => x.operation === key && x.left > 0);
    if (q) {
      q.left -= 1;
      return { error: q.error, kind: "queued" };
    }
    if (!c.rate) return undefined;
    if (c.services && !c.services.includes(service)) return undefined;
    if (c.operations && !c.operations.includes(key) && !c.operations.includes(operation)) return undefined;
    if (this.random() >= c.rate) return undefined;
    const errors = c.errors ?? ["ThrottlingException"];
    return { error: errors[Math.floor(this.random() * errors.length)]!, kind: "rate" };
  }
}

type Mapping = Record<string, [code: string, status: number]>;

const JSON_FAULTS: Mapping = {
  ThrottlingException: ["ThrottlingException", 400],
  RequestLimitExceeded: ["RequestLimitExceeded", 400],
  TooManyRequestsException: ["TooManyRequestsException", 400],
  ThrottledException: ["ThrottlingException", 400],
  InternalFailure: ["InternalFailure", 500],
  InternalServerError: ["InternalServerError", 500],
  ServerException: ["ServerException", 500],
  ServiceUnavailable: ["ServiceUnavailable", 503],
  AccessDeniedException: ["AccessDeniedException", 400],
};

const S3_FAULTS: Mapping = {
  ThrottlingException: ["SlowDown", 503],
  RequestLimitExceeded: ["SlowDown", 503],
  SlowDown: ["SlowDown", 503],
  InternalFailure: ["InternalError", 500],
  InternalError: ["InternalError", 500],
  ServiceUnavailable: ["ServiceUnavailable", 503],
  AccessDeniedException: ["AccessDenied", 403],
  AccessDenied: ["AccessDenied", 403],
  ConditionalRequestConflict: ["ConditionalRequestConflict", 409],
  PreconditionFailed: ["PreconditionFailed", 412],
};

const EC2_FAULTS: Mapping = {
  ThrottlingException: ["RequestLimitExceeded", 503],
  RequestLimitExceeded: ["RequestLimitExceeded", 503],
  InternalFailure: ["InternalError", 500],
  InternalError: ["InternalError", 500],
  ServiceUnavailable: ["Unavailable", 503],
  AccessDeniedException: ["UnauthorizedOperation", 403],
  UnauthorizedOperation: ["UnauthorizedOperation", 403],
};

const TABLES: Record<WireProtocol, Mapping> = { json: JSON_FAULTS, s3: S3_FAULTS, ec2: EC2_FAULTS };

/** Turns a fault name into the error a real service of this protocol would answer. */
export function faultError(protocol: WireProtocol, name: string, ctx: { accountId: string; iamAction: string }): AwsError {
  const [code, status] = TABLES[protocol][name] ?? [name, 400];
  const denied = /AccessDenied|Unauthorized/.test(code);
  const message = denied
    ? `User: arn:aws:sts::${ctx.accountId}:assumed-role/simulated/session is not authorized to perform: ${ctx.iamAction} because no identity-based policy allows the ${ctx.iamAction} action`
    : /Throttl|SlowDown|LimitExceeded|TooMany/.test(code)
      ? "Rate exceeded"
      : code === "ConditionalRequestConflict"
        ? "A conflicting operation occurred. If using PutObject you can retry the request."
        : `Injected fault: ${code}`;
  return new AwsError(code, message, status);
}
