/** The in-app inbox's items: written by the `in-app` backend, listed, counted and marked per recipient. */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { InboxCounts, InboxFilter, InboxItem, InboxMark } from '../vocabulary/inbox.ts';
import { now, type Db } from './rows.ts';
import type { InboxItemTable, VoxDatabase } from './schema.ts';

/** Recipients or ids per query: well under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 500;

/** An item to write: one recipient's copy of a message. */
export interface NewInboxItem {
  readonly messageId: number | null;
  readonly recipient: string;
  readonly notification: string | null;
  readonly title: string;
  readonly html: string;
  readonly link: string | null;
  readonly actor: InboxItem['actor'];
  readonly data: InboxItem['data'];
}

/** The column each mark sets (to now) or clears (to null), and whether a read item is also seen. */
const MARKS: Readonly<Record<InboxMark, { readonly column: 'seen_at' | 'read_at' | 'archived_at'; readonly set: boolean }>> = {
  seen: { column: 'seen_at', set: true },
  unseen: { column: 'seen_at', set: false },
  read: { column: 'read_at', set: true },
  unread: { column: 'read_at', set: false },
  archived: { column: 'archived_at', set: true },
  unarchived: { column: 'archived_at', set: false },
};

/** Inbox items as stored. Counts are always computed from these rows; there is no counter to drift. */
export class InboxRows {
  readonly db: Kysely<VoxDatabase>;

  constructor(db: Kysely<VoxDatabase>) {
    this.db = db;
  }

  /** Writes items; one for a message and recipient already there is skipped. Returns the new items' recipients. */
  async add(items: readonly NewInboxItem[], db: Db = this.db): Promise<string[]> {
    const at = now();
    const added: string[] = [];
    for (let i = 0; i < items.length; i += CHUNK) {
      const rows = items.slice(i, i + CHUNK).map((item) => ({
        message_id: item.messageId,
        recipient: item.recipient,
        notification: item.notification,
        title: item.title,
        html: item.html,
        link: item.link,
        actor: item.actor === null ? null : JSON.stringify(item.actor),
        data: Object.keys(item.data).length === 0 ? null : JSON.stringify(item.data),
        created_at: at,
      }));
      const inserted = await db
        .insertInto('vox_inbox_items')
        .values(rows)
        .onConflict((oc) => oc.columns(['message_id', 'recipient']).doNothing())
        .returning('recipient')
        .execute();
      added.push(...inserted.map((row) => row.recipient));
    }
    return added;
  }

  /** A recipient's items, newest first: `before` an item id, `limit` of them. */
  async list(recipient: string, options: { readonly filter: InboxFilter; readonly before?: number; readonly limit: number }, db: Db = this.db): Promise<InboxItem[]> {
    let query = db.selectFrom('vox_inbox_items').selectAll().where('recipient', '=', recipient).orderBy('id', 'desc').limit(options.limit);
    if (options.before !== undefined) query = query.where('id', '<', options.before);
    if (options.filter === 'archived') query = query.where('archived_at', 'is not', null);
    else query = query.where('archived_at', 'is', null);
    if (options.filter === 'unread') query = query.where('read_at', 'is', null);
    if (options.filter === 'unseen') query = query.where('seen_at', 'is', null);
    return (await query.execute()).map(toItem);
  }

  async get(recipient: string, id: number, db: Db = this.db): Promise<InboxItem | undefined> {
    const row = await db.selectFrom('vox_inbox_items').selectAll().where('recipient', '=', recipient).where('id', '=', id).executeTakeFirst();
    return row && toItem(row);
  }

  /** Unread and unseen items not archived, per recipient (recipients without any are absent). */
  async counts(recipients: readonly string[], db: Db = this.db): Promise<Map<string, InboxCounts>> {
    const counts = new Map<string, InboxCounts>();
    for (let i = 0; i < recipients.length; i += CHUNK) {
      const rows = await db
        .selectFrom('vox_inbox_items')
        .select(['recipient', sql<number | string>`sum(case when read_at is null then 1 else 0 end)`.as('unread'), sql<number | string>`sum(case when seen_at is null then 1 else 0 end)`.as('unseen')])
        .where('recipient', 'in', recipients.slice(i, i + CHUNK))
        .where('archived_at', 'is', null)
        .where((eb) => eb.or([eb('read_at', 'is', null), eb('seen_at', 'is', null)]))
        .groupBy('recipient')
        .execute();
      for (const row of rows) counts.set(row.recipient, { unread: Number(row.unread), unseen: Number(row.unseen) });
    }
    return counts;
  }

