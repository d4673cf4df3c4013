/** `vox/queue/bullmq`: the Queue seam on BullMQ and Redis, for workers in other processes. */
import { createRequire } from 'node:module';
import type * as BullMQ from 'bullmq';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { EventBus } from '../vocabulary/inbox.ts';
import type { Queue, QueueJob } from './queue.ts';
import { redisEventBus, type RedisConnection } from './redis-bus.ts';

/** Redis connection settings as BullMQ takes them (host, port, url, password, …), or an ioredis client. */
export type BullMQConnection = RedisConnection;

/** Options of {@link bullmq}. */
export interface BullMQQueueOptions {
  /** Redis: settings or an ioredis client (which BullMQ needs with `maxRetriesPerRequest: null`). */
  readonly connection: BullMQConnection;
  /** Queue name; processes sharing a name share work. @default 'vox' */
  readonly name?: string;
  /** Redis key prefix. @default BullMQ's `bull` */
  readonly prefix?: string;
  /** Jobs a worker process handles at once. @default 4 */
  readonly concurrency?: number;
}

/** The BullMQ queue seam, with BullMQ's own `Queue` for dashboards. */
export interface BullMQQueue extends Queue {
  /**
   * BullMQ's `Queue` that this adapter adds jobs to, opened on first use: hand it to a dashboard
   * such as bull-board (`new BullMQAdapter(queue.bullQueue())`) to watch the wake-ups. A job
   * there only says where to look; the state of delivery is in the database (see
   * `vox.issues.list` and `vox.messages.list`). `close()` closes it.
   */
  bullQueue(): BullMQ.Queue;
  /** Closes the workers and the BullMQ `Queue` it opened. */
  close(): Promise<void>;
  /** Redis pub/sub on the queue's Redis, under the queue's prefix and name (the in-app inbox's streams use it). */
  eventBus(channel: string): EventBus;
}

/**
 * The scale-out queue: BullMQ on Redis. Web processes enqueue; `vox worker` processes on any
 * number of machines take jobs. Redis only carries wake-ups: the issues and messages stay in the
 * database, so a Redis restart (even one that loses every job) loses no message; the workers'
 * sweep finds the work again.
 *
 * @example
 * // BullMQ's workers block on Redis, which needs `maxRetriesPerRequest: null` (an ioredis client you pass needs it too).
 * createVox({ database, backends, queue: bullmq({ connection: { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null } }) })
 */
export function bullmq(options: BullMQQueueOptions): BullMQQueue {
  let module: typeof BullMQ;
  try {
    // bullmq is an optional peer dependency, loaded only when this queue is used.
    module = createRequire(import.meta.url)('bullmq') as typeof BullMQ;
  } catch (cause) {
    throw new VoxError(ErrorCode.configuration, 'the BullMQ queue needs `bullmq` (and `ioredis`): npm install bullmq ioredis', { cause });
  }
  const name = options.name ?? 'vox';
  const base = {
    connection: options.connection as BullMQ.ConnectionOptions,
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
  };
  let producer: BullMQ.Queue | undefined;
  const workers = new Set<BullMQ.Worker>();
  const bullQueue = (): BullMQ.Queue => {
    if (!producer) {
      producer = new module.Queue(name, base);
      producer.on('error', () => {});
    }
    return producer;
  };

  return {
    bullQueue,
    eventBus: (channel) => redisEventBus(options.connection, `${options.prefix ?? 'bull'}:${name}:${channel}`),

    async enqueue(job: QueueJob, enqueueOptions = {}) {
      // One waiting job per issue, and one undelayed send job at a time: repeats add nothing.
      const jobId = job.kind === 'issue' ? `issue-${job.issueId}` : enqueueOptions.delayMs ? undefined : 'send';
      await bullQueue().add(job.kind, job, {
        ...(jobId === undefined ? {} : { jobId }),
        ...(enqueueOptions.delayMs ? { delay: enqueueOptions.delayMs } : {}),
        removeOnComplete: true,
        removeOnFail: true,
      });
    },

    async listen(handler, { signal }) {
      const worker = new module.Worker(name, async (job: BullMQ.Job<QueueJob>) => handler(job.data), {
        ...base,
        concurrency: options.concurrency ?? 4,
      });
      // Connection errors are retried by ioredis; the sweep covers jobs lost meanwhile.
      worker.on('error', () => {});
      workers.add(worker);
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await worker.close();
      workers.delete(worker);
    },

    async close() {
      await Promise.all([...workers].map((w) => w.close()));
      await producer?.close();
    },
  };
}
