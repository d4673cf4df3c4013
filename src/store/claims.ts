/** Workers taking messages to send: claims and their leases, sent records, shared send slots. */
import { sql, type Kysely, type Selectable } from 'kysely';
import { later, now, toClaimed, type ClaimedMessage, type Db } from './rows.ts';
import type { MessageTable, VoxDatabase } from './schema.ts';

/** Claims on messages: who sends what, until when. */
export class MessageClaims {
  readonly db: Kysely<VoxDatabase>;

  constructor(db: Kysely<VoxDatabase>) {
    this.db = db;
  }

  /**
   * Takes up to `limit` messages to send: queued or retrying ones that are due, and `sending` ones
   * whose worker's lease ran out (it crashed). Each taken message counts one attempt.
   */
  async takeDue(limit: number, leaseMs: number, dialect: 'sqlite' | 'postgres', db: Db = this.db): Promise<ClaimedMessage[]> {
    const timestamp = now();
    const lease = later(leaseMs);
    const claim = (qb: Db) =>
      qb
        .updateTable('vox_messages')
        .set((eb) => ({ status: 'sending', locked_until: lease, due_at: lease, attempts: eb('attempts', '+', 1), updated_at: timestamp }))
        .where('id', 'in', (eb) => {
          const due = eb.selectFrom('vox_messages').select('id').where('due_at', '<=', timestamp).orderBy('due_at').limit(limit);
          // PostgreSQL workers on several machines skip each other's rows instead of waiting.
          return dialect === 'postgres' ? due.forUpdate().skipLocked() : due;
        })
        .returningAll();
    if (dialect === 'sqlite') return (await this.#withBodies(await claim(db).execute(), db)).sort((a, b) => a.id - b.id);
    // PostgreSQL takes the rows and reads their bodies in one round trip.
    const rows = await db
      .with('claimed', (qb) => claim(qb as Db))
      .selectFrom('claimed')
      .leftJoin('vox_message_bodies as b', 'b.message_id', 'claimed.id')
      .selectAll('claimed')
      .select(['b.payload', 'b.render_context'])
      .orderBy('claimed.id')
      .execute();
    return rows.map(toClaimed);
  }

  /**
   * How many of the `scan` messages that have been due longest (of any backend) are `backend`'s:
   * a bounded look at how far sending lags behind, by the due-time index.
   */
  async dueOf(backend: string, scan: number, db: Db = this.db): Promise<number> {
    const row = await db
      .selectFrom((qb) => qb.selectFrom('vox_messages').select('backend').where('due_at', '<=', now()).orderBy('due_at').limit(scan).as('due'))
      .select((eb) => eb.fn.countAll().as('n'))
      .where('due.backend', '=', backend)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Takes failed messages for an immediate resend; ids that are not failed are left alone. */
  async takeFailed(ids: readonly number[], leaseMs: number, db: Db = this.db): Promise<ClaimedMessage[]> {
    if (ids.length === 0) return [];
    const rows = await db
      .updateTable('vox_messages')
      .set((eb) => {
        const lease = later(leaseMs);
        return { status: 'sending', locked_until: lease, due_at: lease, attempts: eb('attempts', '+', 1), updated_at: now() };
      })
      .where('id', 'in', [...ids])
      .where('status', '=', 'failed')
      .returningAll()
      .execute();
    return this.#withBodies(rows, db);
  }

  /**
   * Extends a claim that is still ours (its lease is the one we set); false when the lease ran out
   * and another worker took the message, which must then not be sent here.
   */
  async renewLease(id: number, lease: string, leaseMs: number, db: Db = this.db): Promise<string | undefined> {
    const next = later(leaseMs);
    const result = await db
      .updateTable('vox_messages')
      .set({ locked_until: next, due_at: next })
      .where('id', '=', id)
      .where('status', '=', 'sending')
      .where('locked_until', '=', lease)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1 ? next : undefined;
  }

  /** Records sent messages, with each one's provider id, in one statement. */
  async markSent(messages: readonly { readonly id: number; readonly providerMessageId: string | null }[], db: Db = this.db): Promise<void> {
    if (messages.length === 0) return;
    const timestamp = now();
    const providerIds = sql<string | null>`case ${sql.join(messages.map((m) => sql`when id = ${m.id} then ${m.providerMessageId}`), sql` `)} else null end`;
    await db
      .updateTable('vox_messages')
      .set({ status: 'sent', error: null, error_code: null, permanent: 0, provider_message_id: providerIds, sent_at: timestamp, locked_until: null, next_attempt_at: null, due_at: null, updated_at: timestamp })
      .where('id', 'in', messages.map((m) => m.id))
      .execute();
  }

  /** Whether any message is waiting to be sent now. */
  async hasDue(db: Db = this.db): Promise<boolean> {
    return (await db.selectFrom('vox_messages').select('id').where('due_at', '<=', now()).limit(1).executeTakeFirst()) !== undefined;
  }

  /**
   * Takes the next start time of `backend`'s sends, for all workers on this database: the later of
   * `nowMs` and the time taken last, after which the next taker waits `intervalMs` more. One
   * atomic statement, so that workers racing for it get one slot each.
   */
  async takeSendSlot(backend: string, nowMs: number, intervalMs: number, db: Db = this.db): Promise<number> {
    const row = await db
      .insertInto('vox_rate_limits')
      .values({ backend, next_start_ms: nowMs + intervalMs })
      .onConflict((oc) =>
        oc.column('backend').doUpdateSet((eb) => ({
          next_start_ms: sql<number>`case when ${eb.ref('vox_rate_limits.next_start_ms')} > ${nowMs} then ${eb.ref('vox_rate_limits.next_start_ms')} else ${nowMs} end + ${intervalMs}`,
        })),
      )
      .returning('next_start_ms')
      .executeTakeFirstOrThrow();
    return Number(row.next_start_ms) - intervalMs;
  }

  /** Claimed rows with their bodies, read in one query. */
  async #withBodies(rows: readonly Selectable<MessageTable>[], db: Db): Promise<ClaimedMessage[]> {
    if (rows.length === 0) return [];
    const bodies = await db
      .selectFrom('vox_message_bodies')
      .selectAll()
      .where('message_id', 'in', rows.map((r) => r.id))
      .execute();
    const byId = new Map(bodies.map((b) => [b.message_id, b]));
    return rows.map((row) => toClaimed({ ...row, payload: byId.get(row.id)?.payload ?? null, render_context: byId.get(row.id)?.render_context ?? null }));
  }
}
