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
  /** Who the recipient is (null for a site contact), and its time zone. */
  readonly who: { readonly model: string; readonly id: string } | null;
  readonly zone: string | null;
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

/** The idempotency key of the message a digest becomes is this and the digest's id. */
export const DIGEST_KEY_PREFIX = 'digest:';

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
          recipient_model: e.who?.model ?? null,
          recipient_id: e.who?.id ?? null,
          recipient_zone: e.zone,
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
            recipient_model: sql`excluded.recipient_model`,
            recipient_id: sql`excluded.recipient_id`,
            recipient_zone: sql`excluded.recipient_zone`,
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

  /** Whether any digest is due now, or was left closing by a worker whose lease ran out (a crash). */
  async hasDue(): Promise<boolean> {
    const at = now();
    const row = await this.db
      .selectFrom('vox_digests')
      .select('id')
      .where((w) => w.or([w.and([w('status', '=', 'open'), w('due_at', '<=', at)]), w.and([w('status', '=', 'closing'), w('locked_until', '<', at)])]))
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * For each digest of `ids`: how many events it holds, and the first or last `count` of them (in
   * the order of their issues) with their issues' objects. Two statements for all of them.
   */
  async items(ids: readonly number[], keep: 'first' | 'last', count: number): Promise<Map<number, { total: number; items: DigestItemRow[] }>> {
    const found = new Map<number, { total: number; items: DigestItemRow[] }>(ids.map((id) => [id, { total: 0, items: [] }]));
    if (ids.length === 0) return found;
    const totals = await this.db
      .selectFrom('vox_digest_events')
      .select(['digest_id', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('digest_id', 'in', ids)
      .groupBy('digest_id')
      .execute();
    for (const row of totals) (found.get(row.digest_id) as { total: number }).total = Number(row.n);
    const ranked = this.db
      .selectFrom('vox_digest_events as e')
      .select((eb) => [
        'e.digest_id',
        'e.issue_id',
        eb.fn.agg<number>('row_number').over((ob) => ob.partitionBy('e.digest_id').orderBy('e.issue_id', keep === 'first' ? 'asc' : 'desc')).as('rank'),
      ])
      .where('e.digest_id', 'in', ids)
      .as('r');
    const rows = await this.db
      .selectFrom(ranked)
      .innerJoin('vox_issues as i', 'i.id', 'r.issue_id')
      .select(['r.digest_id', 'r.issue_id', 'i.created_at', 'i.object_snapshot', 'i.actor_model', 'i.actor_id', 'i.actor_snapshot', 'i.target_snapshot'])
      .where('r.rank', '<=', count)
      .orderBy('r.digest_id')
      .orderBy('r.issue_id')
      .execute();
    for (const r of rows) {
      found.get(r.digest_id)?.items.push({
        issueId: r.issue_id,
        createdAt: r.created_at,
        object: JSON.parse(r.object_snapshot),
        actor: r.actor_model !== null && r.actor_id !== null ? { model: r.actor_model, id: r.actor_id, snapshot: r.actor_snapshot === null ? null : JSON.parse(r.actor_snapshot) } : null,
        target: r.target_snapshot === null ? null : JSON.parse(r.target_snapshot),
      });
    }
    return found;
  }

  /** For each digest of `ids`: the distinct actors of its events, in the order they first acted; at most `limit` each. */
  async actors(ids: readonly number[], limit: number): Promise<Map<number, unknown[]>> {
    const found = new Map<number, unknown[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return found;
    const rows = await this.db
      .selectFrom('vox_digest_events as e')
      .innerJoin('vox_issues as i', 'i.id', 'e.issue_id')
      .select((eb) => ['e.digest_id', 'i.actor_model', 'i.actor_id', eb.fn.min('e.issue_id').as('first'), eb.fn.max('i.actor_snapshot').as('snapshot')])
      .where('e.digest_id', 'in', ids)
      .where('i.actor_id', 'is not', null)
      .groupBy(['e.digest_id', 'i.actor_model', 'i.actor_id'])
      .orderBy('e.digest_id')
      .orderBy('first')
      .execute();
    for (const r of rows) {
      const list = found.get(r.digest_id);
      if (list && list.length < limit) list.push(r.snapshot === null ? null : JSON.parse(String(r.snapshot)));
    }
    return found;
  }

  /** Marks digests closed, each with the message of key `digest:<id>` it became, if any (none when it had no events). */
  async close(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('vox_digests')
      .set((eb) => ({
        status: 'closed',
        locked_until: null,
        updated_at: now(),
        message_id: eb.selectFrom('vox_messages').select('vox_messages.id').where('vox_messages.idempotency_key', '=', sql<string>`${DIGEST_KEY_PREFIX} || vox_digests.id`),
      }))
      .where('id', 'in', ids)
      .execute();
  }

}
