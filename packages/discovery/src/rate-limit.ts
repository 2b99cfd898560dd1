// Client-side token buckets matching the throttle buckets AWS documents for the ECS calls
// discovery makes in bulk (DescribeTasks: 100 burst, 20/s; DescribeTaskDefinition: 50
// burst, 20/s), so a large account is read at the rate AWS allows instead of being
// throttled and retried. Written here rather than taken from a package: it is 30 lines,
// takes an injectable clock for tests, and keeps the Lambda bundle free of another dep.

export interface BucketSpec {
  capacity: number;
  refillPerSecond: number;
}

export const ECS_BUCKETS = {
  describeTasks: { capacity: 100, refillPerSecond: 20 },
  describeTaskDefinition: { capacity: 50, refillPerSecond: 20 },
} as const satisfies Record<string, BucketSpec>;

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly spec: BucketSpec,
    private readonly now: () => number = () => Date.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.tokens = spec.capacity;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.spec.capacity, this.tokens + ((t - this.last) / 1000) * this.spec.refillPerSecond);
    this.last = t;
  }

  /** Waits until a token is available and takes it. */
  async take(): Promise<void> {
    for (;;) {
      this.refill();
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.sleep(Math.ceil(((1 - this.tokens) / this.spec.refillPerSecond) * 1000));
    }
  }
}
