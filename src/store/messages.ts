/** The message log: writing messages with their bodies, updating them after attempts, listing them. */
import { sql, type Kysely, type Updateable } from 'kysely';
import type { MessageFilter, MessageRecord } from '../vocabulary/records.ts';
import { atomically, bodyRow, dueAt, flag, messageRow, now, toClaimed, toMessage, withBody, type ClaimedMessage, type Db, type MessageUpdate, type NewMessage } from './rows.ts';
import type { MessageTable, VoxDatabase } from './schema.ts';

/** Rows of the message log and their bodies. */
export class MessageRows {
  readonly db: Kysely<VoxDatabase>;

  constructor(db: Kysely<VoxDatabase>) {
    this.db = db;
  }

  /** Writes one message, or returns the id of the message that already has its idempotency key. */
  async insert(message: NewMessage, db: Db = this.db): Promise<number> {
    return atomically(db, (trx) => this.#insert(message, trx));
  }

  async #insert(message: NewMessage, db: Db): Promise<number> {
    const row = await db
      .insertInto('vox_messages')
      .values(messageRow(message, now()))
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!row) {
      return (await db.selectFrom('vox_messages').select('id').where('idempotency_key', '=', message.idempotencyKey).executeTakeFirstOrThrow()).id;
    }
    await db.insertInto('vox_message_bodies').values(bodyRow(row.id, message)).execute();
    return row.id;
  }

  /**
   * Writes a batch of messages; a message whose idempotency key is already in the log is skipped,
   * so a fan-out that runs again after a crash adds only what is missing. Returns how many were new.
   */
  async insertMany(messages: readonly NewMessage[], db: Db = this.db): Promise<number> {
    if (messages.length === 0) return 0;
    // Rows and bodies together: a worker that took a row before its body existed would send nothing.
    return atomically(db, (trx) => this.#insertMany(messages, trx));
  }

  async #insertMany(messages: readonly NewMessage[], db: Db): Promise<number> {
    const timestamp = now();
    const inserted = await db
      .insertInto('vox_messages')
      .values(messages.map((m) => messageRow(m, timestamp)))
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .returning(['id', 'idempotency_key'])
      .execute();
    if (inserted.length === 0) return 0;
    const byKey = new Map(messages.map((m) => [m.idempotencyKey, m]));
    await db
      .insertInto('vox_message_bodies')
      .values(inserted.map((row) => bodyRow(row.id, byKey.get(row.idempotency_key) as NewMessage)))
      .execute();
    return inserted.length;
  }

  async update(id: number, update: MessageUpdate, db: Db = this.db): Promise<void> {
    await this.#update(id, update, db);
  }

  /**
   * Applies a provider's later report to sent message `id`, if the provider gave it
   * `providerMessageId`; false when it did not (a resend since gave it a new one, or the report is
   * not ours).
   */
  async applyProviderReport(id: number, backend: string, providerMessageId: string, update: MessageUpdate, db: Db = this.db): Promise<boolean> {
    return this.#update(id, update, db, { backend, providerMessageId });
  }

  /** Updates message `id`, only while it is sent by `backend` under `providerMessageId` when those are given. */
  async #update(id: number, update: MessageUpdate, db: Db, sentAs?: { backend: string; providerMessageId: string }): Promise<boolean> {
    const values: Updateable<MessageTable> = { status: update.status, updated_at: now() };
    if (update.attempts !== undefined) values.attempts = update.attempts;
    if (update.error !== undefined) values.error = update.error;
    if (update.errorCode !== undefined) values.error_code = update.errorCode;
    if (update.permanent !== undefined) values.permanent = flag(update.permanent);
    if (update.providerMessageId !== undefined) values.provider_message_id = update.providerMessageId;
    if (update.subject !== undefined) values.subject = update.subject;
    if (update.from !== undefined) values.from_address = update.from;
    if (update.sentAt !== undefined) values.sent_at = update.sentAt;
    if (update.nextAttemptAt !== undefined) values.next_attempt_at = update.nextAttemptAt;
    if (update.lockedUntil !== undefined) values.locked_until = update.lockedUntil;
    const due = dueAt(update);
    if (due !== undefined) values.due_at = due;
    let query = db.updateTable('vox_messages').set(values).where('id', '=', id);
    if (sentAs) query = query.where('backend', '=', sentAs.backend).where('provider_message_id', '=', sentAs.providerMessageId).where('status', '=', 'sent');
    const result = await query.executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return false;
    if (update.payload !== undefined || update.renderContext !== undefined) {
      const body: Partial<Record<'payload' | 'render_context', string | null>> = {};
      if (update.payload !== undefined) body.payload = update.payload === null ? null : JSON.stringify(update.payload);
      if (update.renderContext !== undefined) body.render_context = update.renderContext === null ? null : JSON.stringify(update.renderContext);
      await db
        .insertInto('vox_message_bodies')
        .values({ message_id: id, payload: null, render_context: null, ...body })
        .onConflict((oc) => oc.column('message_id').doUpdateSet(body))
        .execute();
    }
    return true;
  }

  async get(id: number, db: Db = this.db): Promise<ClaimedMessage | undefined> {
    const row = await withBody(db).where('m.id', '=', id).executeTakeFirst();
    return row && toClaimed(row);
  }

  async list(filter: MessageFilter = {}, db: Db = this.db): Promise<MessageRecord[]> {
    let query = withBody(db).orderBy('m.id', 'desc');
    if (filter.status) query = query.where('m.status', '=', filter.status);
    if (filter.backend) query = query.where('m.backend', '=', filter.backend);
    if (filter.issueId !== undefined) query = query.where('m.issue_id', '=', filter.issueId);
    if (filter.notification !== undefined) query = query.where('m.notification', '=', filter.notification);
    if (filter.notificationId !== undefined) query = query.where('m.notification_id', '=', filter.notificationId);
    if (filter.createdFrom !== undefined) query = query.where('m.created_at', '>=', filter.createdFrom);
    if (filter.createdBefore !== undefined) query = query.where('m.created_at', '<', filter.createdBefore);
    if (filter.beforeId !== undefined) query = query.where('m.id', '<', filter.beforeId);
    if (filter.address !== undefined && filter.address.trim() !== '') {
      // Recipients are stored as JSON; a part of an address is found in its text, without case.
      const part = filter.address.trim().toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
      query = query.where(sql<boolean>`lower(m.recipients) like ${`%${part}%`} escape '\\'`);
    }
    if (filter.limit !== undefined) query = query.limit(filter.limit);
    return (await query.execute()).map(toMessage);
  }

}
