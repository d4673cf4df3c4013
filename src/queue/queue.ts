/** The Queue seam: jobs that wake workers, and optionally a publish/subscribe channel among processes. */
import type { EventBus } from '../vocabulary/inbox.ts';

/**
 * Work a worker does. The database holds the truth (issues and messages with their status); a job
 * only tells a worker where to look, so a lost job delays work but never loses it.
 */
export type QueueJob =
  /** Fan an issue out into messages. */
  | { readonly kind: 'issue'; readonly issueId: number }
  /** Send messages that are due. */
  | { readonly kind: 'send' };

/** Carries jobs from the processes that issue notifications to the workers. */
export interface Queue {
  /** Hands a job to some worker, now or after `delayMs`. */
  enqueue(job: QueueJob, options?: { readonly delayMs?: number }): Promise<void>;
  /** Runs `handler` for jobs until `signal` aborts; resolves once the in-flight handlers finished. */
  listen(handler: (job: QueueJob) => Promise<void>, options: { readonly signal: AbortSignal }): Promise<void>;
  /** Releases connections the queue opened. */
  close?(): Promise<void>;
  /**
   * A publish/subscribe channel among the processes sharing this queue (Redis pub/sub for BullMQ),
   * which the in-app inbox's event streams use when the database has none (SQLite). Optional.
   */
  eventBus?(channel: string): EventBus;
}