  /**
   * Items of these recipients written after item `afterId`, oldest first: at most `limit`, the
   * oldest of them (paging forward, for polling) or the newest (`newest`, for streams, whose
   * clients need what just arrived).
   */
  async after(recipients: readonly string[], afterId: number, limit: number, take: 'oldest' | 'newest' = 'oldest', db: Db = this.db): Promise<{ readonly recipient: string; readonly item: InboxItem }[]> {
    const items: { recipient: string; item: InboxItem }[] = [];
    for (let i = 0; i < recipients.length; i += CHUNK) {
      const rows = await db
        .selectFrom('vox_inbox_items')
        .selectAll()
        .where('recipient', 'in', recipients.slice(i, i + CHUNK))
        .where('id', '>', afterId)
        .orderBy('id', take === 'oldest' ? 'asc' : 'desc')
        .limit(limit)
        .execute();
      items.push(...rows.map((row) => ({ recipient: row.recipient, item: toItem(row) })));
    }
    return items.sort((a, b) => a.item.id - b.item.id);
  }

  /** The newest item id of a recipient, or 0. */
  async latestId(recipient: string, db: Db = this.db): Promise<number> {
    const row = await db.selectFrom('vox_inbox_items').select((eb) => eb.fn.max('id').as('id')).where('recipient', '=', recipient).executeTakeFirst();
    return Number(row?.id ?? 0);
  }

  /** Which of `ids` are not the recipient's items. */
  async notOwned(recipient: string, ids: readonly number[], db: Db = this.db): Promise<number[]> {
    const owned = new Set<number>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await db.selectFrom('vox_inbox_items').select('id').where('recipient', '=', recipient).where('id', 'in', ids.slice(i, i + CHUNK)).execute();
      for (const row of rows) owned.add(Number(row.id));
    }
    return ids.filter((id) => !owned.has(id));
  }

  /**
   * Sets or clears a state on the recipient's items (`ids`, or all of them); returns how many
   * changed. Marking read marks seen too; marking unseen marks unread too, so that an unseen item
   * is never read.
   */
  async mark(recipient: string, ids: readonly number[] | 'all', mark: InboxMark, db: Db = this.db): Promise<number> {
    const { column, set } = MARKS[mark];
    const at = now();
    const chunks = ids === 'all' ? [undefined] : Array.from({ length: Math.ceil(ids.length / CHUNK) }, (_, i) => ids.slice(i * CHUNK, (i + 1) * CHUNK));
    let changed = 0;
    for (const chunk of chunks) {
      const values: Partial<Record<'seen_at' | 'read_at' | 'archived_at', string | null>> = { [column]: set ? at : null };
      let query = db.updateTable('vox_inbox_items').where('recipient', '=', recipient).where(column, set ? 'is' : 'is not', null);
      if (chunk !== undefined) query = query.where('id', 'in', chunk);
      if (mark === 'read') {
        query = query.set((eb) => ({ read_at: at, seen_at: eb.fn.coalesce('seen_at', eb.val(at)) }));
      } else if (mark === 'unseen') {
        query = query.set({ seen_at: null, read_at: null });
      } else {
        query = query.set(values);
      }
      const result = await query.executeTakeFirst();
      changed += Number(result.numUpdatedRows);
    }
    return changed;
  }
}

function toItem(row: Selectable<InboxItemTable>): InboxItem {
  return {
    id: Number(row.id),
    messageId: row.message_id === null ? null : Number(row.message_id),
    notification: row.notification,
    title: row.title,
    html: row.html,
    link: row.link,
    actor: row.actor === null ? null : (JSON.parse(row.actor) as InboxItem['actor']),
    data: row.data === null ? {} : (JSON.parse(row.data) as InboxItem['data']),
    createdAt: row.created_at,
    seenAt: row.seen_at,
    readAt: row.read_at,
    archivedAt: row.archived_at,
  };
}
