/** Fedify's message queue on Vox's database, so outgoing activities survive a restart. */
import { EventEmitter } from 'node:events';
import type { ExpressionBuilder, Kysely } from 'kysely';
import type { SqlDialectName } from '../vocabulary/database.ts';
import type { ActivityDatabase } from './schema.ts';

/** The slice of a `Temporal.Duration` the queue reads. */
interface DurationLike {
  total(unit: 'millisecond'): number;
}

/** Options of {@link SqlMessageQueue}. */
export interface SqlMessageQueueOptions {
  /** How often an idle listener looks for messages enqueued by other processes. @default 1000 */
  readonly pollIntervalMs?: number;
  /** How long a listener may hold a message before others take it to be lost. @default 300000 */
  readonly leaseMs?: number;
}

/** Attempts at a message whose handler throws (Fedify retries failed deliveries itself). */
const MAX_ATTEMPTS = 5;

/**
 * Fedify's `MessageQueue` over Vox's database (table `vox_activity_queue`): outgoing deliveries,
 * their retries and incoming activities wait in the database, so a restart or a crash loses
 * none, and any process of the app may take them. Messages with an ordering key are processed
 * one at a time by each listener, which keeps them in order within a process.
 */
export class SqlMessageQueue {
  /** Fedify schedules retries itself. */
  readonly nativeRetrial = false;
  readonly #db: Kysely<ActivityDatabase>;
  readonly #dialect: SqlDialectName;
  readonly #pollIntervalMs: number;
  readonly #leaseMs: number;
  readonly #wake = new EventEmitter();

  constructor(db: Kysely<ActivityDatabase>, dialect: SqlDialectName, options: SqlMessageQueueOptions = {}) {
    this.#db = db;
    this.#dialect = dialect;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#leaseMs = options.leaseMs ?? 300_000;
    this.#wake.setMaxListeners(0);
  }

  enqueue(message: unknown, options?: { readonly delay?: DurationLike }): Promise<void> {
    return this.enqueueMany([message], options);
  }

  async enqueueMany(messages: readonly unknown[], options?: { readonly delay?: DurationLike }): Promise<void> {
    if (messages.length === 0) return;
    const delayMs = Math.max(options?.delay?.total('millisecond') ?? 0, 0);
    const createdAt = new Date().toISOString();
    const readyAt = new Date(Date.now() + delayMs).toISOString();
    await this.#db
      .insertInto('vox_activity_queue')
      .values(messages.map((message) => ({ message: JSON.stringify(message), ready_at: readyAt, locked_until: null, attempts: 0, created_at: createdAt })))
      .execute();
    if (delayMs === 0) this.#wake.emit('wake');
    else setTimeout(() => this.#wake.emit('wake'), delayMs).unref();
  }

  async listen(handler: (message: unknown) => Promise<void> | void, options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    const { signal } = options;
    while (!signal?.aborted) {
      const job = await this.#claim();
      if (!job) {
        await this.#idle(signal);
        continue;
      }
      try {
        await handler(JSON.parse(job.message));
        await this.#db.deleteFrom('vox_activity_queue').where('id', '=', job.id).execute();
      } catch {
        if (job.attempts >= MAX_ATTEMPTS) {
          await this.#db.deleteFrom('vox_activity_queue').where('id', '=', job.id).execute();
        } else {
          const readyAt = new Date(Date.now() + 1000 * 2 ** job.attempts).toISOString();
          await this.#db.updateTable('vox_activity_queue').set({ ready_at: readyAt, locked_until: null }).where('id', '=', job.id).execute();
        }
      }
    }
  }

  async getDepth(): Promise<{ queued: number; ready: number; delayed: number }> {
    const timestamp = new Date().toISOString();
    const rows = await this.#db.selectFrom('vox_activity_queue').select('ready_at').execute();
    const ready = rows.filter((r) => r.ready_at <= timestamp).length;
    return { queued: rows.length, ready, delayed: rows.length - ready };
  }

  async #claim(): Promise<{ id: number; message: string; attempts: number } | undefined> {
    const timestamp = new Date().toISOString();
    const available = (eb: ExpressionBuilder<ActivityDatabase, 'vox_activity_queue'>) =>
      eb.and([eb('ready_at', '<=', timestamp), eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', timestamp)])]);
    const [row] = await this.#db
      .updateTable('vox_activity_queue')
      .set((eb) => ({ locked_until: new Date(Date.now() + this.#leaseMs).toISOString(), attempts: eb('attempts', '+', 1) }))
      .where('id', 'in', (eb) => {
        const next = eb.selectFrom('vox_activity_queue').select('id').where(available).orderBy('id').limit(1);
        return this.#dialect === 'postgres' ? next.forUpdate().skipLocked() : next;
      })
      // Checked again on the row itself, so that two listeners never both take it.
      .where(available)
      .returning(['id', 'message', 'attempts'])
      .execute();
    return row;
  }

  #idle(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake.off('wake', done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, this.#pollIntervalMs);
      timer.unref();
      this.#wake.on('wake', done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
