/** Digests as stored: events joining a recipient's open digest by upsert, due digests claimed by one worker, their events read back. */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Contact } from '../vocabulary/contact.ts';
import type { SqlDialectName } from '../vocabulary/database.ts';
import { later, now, type Db } from './rows.ts';
import type { DigestTable, VoxDatabase } from './schema.ts';

/** One event for one recipient's digest, from a fan-out. */
export interface DigestEvent {
  readonly templateId: number;
  readonly notification: string;
  readonly address: string;
  readonly digestKey: string;
  readonly contact: Contact;
  /** The recipient's own template variables (`recipient`, `contact`). */
  readonly recipient: unknown;
  readonly issueId: number;
  /** Unique per issue, template, address and key. */
  readonly eventKey: string;
}

/** How the digests of one template gather and close. */
export interface DigestTiming {
  readonly window: number;
  readonly mode: 'fixed' | 'sliding';
  readonly maxWait: number;
  readonly maxItems: number | null;
}

/** A digest a worker has taken to close. */
export type ClaimedDigest = Selectable<DigestTable>;

/** An event of a digest with what its issue recorded of its objects. */
export interface DigestItemRow {
  readonly issueId: number;
  readonly createdAt: string;
  readonly object: unknown;
  readonly actor: { readonly model: string; readonly id: string; readonly snapshot: unknown } | null;
  readonly target: unknown;
}

/** Events per statement. */
const CHUNK = 100;

export class DigestRows {
  readonly db: Kysely<VoxDatabase>;
  readonly #dialect: SqlDialectName;

  constructor(db: Kysely<VoxDatabase>, dialect: SqlDialectName) {
    this.db = db;
    this.#dialect = dialect;
  }

