/** How failed sends are retried. Transient failures retry with exponential backoff and jitter. */
export interface RetryPolicy {
  /** Most attempts per message, the first included. @default 6 */
  readonly attempts?: number;
  /** Delay before the first retry, in milliseconds. @default 5000 */
  readonly initialDelayMs?: number;
  /** Each retry waits this many times longer than the one before. @default 3 */
  readonly factor?: number;
  /** Longest delay between two attempts, in milliseconds. @default 3600000 (one hour) */
  readonly maxDelayMs?: number;
  /** Share of each delay drawn at random, so that retries of many messages spread out. @default 0.2 */
  readonly jitter?: number;
}

const DEFAULTS: Required<RetryPolicy> = { attempts: 6, initialDelayMs: 5_000, factor: 3, maxDelayMs: 3_600_000, jitter: 0.2 };

/** A policy with its defaults filled in. */
export function retryPolicy(policy: RetryPolicy = {}): Required<RetryPolicy> {
  return { ...DEFAULTS, ...policy };
}

/**
 * What to do after a failed attempt: retry after `delayMs`, or give up. A pure function of the
 * attempt number, the failure's permanence and a random number in [0, 1).
 */
export function nextAttempt(
  policy: Required<RetryPolicy>,
  attempt: number,
  permanent: boolean,
  random: number,
): { readonly retry: false } | { readonly retry: true; readonly delayMs: number } {
  if (permanent || attempt >= policy.attempts) return { retry: false };
  const base = Math.min(policy.initialDelayMs * policy.factor ** (attempt - 1), policy.maxDelayMs);
  const spread = base * policy.jitter;
  return { retry: true, delayMs: Math.round(base - spread + 2 * spread * random) };
}
