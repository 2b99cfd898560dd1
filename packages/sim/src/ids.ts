// Deterministic identifiers for the simulated account: a seeded id source (task ids,
// Cloud Map ids, EC2 ids), a seeded PRNG for fault injection, ARN builders and the
// IPv4 allocator that hands out task and container-instance addresses from `ipBase`.
import { createHash } from "node:crypto";

/** Thrown for invalid input to the simulator's own APIs (not an AWS error). */
export class SimError extends Error {
  override name = "SimError";
}

/** A stream of ids derived from (seed, kind, counter): same seed, same calls, same ids. */
export class IdSource {
  private readonly counters = new Map<string, number>();
  constructor(private readonly seed: string) {}

  private digest(kind: string): string {
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    return createHash("sha256").update(`${this.seed}/${kind}/${n}`).digest("hex");
  }

  /** 32 lowercase hex chars (ECS task and container-instance ids). */
  hex32(kind: string): string {
    return this.digest(kind).slice(0, 32);
  }

  /** `prefix` + 17 hex chars, as EC2 ids (`i-`, `eni-`, `subnet-`, `r-`). */
  ec2(prefix: string): string {
    return prefix + this.digest(prefix).slice(0, 17);
  }

  /** Cloud Map style id: `prefix` + 16 lowercase base-36 chars (`ns-`, `srv-`). */
  cloudMap(prefix: string): string {
    const hex = this.digest(prefix);
    let out = "";
    for (let i = 0; i < 16; i++) out += (parseInt(hex.slice(i * 2, i * 2 + 2), 16) % 36).toString(36);
    return prefix + out;
  }

  /** A UUID-shaped id (request ids, operation ids, ENI attachment ids). */
  uuid(kind: string): string {
    const h = this.digest(kind);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  }
}

/** sfc32 seeded from a string: a small, fast, deterministic PRNG in [0, 1). */
export function seededRandom(seed: string): () => number {
  const h = createHash("sha256").update(seed).digest();
  let a = h.readUInt32LE(0),
    b = h.readUInt32LE(4),
    c = h.readUInt32LE(8),
    d = h.readUInt32LE(12);
  return () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    const r = (t + d) | 0;
    c = (c + r) | 0;
    return (r >>> 0) / 4294967296;
  };
}

export function ipToInt(ip: string): number {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new SimError(`not an IPv4 address: ${JSON.stringify(ip)}`);
  }
  return (((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** Hands out consecutive addresses after `base`, skipping .0 and .255; never reuses one. */
export class IpAllocator {
  private next: number;
  constructor(base: string) {
    this.next = ipToInt(base);
  }
  allocate(): string {
    for (;;) {
      this.next += 1;
      if (this.next > 0xffffffff) throw new SimError("IPv4 address space exhausted");
      const last = this.next & 255;
      if (last !== 0 && last !== 255) return intToIp(this.next);
    }
  }
}

export interface ArnContext {
  region: string;
  accountId: string;
}

export const arns = {
  cluster: (c: ArnContext, name: string) => `arn:aws:ecs:${c.region}:${c.accountId}:cluster/${name}`,
  service: (c: ArnContext, cluster: string, name: string) => `arn:aws:ecs:${c.region}:${c.accountId}:service/${cluster}/${name}`,
  task: (c: ArnContext, cluster: string, id: string) => `arn:aws:ecs:${c.region}:${c.accountId}:task/${cluster}/${id}`,
  container: (c: ArnContext, cluster: string, id: string) => `arn:aws:ecs:${c.region}:${c.accountId}:container/${cluster}/${id}`,
  containerInstance: (c: ArnContext, cluster: string, id: string) => `arn:aws:ecs:${c.region}:${c.accountId}:container-instance/${cluster}/${id}`,
  taskDefinition: (c: ArnContext, family: string, revision: number) => `arn:aws:ecs:${c.region}:${c.accountId}:task-definition/${family}:${revision}`,
  namespace: (c: ArnContext, id: string) => `arn:aws:servicediscovery:${c.region}:${c.accountId}:namespace/${id}`,
  cloudMapService: (c: ArnContext, id: string) => `arn:aws:servicediscovery:${c.region}:${c.accountId}:service/${id}`,
  parameter: (c: ArnContext, name: string) => `arn:aws:ssm:${c.region}:${c.accountId}:parameter${name.startsWith("/") ? "" : "/"}${name}`,
  rdsInstance: (c: ArnContext, id: string) => `arn:aws:rds:${c.region}:${c.accountId}:db:${id}`,
  rdsCluster: (c: ArnContext, id: string) => `arn:aws:rds:${c.region}:${c.accountId}:cluster:${id}`,
  cacheCluster: (c: ArnContext, id: string) => `arn:aws:elasticache:${c.region}:${c.accountId}:cluster:${id}`,
};

/** The last path segment of an ARN (`.../cluster/NAME` -> NAME), or the input if not an ARN. */
export function arnTail(ref: string): string {
  if (!ref.startsWith("arn:")) return ref;
  const slash = ref.lastIndexOf("/");
  return slash >= 0 ? ref.slice(slash + 1) : ref;
}

/** The ECS deployment id (`ecs-svc/` + 19 digits) of a service at a task-definition revision. */
export function deploymentId(serviceArn: string, taskDefinitionArn: string): string {
  const h = createHash("sha256").update(`${serviceArn}|${taskDefinitionArn}`).digest();
  let digits = "";
  for (let i = 0; digits.length < 19; i++) digits += String(h[i]! % 10);
  return `ecs-svc/${digits}`;
}

/** A UUID-shaped id derived from `text` alone (stable across calls). */
export function uuidFrom(text: string): string {
  const h = createHash("sha256").update(text).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
