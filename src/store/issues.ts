/** The issues table: recording notify() calls, and the leases of their fan-out. */
import type { Kysely, Selectable } from 'kysely';
import type { MessageStatus } from '../vocabulary/model.ts';
import type { IssueParty, IssueRecord, IssueStatus } from '../vocabulary/records.ts';
import { later, now, type Db } from './rows.ts';
import type { IssueTable, VoxDatabase } from './schema.ts';

/**
 * A new issue, as notify() records it. Without `notificationId`, the notification is found by its
 * key in the same statement, so that notify() costs one round trip.
 */
export type NewIssue = Pick<IssueRecord, 'notification' | 'object' | 'actor' | 'target'> & { readonly notificationId?: number };

/**
 * Ids for issues on SQLite: milliseconds since 1970 times 1024, plus a random start within the
 * millisecond, and above every id this process gave before. SQLite hands a rolled-back row's id
 * (AUTOINCREMENT's too, whose counter rolls back with the transaction) to the next insert, while
 * an issue's id is the ticket a caller keeps; ids made this way are not given twice, and the rare
 * clash of two processes in one millisecond is retried. PostgreSQL's sequences never go back.
 */
export function timeOrderedIds(): () => number {
  let last = 0;
  return () => (last = Math.max(last + 1, Date.now() * 1024 + Math.floor(Math.random() * 1024)));
}

function toIssue(row: Selectable<IssueTable>): IssueRecord {
  const party = (model: string | null, partyId: string | null, snapshot: string | null): IssueParty | null =>
    model !== null && partyId !== null ? { model, id: partyId, snapshot: snapshot === null ? null : JSON.parse(snapshot) } : null;
  return {
    id: row.id,
    notificationId: row.notification_id,
    notification: row.notification,
    object: { model: row.object_model, id: row.object_id, snapshot: JSON.parse(row.object_snapshot) },
    actor: party(row.actor_model, row.actor_id, row.actor_snapshot),
    target: party(row.target_model, row.target_id, row.target_snapshot),
    status: row.status as IssueStatus,
    error: row.error,
    attempts: row.attempts,
    createdAt: row.created_at,
  };
}

/** Tries a clashing id again this many times. */
const ID_TRIES = 3;

/** Issues: recorded, claimed for fan-out, finished; with counts of their messages. */
export class IssueRows {
  readonly db: Kysely<VoxDatabase>;
  readonly #newId: (() => number) | undefined;

  /** `newId` makes each new issue's id; without it the database does. */
  constructor(db: Kysely<VoxDatabase>, newId?: () => number) {
    this.db = db;
    this.#newId = newId;
  }

  /** Records an issue; undefined when it names, by key, a notification that is not in the database. */
  async insert(issue: NewIssue, db: Db = this.db): Promise<number | undefined> {
    for (let attempt = 1; ; attempt++) {
      const id = this.#newId?.();
      try {
        return await this.#insert(issue, id, db);
      } catch (error) {
        if (id === undefined || attempt >= ID_TRIES || !/UNIQUE constraint failed: vox_issues\.id/.test(String(error))) throw error;
      }
    }
  }

