/** The worker: runs delivery jobs from the queue and sweeps the database for work no job announced. */
import type { Queue, QueueJob } from '../queue/queue.ts';
import { silentLogger, type Logger } from '../vocabulary/logger.ts';
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

/** How long the sweep waits for the queue to take a job before it takes the queue to be down. */
const ENQUEUE_TIMEOUT_MS = 2000;

/** Runs delivery jobs from the queue, and sweeps the database for work that no job announced. */
export class Worker {
  readonly #delivery: Delivery;
  readonly #store: Store;
  readonly #queue: Queue;
  readonly #sweepIntervalMs: number;
  readonly #shutdownTimeoutMs: number;
  readonly #logger: Logger;
  /** Set while the queue cannot be reached; the sweep then does the work itself. */
  #queueDown = false;
  #running: { readonly controller: AbortController; readonly listening: Promise<void>; readonly timer: NodeJS.Timeout } | undefined;
  #sweeping = false;
  /** Set while due digests are being closed. */
  #closing = false;

  constructor(delivery: Delivery, store: Store, queue: Queue, options: WorkerOptions = {}, logger: Logger = silentLogger) {
    this.#delivery = delivery;
    this.#store = store;
    this.#queue = queue;
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 1000;
    this.#shutdownTimeoutMs = options.shutdownTimeoutMs ?? 30_000;
    this.#logger = logger;
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
      while (this.#sweeping || this.#closing) await new Promise((resolve) => setTimeout(resolve, 10));
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
    const running = this.#running;
    if (this.#sweeping || !running) return;
    this.#sweeping = true;
    try {
      this.#delivery.pruneLiveObjects();
      const jobs: QueueJob[] = (await this.#store.issues.dueForFanOut(100)).map((issueId) => ({ kind: 'issue', issueId }));
      if (await this.#store.claims.hasDue()) jobs.push({ kind: 'send' });
      if (!this.#closing && (await this.#store.digests.hasDue())) void this.#closeDigests(running.controller.signal);
      let reachable = true;
      for (const job of jobs) {
        reachable &&= await this.#announce(job);
        // The database holds the work: while the queue is down, the sweep delivers it itself.
        if (!reachable && !running.controller.signal.aborted) await this.#handle(job, running.controller.signal);
      }
    } catch {
      // The database may be briefly unreachable; the next sweep tries again.
    } finally {
      this.#sweeping = false;
    }
  }

  /** Closes due digests in the background of the sweep, one round at a time. */
  async #closeDigests(signal: AbortSignal): Promise<void> {
    this.#closing = true;
    try {
      await this.#delivery.closeDigests(() => signal.aborted);
    } catch {
      // A digest left claimed is taken again once its lease runs out.
    } finally {
      this.#closing = false;
    }
  }

  /**
   * Hands a job to the queue. False when the queue cannot be reached: it fails, or does not answer
   * in time (a Redis client may hold commands while it reconnects). Says so once, and once more
   * when the queue is back.
   */
  async #announce(job: QueueJob): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the queue did not answer within ${ENQUEUE_TIMEOUT_MS} ms`)), ENQUEUE_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.#queue.enqueue(job), late]);
      if (this.#queueDown) this.#logger.info({}, 'vox: the queue is reachable again; the worker takes its jobs from it');
      this.#queueDown = false;
      return true;
    } catch (error) {
      if (!this.#queueDown) this.#logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'vox: the queue cannot be reached; the worker delivers from its database sweep until it is back');
      this.#queueDown = true;
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async #handle(job: QueueJob, signal: AbortSignal): Promise<void> {
    try {
      if (job.kind === 'issue') {
        await this.#delivery.fanOut(job.issueId, () => signal.aborted);
        return;
      }
      await this.#delivery.sendDue(() => signal.aborted);
    } catch {
      // Failures of single messages are in the log already; anything else is found again by the sweep.
    }
  }
}
