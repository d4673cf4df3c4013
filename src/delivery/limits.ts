import { shareTheLoop } from './turns.ts';

/** Per-backend throughput: at most `concurrency` sends at once, and at most `ratePerSecond` started per second. */
export interface BackendLimits {
  /** Sends in flight at once, in each worker process. @default 8 */
  readonly concurrency?: number;
  /**
   * Sends started per second, by all workers on the database together: SMS providers allow only
   * a few per account. @default unlimited
   */
  readonly ratePerSecond?: number;
}

/**
 * Where a throttle takes its start times: `take(nowMs, intervalMs)` returns when the caller may
 * start, and moves the next start `intervalMs` later. Shared through the database, so that all
 * workers together keep the rate.
 */
export type SendSlots = (nowMs: number, intervalMs: number) => Promise<number>;

/** Holds a send back until the backend's limits allow it. */
export class Throttle {
  readonly #concurrency: number;
  readonly #interval: number;
  readonly #slots: SendSlots | undefined;
  #active = 0;
  /** Start times taken in this process alone, when the shared ones cannot be had. */
  #nextStart = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limits: BackendLimits = {}, slots?: SendSlots) {
    this.#concurrency = Math.max(1, limits.concurrency ?? 8);
    // Whole milliseconds: start times are stored as integers.
    this.#interval = limits.ratePerSecond ? Math.ceil(1000 / limits.ratePerSecond) : 0;
    this.#slots = slots;
  }

  /** Runs `work` within the limits. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#concurrency) {
      // The send that ends hands its place over (it stays counted), so nothing starts in between.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
      // Resumed inside that send's answer: starting this one (which builds its message) waits for
      // a turn of the loop once a slice is used up, so that answers arriving together do not start
      // their successors in one long stretch.
      await shareTheLoop();
    } else {
      this.#active++;
    }
    try {
      if (this.#interval > 0) {
        const now = Date.now();
        const start = await this.#take(now);
        if (start > now) await new Promise((resolve) => setTimeout(resolve, start - now));
      }
      return await work();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    }
  }

  async #take(now: number): Promise<number> {
    if (this.#slots) {
      try {
        return await this.#slots(now, this.#interval);
      } catch {
        // The database is out of reach for a moment: keep this process's own pace meanwhile.
      }
    }
    const start = Math.max(now, this.#nextStart);
    this.#nextStart = start + this.#interval;
    return start;
  }
}
