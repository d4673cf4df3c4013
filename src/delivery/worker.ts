/** The worker: runs delivery jobs from the queue and sweeps the database for work no job announced. */
import type { Queue, QueueJob } from '../queue/queue.ts';
import type { Store } from '../store/store.ts';
import type { Delivery } from './delivery.ts';

/** Options of the worker that fans issues out and sends messages. */
export interface WorkerOptions {
  /**
   * How often the worker looks in the database for work no job announced: issues committed in a
   * caller's transaction, retries that are due, work of a worker that died. @default 1000
   */
  readonly sweepIntervalMs?: number;
  /**
   * How long stopping (`vox.stop()`, `vox.close()`, `vox worker` on SIGTERM) waits for the jobs in
   * flight. Past it, the worker stops all the same and leaves them: their messages stay `sending`
   * until their lease runs out, and then a worker sends them again. @default 30000
   */
  readonly shutdownTimeoutMs?: number;
}

/** Runs delivery jobs from the queue, and sweeps the database for work that no job announced. */
export class Worker {
  readonly #delivery: Delivery;
  readonly #store: Store;
  readonly #queue: Queue;
  readonly #sweepIntervalMs: number;
  readonly #shutdownTimeoutMs: number;
  #running: { readonly controller: AbortController; readonly listening: Promise<void>; readonly timer: NodeJS.Timeout } | undefined;
  #sweeping = false;

  constructor(delivery: Delivery, store: Store, queue: Queue, options: WorkerOptions = {}) {
    this.#delivery = delivery;
    this.#store = store;
    this.#queue = queue;
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 1000;
    this.#shutdownTimeoutMs = options.shutdownTimeoutMs ?? 30_000;
  }

  get running(): boolean {
    return this.#running !== undefined;
  }

  /** Starts taking jobs. Idempotent. */
  start(): void {
    if (this.#running) return;
    const controller = new AbortController();
    const listening = this.#queue.listen((job) => this.#handle(job, controller.signal), { signal: controller.signal });
    const timer = setInterval(() => void this.sweep(), this.#sweepIntervalMs);
    timer.unref();
    this.#running = { controller, listening, timer };
    void this.sweep();
  }

  /**
   * Stops taking jobs and waits for the ones in flight to finish, so that no claimed message is
   * left half-sent; but no longer than `shutdownTimeoutMs`. Resolves to whether they finished.
   */
  async stop(): Promise<boolean> {
    const running = this.#running;
    if (!running) return true;
    this.#running = undefined;
    clearInterval(running.timer);
    running.controller.abort();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.#shutdownTimeoutMs);
    });
    const finished = async () => {
      await running.listening;
      while (this.#sweeping) await new Promise((resolve) => setTimeout(resolve, 10));
      return true;
    };
    try {
      return await Promise.race([finished(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Finds unannounced work in the database and queues it. */
  async sweep(): Promise<void> {
    if (this.#sweeping || !this.#running) return;
    this.#sweeping = true;
    try {
      this.#delivery.pruneLiveObjects();
      for (const issueId of await this.#store.issues.dueForFanOut(100)) await this.#queue.enqueue({ kind: 'issue', issueId });
      if (await this.#store.claims.hasDue()) await this.#queue.enqueue({ kind: 'send' });
    } catch {
      // The database may be briefly unreachable; the next sweep tries again.
    } finally {
      this.#sweeping = false;
    }
  }

  async #handle(job: QueueJob, signal: AbortSignal): Promise<void> {
    try {
      if (job.kind === 'issue') {
        await this.#delivery.fanOut(job.issueId);
        return;
      }
      await this.#delivery.sendDue(() => signal.aborted);
    } catch {
      // Failures of single messages are in the log already; anything else is found again by the sweep.
    }
  }
}
