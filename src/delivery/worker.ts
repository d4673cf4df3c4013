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
}

/** Runs delivery jobs from the queue, and sweeps the database for work that no job announced. */
export class Worker {
  readonly #delivery: Delivery;
  readonly #store: Store;
  readonly #queue: Queue;
  readonly #sweepIntervalMs: number;
  #running: { readonly controller: AbortController; readonly listening: Promise<void>; readonly timer: NodeJS.Timeout } | undefined;
  #sweeping = false;

  constructor(delivery: Delivery, store: Store, queue: Queue, options: WorkerOptions = {}) {
    this.#delivery = delivery;
    this.#store = store;
    this.#queue = queue;
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 1000;
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

  /** Stops taking jobs and waits for the ones in flight to finish, so no claimed message is left half-sent. */
  async stop(): Promise<void> {
    const running = this.#running;
    if (!running) return;
    this.#running = undefined;
    clearInterval(running.timer);
    running.controller.abort();
    await running.listening;
    while (this.#sweeping) await new Promise((resolve) => setTimeout(resolve, 10));
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
