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

type Answer = [code: string, status: number];

/**
 * What each protocol answers for a generic fault name: awsJson (Cloud Map, ECS, SSM,
 * CloudWatch), S3, EC2 and awsQuery (RDS, ElastiCache, STS). A name a protocol has no
 * entry for is answered as itself, HTTP 400.
 */
const FAULTS: Record<string, Partial<Record<WireProtocol, Answer>>> = {
  ThrottlingException: { json: ["ThrottlingException", 400], s3: ["SlowDown", 503], ec2: ["RequestLimitExceeded", 503], query: ["Throttling", 400] },
  RequestLimitExceeded: { json: ["RequestLimitExceeded", 400], s3: ["SlowDown", 503], ec2: ["RequestLimitExceeded", 503], query: ["Throttling", 400] },
  TooManyRequestsException: { json: ["TooManyRequestsException", 400] },
  ThrottledException: { json: ["ThrottlingException", 400] },
  SlowDown: { s3: ["SlowDown", 503] },
  InternalFailure: { json: ["InternalFailure", 500], s3: ["InternalError", 500], ec2: ["InternalError", 500], query: ["InternalError", 500] },
  InternalError: { s3: ["InternalError", 500], ec2: ["InternalError", 500], query: ["InternalError", 500] },
  InternalServerError: { json: ["InternalServerError", 500] },
  ServerException: { json: ["ServerException", 500] },
  ServiceUnavailable: { json: ["ServiceUnavailable", 503], s3: ["ServiceUnavailable", 503], ec2: ["Unavailable", 503], query: ["ServiceUnavailable", 503] },
  AccessDeniedException: { json: ["AccessDeniedException", 400], s3: ["AccessDenied", 403], ec2: ["UnauthorizedOperation", 403], query: ["AccessDenied", 403] },
  AccessDenied: { s3: ["AccessDenied", 403] },
  UnauthorizedOperation: { ec2: ["UnauthorizedOperation", 403], query: ["AccessDenied", 403] },
  ConditionalRequestConflict: { s3: ["ConditionalRequestConflict", 409] },
  ExpiredToken: { json: ["ExpiredTokenException", 400], s3: ["ExpiredToken", 400], query: ["ExpiredToken", 400] },
  PreconditionFailed: { s3: ["PreconditionFailed", 412] },
};

/** Turns a fault name into the error a real service of this protocol would answer. */
export function faultError(protocol: WireProtocol, name: string, ctx: { accountId: string; iamAction: string }): AwsError {
  const [code, status] = FAULTS[name]?.[protocol] ?? [name, 400];
  const denied = /AccessDenied|Unauthorized/.test(code);
  const message = denied
    ? `User: arn:aws:sts::${ctx.accountId}:assumed-role/simulated/session is not authorized to perform: ${ctx.iamAction} because no identity-based policy allows the ${ctx.iamAction} action`
    : /Throttl|SlowDown|LimitExceeded|TooMany/.test(code)
      ? "Rate exceeded"
      : /^ExpiredToken/.test(code)
        ? "The security token included in the request is expired"
        : code === "ConditionalRequestConflict"
          ? "A conflicting operation occurred. If using PutObject you can retry the request."
          : `Injected fault: ${code}`;
  return new AwsError(code, message, status);
}