  /**
   * Adds events to their recipients' open digests, opening one where none is open: one upsert per
   * 100 events, then their event rows, in one transaction. An event already added (a fan-out run
   * again after a crash) adds no event row.
   */
  async add(events: readonly DigestEvent[], timing: DigestTiming): Promise<void> {
    if (events.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < events.length; i += CHUNK) await this.#add(trx, events.slice(i, i + CHUNK), timing);
    });
  }

  async #add(db: Db, events: readonly DigestEvent[], timing: DigestTiming): Promise<void> {
    const at = now();
    const full = timing.maxItems === null ? sql<boolean>`false` : sql<boolean>`vox_digests.events + 1 >= ${timing.maxItems}`;
    const smaller = this.#dialect === 'postgres' ? 'least' : 'min';
    // Sliding: each event moves the close to a window from now, but never past close_by.
    const next = timing.mode === 'sliding' ? sql<string>`${sql.raw(smaller)}(excluded.due_at, vox_digests.close_by)` : sql<string>`vox_digests.due_at`;
    const rows = await db
      .insertInto('vox_digests')
      .values(
        events.map((e) => ({
          template_id: e.templateId,
          notification: e.notification,
          address: e.address,
          digest_key: e.digestKey,
          contact: JSON.stringify(e.contact),
          recipient: JSON.stringify(e.recipient),
          status: 'open',
          events: 1,
          last_issue_id: e.issueId,
          opened_at: at,
          due_at: timing.maxItems === 1 ? at : later(timing.window),
          close_by: later(timing.maxWait),
          updated_at: at,
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['template_id', 'address', 'digest_key'])
          // The partial index's own predicate, as a literal: SQLite matches it, not a bound value.
          .where('status', '=', sql.lit('open'))
          .doUpdateSet({
            events: sql`vox_digests.events + 1`,
            recipient: sql`excluded.recipient`,
            contact: sql`excluded.contact`,
            last_issue_id: sql`excluded.last_issue_id`,
            updated_at: sql`excluded.updated_at`,
            due_at: sql`case when ${full} then ${at} else ${next} end`,
          }),
      )
      .returning(['id', 'address', 'digest_key'])
      .execute();
    const ids = new Map(rows.map((r) => [`${r.address}\n${r.digest_key}`, r.id]));
    await db
      .insertInto('vox_digest_events')
      .values(events.map((e) => ({ digest_id: ids.get(`${e.address}\n${e.digestKey}`) as number, issue_id: e.issueId, event_key: e.eventKey, created_at: at })))
      .onConflict((oc) => oc.column('event_key').doNothing())
      .execute();
  }

  /**
   * Takes up to `limit` digests that are due (or whose worker's lease ran out) to close them. On
   * PostgreSQL the candidates are locked with SKIP LOCKED, so workers take different ones; on
   * SQLite the one statement is atomic. A digest is never taken by two workers at once.
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedDigest[]> {
    const at = now();
    return this.db
      .updateTable('vox_digests')
      .set({ status: 'closing', locked_until: later(leaseMs), updated_at: at })
      .where('id', 'in', (eb) => {
        const due = eb
          .selectFrom('vox_digests')
          .select('id')
          .where((w) => w.or([w.and([w('status', '=', 'open'), w('due_at', '<=', at)]), w.and([w('status', '=', 'closing'), w('locked_until', '<', at)])]))
          .orderBy('due_at')
          .limit(limit);
        return this.#dialect === 'postgres' ? due.forUpdate().skipLocked() : due;
      })
      .where((w) => w.or([w('status', '=', 'open'), w.and([w('status', '=', 'closing'), w('locked_until', '<', at)])]))
      .returningAll()
      .execute();
  }

  /** Whether any digest is due now. */
  async hasDue(): Promise<boolean> {
    const row = await this.db.selectFrom('vox_digests').select('id').where('status', '=', 'open').where('due_at', '<=', now()).limit(1).executeTakeFirst();
    return row !== undefined;
  }

  /** How many events a digest holds, and the first or last `count` of them (in the order of their issues) with their issues' objects. */
  async items(digestId: number, keep: 'first' | 'last', count: number): Promise<{ total: number; items: DigestItemRow[] }> {
    const total = await this.db
      .selectFrom('vox_digest_events')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('digest_id', '=', digestId)
      .executeTakeFirstOrThrow();
    const rows = await this.db
      .selectFrom('vox_digest_events as e')
      .innerJoin('vox_issues as i', 'i.id', 'e.issue_id')
      .select(['e.id', 'e.issue_id', 'i.created_at', 'i.object_snapshot', 'i.actor_model', 'i.actor_id', 'i.actor_snapshot', 'i.target_snapshot'])
      .where('e.digest_id', '=', digestId)
      // In the order of their issues (workers may fan issues out side by side).
      .orderBy('e.issue_id', keep === 'first' ? 'asc' : 'desc')
      .limit(count)
      .execute();
    if (keep === 'last') rows.reverse();
    return {
      total: Number(total.n),
      items: rows.map((r) => ({
        issueId: r.issue_id,
        createdAt: r.created_at,
        object: JSON.parse(r.object_snapshot),
        actor: r.actor_model !== null && r.actor_id !== null ? { model: r.actor_model, id: r.actor_id, snapshot: r.actor_snapshot === null ? null : JSON.parse(r.actor_snapshot) } : null,
        target: r.target_snapshot === null ? null : JSON.parse(r.target_snapshot),
      })),
    };
  }

  /** The distinct actors of a digest's events, in the order they first acted; at most `limit`. */
  async actors(digestId: number, limit: number): Promise<unknown[]> {
    const rows = await this.db
      .selectFrom('vox_digest_events as e')
      .innerJoin('vox_issues as i', 'i.id', 'e.issue_id')
      .select((eb) => ['i.actor_model', 'i.actor_id', eb.fn.min('e.issue_id').as('first'), eb.fn.max('i.actor_snapshot').as('snapshot')])
      .where('e.digest_id', '=', digestId)
      .where('i.actor_id', 'is not', null)
      .groupBy(['i.actor_model', 'i.actor_id'])
      .orderBy('first')
      .limit(limit)
      .execute();
    return rows.map((r) => (r.snapshot === null ? null : JSON.parse(String(r.snapshot))));
  }

  /** Marks a digest closed, with the message of key `messageKey` that it became (none when it had no events). */
  async close(id: number, messageKey: string | null): Promise<void> {
    await this.db
      .updateTable('vox_digests')
      .set((eb) => ({
        status: 'closed',
        locked_until: null,
        updated_at: now(),
        message_id: messageKey === null ? null : eb.selectFrom('vox_messages').select('id').where('idempotency_key', '=', messageKey),
      }))
      .where('id', '=', id)
      .execute();
  }
}
