/** The embedded default queue: jobs handed to this process's worker, with delays. */
import type { Queue, QueueJob } from './queue.ts';

/** Options of {@link InProcessQueue}. */
export interface InProcessQueueOptions {
  /** Jobs handled at once. @default 2 */
  readonly concurrency?: number;
}

/**
 * The embedded queue: jobs live in memory, in this process. Nothing is lost when the process
 * stops, because the worker's sweep finds unfinished issues and due messages in the database.
 */
export class InProcessQueue implements Queue {
  readonly #jobs: QueueJob[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #concurrency: number;
  readonly #idle = new Set<() => void>();

  constructor(options: InProcessQueueOptions = {}) {
    this.#concurrency = Math.max(1, options.concurrency ?? 2);
  }

  async enqueue(job: QueueJob, options: { readonly delayMs?: number } = {}): Promise<void> {
    if (options.delayMs && options.delayMs > 0) {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#push(job);
      }, options.delayMs);
      timer.unref();
      this.#timers.add(timer);
      return;
    }
    this.#push(job);
  }

  async listen(handler: (job: QueueJob) => Promise<void>, options: { readonly signal: AbortSignal }): Promise<void> {
    const { signal } = options;
    const onAbort = () => {
      for (const wake of this.#idle) wake();
      this.#idle.clear();
    };
    signal.addEventListener('abort', onAbort);
    const run = async () => {
      while (!signal.aborted) {
        const job = this.#jobs.shift();
        if (!job) {
          await new Promise<void>((resolve) => {
            if (signal.aborted) resolve();
            else this.#idle.add(resolve);
          });
          continue;
        }
        await handler(job);
      }
    };
    try {
      await Promise.all(Array.from({ length: this.#concurrency }, run));
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #push(job: QueueJob): void {
    // A job already waiting does the same work: sends are collapsed, so are repeats of one issue.
    if (!this.#jobs.some((j) => j.kind === job.kind && (j.kind === 'send' || (job.kind === 'issue' && j.issueId === job.issueId)))) {
      this.#jobs.push(job);
    }
    const [wake] = this.#idle;
    if (wake) {
      this.#idle.delete(wake);
      wake();
    }
  }
}