  async #insert(issue: NewIssue, id: number | undefined, db: Db): Promise<number | undefined> {
    const { actor, target } = issue;
    const timestamp = now();
    const columns = {
      ...(id === undefined ? {} : { id }),
      notification: issue.notification,
      object_model: issue.object.model,
      object_id: issue.object.id,
      object_snapshot: JSON.stringify(issue.object.snapshot),
      actor_model: actor?.model ?? null,
      actor_id: actor?.id ?? null,
      actor_snapshot: actor ? JSON.stringify(actor.snapshot) : null,
      target_model: target?.model ?? null,
      target_id: target?.id ?? null,
      target_snapshot: target ? JSON.stringify(target.snapshot) : null,
      created_at: timestamp,
      updated_at: timestamp,
    };
    if (issue.notificationId !== undefined) {
      const row = await db.insertInto('vox_issues').values({ notification_id: issue.notificationId, ...columns, status: 'pending', attempts: 0 }).returning('id').executeTakeFirstOrThrow();
      return row.id;
    }
    const dot = issue.notification.lastIndexOf('.');
    // Status and attempts take the columns' defaults (pending, 0).
    const names = Object.keys(columns) as (keyof typeof columns)[];
    const row = await db
      .insertInto('vox_issues')
      .columns(['notification_id', ...names])
      .expression(
        db
          .selectFrom('vox_notifications')
          .select((eb) => ['id', ...names.map((name) => eb.val(columns[name]).as(name))])
          .where('model', '=', issue.notification.slice(0, dot))
          .where('codename', '=', issue.notification.slice(dot + 1)),
      )
      .returning('id')
      .executeTakeFirst();
    return row?.id;
  }

  async get(id: number, db: Db = this.db): Promise<IssueRecord | undefined> {
    const row = await db.selectFrom('vox_issues').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toIssue(row);
  }

  /** Issues, newest first; timestamps are ISO strings, as stored. */
  async list(filter: { notification?: string; status?: IssueStatus; since?: string; until?: string; beforeId?: number; limit: number }, db: Db = this.db): Promise<IssueRecord[]> {
    let query = db.selectFrom('vox_issues').selectAll().orderBy('id', 'desc').limit(filter.limit);
    if (filter.notification !== undefined) query = query.where('notification', '=', filter.notification);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.since !== undefined) query = query.where('created_at', '>=', filter.since);
    if (filter.until !== undefined) query = query.where('created_at', '<', filter.until);
    if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
    return (await query.execute()).map(toIssue);
  }

  /** Takes an issue for fan-out: pending ones, or ones whose worker's lease ran out. False when another has it. */
  async claim(id: number, leaseMs: number, db: Db = this.db): Promise<boolean> {
    const timestamp = now();
    const result = await db
      .updateTable('vox_issues')
      .set((eb) => ({ status: 'fanning', locked_until: later(leaseMs), attempts: eb('attempts', '+', 1), updated_at: timestamp }))
      .where('id', '=', id)
      .where((eb) => eb.or([eb('status', '=', 'pending'), eb.and([eb('status', '=', 'fanning'), eb('locked_until', '<', timestamp)])]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Leaves an issue whose fan-out failed to be taken again once `delayMs` has passed. */
  async defer(id: number, delayMs: number, error: string, db: Db = this.db): Promise<void> {
    await db.updateTable('vox_issues').set({ status: 'fanning', error, locked_until: later(delayMs), updated_at: now() }).where('id', '=', id).execute();
  }

  async renewLease(id: number, leaseMs: number, db: Db = this.db): Promise<void> {
    await db.updateTable('vox_issues').set({ locked_until: later(leaseMs) }).where('id', '=', id).where('status', '=', 'fanning').execute();
  }

  /** Ends an issue's fan-out. A failure's error is recorded; a success keeps the last failure that preceded it. */
  async finish(id: number, status: 'done' | 'failed', error?: string, db: Db = this.db): Promise<void> {
    await db
      .updateTable('vox_issues')
      .set({ status, ...(error === undefined ? {} : { error }), locked_until: null, updated_at: now() })
      .where('id', '=', id)
      .execute();
  }

  /** Issues waiting for fan-out, or abandoned by a worker that stopped. */
  async dueForFanOut(limit: number, db: Db = this.db): Promise<number[]> {
    const rows = await db
      .selectFrom('vox_issues')
      .select('id')
      .where((eb) => eb.or([eb('status', '=', 'pending'), eb.and([eb('status', '=', 'fanning'), eb('locked_until', '<', now())])]))
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  /** How many messages of an issue are in each status. */
  async messageCounts(issueId: number, db: Db = this.db): Promise<Record<MessageStatus, number>> {
    const rows = await db
      .selectFrom('vox_messages')
      .select(['status', (eb) => eb.fn.countAll<number | string>().as('count')])
      .where('issue_id', '=', issueId)
      .groupBy('status')
      .execute();
    const counts: Record<MessageStatus, number> = { queued: 0, sending: 0, sent: 0, retrying: 0, failed: 0, skipped: 0 };
    for (const row of rows) counts[row.status as MessageStatus] = Number(row.count);
    return counts;
  }

  /** Messages of an issue that are not yet sent or failed for good. */
  async countUnsettled(issueId: number, db: Db = this.db): Promise<number> {
    const row = await db
      .selectFrom('vox_messages')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('issue_id', '=', issueId)
      .where('status', 'in', ['queued', 'sending', 'retrying'])
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}
