// The one conditional-write loop of the store: run an attempt (read, change, write with
// If-Match); when the write lost a race (ConflictError), wait a random backoff and run the
// attempt again from its read, at most `maxAttempts` times. Any other error, and the last
// conflict, is thrown. One backoff for every conditional object (the document, the state,
// the forwarder's high-water marks): "full jitter" of AWS's backoff guidance, a random
// wait up to BASE_MS x 2^attempt, at most CAP_MS.
import { ConflictError } from "@scrape-reconciler/core";

export const CONFLICT_BACKOFF = { baseMs: 25, capMs: 1000 } as const;

export interface ConflictRetryOptions {
  /** Attempts including the first. */
  maxAttempts: number;
  /** Waits between attempts (injected so tests need not sleep). */
  sleep?: (ms: number) => Promise<void>;
}

export const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The wait after losing attempt `attempt` (1-based). */
export function conflictBackoffMs(attempt: number, random: () => number = Math.random): number {
  return Math.min(CONFLICT_BACKOFF.capMs, CONFLICT_BACKOFF.baseMs * 2 ** attempt) * random();
}

/** Runs `attempt(n)` for n = 1, 2, ... until it returns, retrying only a lost race. */
export async function retryOnConflict<T>(attempt: (n: number) => Promise<T>, options: ConflictRetryOptions): Promise<T> {
  const sleep = options.sleep ?? defaultSleep;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!(err instanceof ConflictError) || n >= options.maxAttempts) throw err;
      await sleep(conflictBackoffMs(n));
    }
  }
}
