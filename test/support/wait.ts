/**
 * Waiting for what a test expects to become true, with a deadline, instead of sleeping a fixed time
 * and then counting: on a loaded machine a fixed sleep is either too short (the test fails though
 * the code is right) or too long (the suite crawls).
 */

/** What a condition returns when it holds. */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/** Options of {@link waitFor}. */
export interface WaitOptions {
  /** How long to wait before failing. @default 10000 */
  readonly timeoutMs?: number;
  /** What is awaited, for the error message. */
  readonly what?: string;
  /** Milliseconds between two looks. @default 20 */
  readonly intervalMs?: number;
}

/**
 * Resolves with the first truthy value `condition` returns; rejects once `timeoutMs` has passed
 * without one (or with the condition's own error, if it throws).
 */
export async function waitFor<T>(condition: () => T | Promise<T>, options: WaitOptions = {}): Promise<Truthy<T>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what ?? 'a condition'}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
}

/**
 * `promise`, or a rejection once `timeoutMs` has passed: for waits that have no deadline of their
 * own (`settled()` waits forever), so that a regression fails with what was awaited rather than
 * at the test runner's timeout.
 */
export async function withDeadline<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
