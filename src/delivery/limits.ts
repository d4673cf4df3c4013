/** Per-backend throughput: at most `concurrency` sends at once, and at most `ratePerSecond` started per second. */
export interface BackendLimits {
  /** Sends in flight at once. @default 8 */
  readonly concurrency?: number;
  /** Sends started per second; SMS providers allow only a few. @default unlimited */
  readonly ratePerSecond?: number;
}

/** Holds a send back until the backend's limits allow it. */
export class Throttle {
  readonly #concurrency: number;
  readonly #interval: number;
  #active = 0;
  #nextStart = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limits: BackendLimits = {}) {
    this.#concurrency = Math.max(1, limits.concurrency ?? 8);
    this.#interval = limits.ratePerSecond ? 1000 / limits.ratePerSecond : 0;
  }

  /** Runs `work` within the limits. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#concurrency) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#active++;
    try {
      if (this.#interval > 0) {
        const now = Date.now();
        const start = Math.max(now, this.#nextStart);
        this.#nextStart = start + this.#interval;
        if (start > now) await new Promise((resolve) => setTimeout(resolve, start - now));
      }
      return await work();
    } finally {
      this.#active--;
      this.#waiting.shift()?.();
    }
  }
}
