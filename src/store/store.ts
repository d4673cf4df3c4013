import { sql, type Insertable, type Kysely, type Selectable, type Transaction, type Updateable } from 'kysely';
import type { MessagePayload } from '../backends/backend.ts';
import type { Contact } from '../registry/contact.ts';
import type { MessageStatus } from '../registry/model.ts';
import { ErrorCode, VoxError } from '../errors.ts';
import type { Flag, MessageTable, NotificationTable, VoxDatabase } from './schema.ts';

/** A notification row. */
export interface NotificationRecord {
  readonly id: number;
  /** `<model>.<codename>`. */
  readonly key: string;
  readonly model: string;
  readonly codename: string;
  readonly description: string;
  readonly actorModel: string | null;
  readonly targetModel: string | null;
  readonly required: boolean;
  /** Declared in code (managed by `vox sync`), as opposed to created in the admin. */
  readonly fromCode: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** An object taking part in an issue: its model, id, and what templates saw of it then. */
export interface IssueParty {
  readonly model: string;
  readonly id: string;
  readonly snapshot: unknown;
}

/** One call of notify(), as recorded. */
export interface IssueRecord {
  readonly id: number;
  readonly notificationId: number | null;
  /** `<model>.<codename>`. */
  readonly notification: string;
  readonly object: IssueParty;
  readonly actor: IssueParty | null;
  readonly target: IssueParty | null;
  readonly status: IssueStatus;
  /** Why fan-out failed, when it did. */
  readonly error: string | null;
  /** How many times a worker took the issue for fan-out. */
  readonly attempts: number;
  readonly createdAt: string;
}

/** pending: recorded, waiting for fan-out; fanning: a worker is on it; done: every message is in the log; failed: fan-out gave up. */
export type IssueStatus = 'pending' | 'fanning' | 'done' | 'failed';

/** A new issue, as notify() records it. */
export type NewIssue = Pick<IssueRecord, 'notificationId' | 'notification' | 'object' | 'actor' | 'target'>;

/** A template as stored. */
export interface TemplateRecord {
  readonly id: number;
  readonly notificationId: number;
  /** `<model>.<codename>` of its notification. */
  readonly notification: string;
  readonly backend: string;
  readonly recipients: readonly string[];
  readonly subject: string;
  readonly content: string;
  readonly fromAddress: string;
  readonly attachments: readonly string[];
  readonly bulk: boolean;
  readonly enabled: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** How a site contact's per-notification settings apply. */
export type EnableFilter = 'blacklist' | 'whitelist';

/** An address managed in the admin that receives notifications through the `si` channel. */
export interface SiteContactRecord {
  readonly id: number;
  readonly name: string;
  readonly protocol: string;
  readonly address: string;
  /** blacklist: every notification except those disabled; whitelist: only those enabled. */
  readonly enableFilter: EnableFilter;
  /** Per-notification settings: `<model>.<codename>` → enabled. */
  readonly settings: Readonly<Record<string, boolean>>;
}

/** A row of the message log. */
export interface MessageRecord {
  readonly id: number;
  readonly issueId: number | null;
  readonly notificationId: number | null;
  readonly templateId: number | null;
  readonly backend: string;
  readonly protocol: string;
  readonly from: string | null;
  readonly to: readonly Contact[];
  readonly subject: string | null;
  readonly payload: MessagePayload | null;
  readonly status: MessageStatus;
  readonly attempts: number;
  readonly error: string | null;
  readonly errorCode: string | null;
  readonly permanent: boolean;
  readonly providerMessageId: string | null;
  readonly idempotencyKey: string;
  readonly sentAt: string | null;
  /** When a `queued` or `retrying` message is due. */
  readonly nextAttemptAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A new row of the message log; omitted fields are empty (no error, not permanent, subject from the payload). */
export type NewMessage = Pick<MessageRecord, 'issueId' | 'notificationId' | 'templateId' | 'backend' | 'protocol' | 'to' | 'status' | 'idempotencyKey'> &
  Partial<Pick<MessageRecord, 'from' | 'subject' | 'payload' | 'error' | 'errorCode' | 'permanent' | 'attempts' | 'nextAttemptAt'>> & {
    /** The variables, kept when rendering failed so that resend can render again. */
    readonly renderContext?: unknown;
  };

/** What changes on a message row after an attempt. */
export interface MessageUpdate {
  readonly status: MessageStatus;
  readonly attempts?: number;
  readonly error?: string | null;
  readonly errorCode?: string | null;
  readonly permanent?: boolean;
  readonly providerMessageId?: string | null;
  readonly payload?: MessagePayload | null;
  readonly subject?: string | null;
  readonly from?: string | null;
  readonly renderContext?: unknown;
  readonly sentAt?: string | null;
  readonly nextAttemptAt?: string | null;
  readonly lockedUntil?: string | null;
}

/** Filters of {@link Store.listMessages}. */
export interface MessageFilter {
  readonly status?: MessageStatus;
  readonly backend?: string;
  readonly issueId?: number;
  readonly notificationId?: number;
  /** Messages created at or after this ISO timestamp. */
  readonly createdFrom?: string;
  /** Messages created before this ISO timestamp. */
  readonly createdBefore?: string;
  /** Messages with a smaller id: the next page of a newest-first listing. */
  readonly beforeId?: number;
  readonly limit?: number;
}

type Db = Kysely<VoxDatabase> | Transaction<VoxDatabase>;

export const flag = (value: boolean): Flag => (value ? 1 : 0);
export const now = (): string => new Date().toISOString();
/** The timestamp `ms` milliseconds from now. */
export const later = (ms: number): string => new Date(Date.now() + ms).toISOString();

/** A message a worker has taken to send, with what resend and retries need. */
export type ClaimedMessage = MessageRecord & {
  readonly renderContext: unknown;
  /** The lease the claim set; it doubles as the claim's token (see {@link Store.renewLease}). */
  readonly lockedUntil: string | null;
};

/** Data access to Vox's tables. No business rules live here. */
export class Store {
  readonly db: Kysely<VoxDatabase>;

  constructor(db: Kysely<VoxDatabase>) {
    this.db = db;
  }

  async listNotifications(db: Db = this.db): Promise<NotificationRecord[]> {
    const rows = await db.selectFrom('vox_notifications').selectAll().orderBy('model').orderBy('codename').execute();
    return rows.map(toNotification);
  }

  async findNotification(model: string, codename: string, db: Db = this.db): Promise<NotificationRecord | undefined> {
    const row = await db.selectFrom('vox_notifications').selectAll().where('model', '=', model).where('codename', '=', codename).executeTakeFirst();
    return row && toNotification(row);
  }

  /** The notification `<model>.<codename>`; a clear error when it does not exist. */
  async requireNotification(key: string, db: Db = this.db): Promise<NotificationRecord> {
    const dot = key.lastIndexOf('.');
    const found = dot > 0 ? await this.findNotification(key.slice(0, dot), key.slice(dot + 1), db) : undefined;
    if (!found) throw new VoxError(ErrorCode.unknownNotification, `notification ${JSON.stringify(key)} does not exist; run \`vox sync\` after declaring it in code`);
    return found;
  }

  async getNotification(id: number, db: Db = this.db): Promise<NotificationRecord | undefined> {
    const row = await db.selectFrom('vox_notifications').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toNotification(row);
  }

  async insertIssue(issue: NewIssue, db: Db = this.db): Promise<number> {
    const { actor, target } = issue;
    const row = await db
      .insertInto('vox_issues')
      .values({
        notification_id: issue.notificationId,
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
        status: 'pending',
        attempts: 0,
        created_at: now(),
        updated_at: now(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async getIssue(id: number, db: Db = this.db): Promise<IssueRecord | undefined> {
    const row = await db.selectFrom('vox_issues').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
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

  /** Takes an issue for fan-out: pending ones, or ones whose worker's lease ran out. False when another has it. */
  async claimIssue(id: number, leaseMs: number, db: Db = this.db): Promise<boolean> {
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
  async deferIssue(id: number, delayMs: number, error: string, db: Db = this.db): Promise<void> {
    await db.updateTable('vox_issues').set({ status: 'fanning', error, locked_until: later(delayMs), updated_at: now() }).where('id', '=', id).execute();
  }

  async renewIssueLease(id: number, leaseMs: number, db: Db = this.db): Promise<void> {
    await db.updateTable('vox_issues').set({ locked_until: later(leaseMs) }).where('id', '=', id).where('status', '=', 'fanning').execute();
  }

  /** Ends an issue's fan-out. A failure's error is recorded; a success keeps the last failure that preceded it. */
  async finishIssue(id: number, status: 'done' | 'failed', error?: string, db: Db = this.db): Promise<void> {
    await db
      .updateTable('vox_issues')
      .set({ status, ...(error === undefined ? {} : { error }), locked_until: null, updated_at: now() })
      .where('id', '=', id)
      .execute();
  }

  /** Issues waiting for fan-out, or abandoned by a worker that stopped. */
  async issuesToFanOut(limit: number, db: Db = this.db): Promise<number[]> {
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
    const counts: Record<MessageStatus, number> = { queued: 0, sending: 0, sent: 0, retrying: 0, failed: 0 };
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

  async templateCounts(db: Db = this.db): Promise<Map<number, number>> {
    const rows = await db
      .selectFrom('vox_templates')
      .select(['notification_id', (eb) => eb.fn.countAll<number | string>().as('count')])
      .groupBy('notification_id')
      .execute();
    return new Map(rows.map((r) => [r.notification_id, Number(r.count)]));
  }

  async listTemplates(filter: { notificationId?: number; ids?: readonly number[]; enabledOnly?: boolean } = {}, db: Db = this.db): Promise<TemplateRecord[]> {
    let query = db
      .selectFrom('vox_templates as t')
      .innerJoin('vox_notifications as n', 'n.id', 't.notification_id')
      .selectAll('t')
      .select(['n.model', 'n.codename'])
      .orderBy('t.id');
    if (filter.notificationId !== undefined) query = query.where('t.notification_id', '=', filter.notificationId);
    if (filter.ids !== undefined) query = query.where('t.id', 'in', filter.ids.length > 0 ? [...filter.ids] : [-1]);
    if (filter.enabledOnly) query = query.where('t.enabled', '=', 1);
    const rows = await query.execute();
    if (rows.length === 0) return [];
    const attachments = await db
      .selectFrom('vox_template_attachments')
      .select(['template_id', 'attachment_key'])
      .where('template_id', 'in', rows.map((r) => r.id))
      .orderBy('id')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      notificationId: row.notification_id,
      notification: `${row.model}.${row.codename}`,
      backend: row.backend,
      recipients: JSON.parse(row.recipients) as string[],
      subject: row.subject,
      content: row.content,
      fromAddress: row.from_address,
      attachments: attachments.filter((a) => a.template_id === row.id).map((a) => a.attachment_key),
      bulk: row.bulk === 1,
      enabled: row.enabled === 1,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }));
  }

  async getTemplate(id: number, db: Db = this.db): Promise<TemplateRecord | undefined> {
    return (await this.listTemplates({ ids: [id] }, db))[0];
  }

  async listSiteContacts(filter: { protocol?: string; id?: number } = {}, db: Db = this.db): Promise<SiteContactRecord[]> {
    let query = db.selectFrom('vox_site_contacts').selectAll().orderBy('id');
    if (filter.protocol !== undefined) query = query.where('protocol', '=', filter.protocol);
    if (filter.id !== undefined) query = query.where('id', '=', filter.id);
    const contacts = await query.execute();
    if (contacts.length === 0) return [];
    const settings = await db
      .selectFrom('vox_site_contact_settings as s')
      .innerJoin('vox_notifications as n', 'n.id', 's.notification_id')
      .select(['s.site_contact_id', 's.enabled', 'n.model', 'n.codename'])
      .where('s.site_contact_id', 'in', contacts.map((c) => c.id))
      .execute();
    return contacts.map((c) => ({
      id: c.id,
      name: c.name,
      protocol: c.protocol,
      address: c.address,
      enableFilter: c.enable_filter,
      settings: Object.fromEntries(
        settings.filter((s) => s.site_contact_id === c.id).map((s) => [`${s.model}.${s.codename}`, s.enabled === 1]),
      ),
    }));
  }

  /** Writes one message, or returns the id of the message that already has its idempotency key. */
  async insertMessage(message: NewMessage, db: Db = this.db): Promise<number> {
    return atomically(db, (trx) => this.#insertMessage(message, trx));
  }

  async #insertMessage(message: NewMessage, db: Db): Promise<number> {
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
  async insertMessages(messages: readonly NewMessage[], db: Db = this.db): Promise<number> {
    if (messages.length === 0) return 0;
    // Rows and bodies together: a worker that took a row before its body existed would send nothing.
    return atomically(db, (trx) => this.#insertMessages(messages, trx));
  }

  async #insertMessages(messages: readonly NewMessage[], db: Db): Promise<number> {
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

  /**
   * Takes up to `limit` messages to send: queued or retrying ones that are due, and `sending` ones
   * whose worker's lease ran out (it crashed). Each taken message counts one attempt.
   */
  async claimDueMessages(limit: number, leaseMs: number, dialect: 'sqlite' | 'postgres', db: Db = this.db): Promise<ClaimedMessage[]> {
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

  /** Takes failed messages for an immediate resend; ids that are not failed are left alone. */
  async claimFailedMessages(ids: readonly number[], leaseMs: number, db: Db = this.db): Promise<ClaimedMessage[]> {
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
  async hasDueMessages(db: Db = this.db): Promise<boolean> {
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

  async updateMessage(id: number, update: MessageUpdate, db: Db = this.db): Promise<void> {
    await this.#updateMessage(id, update, db);
  }

  /**
   * Applies a provider's later report to sent message `id`, if the provider gave it
   * `providerMessageId`; false when it did not (a resend since gave it a new one, or the report is
   * not ours).
   */
  async applyProviderReport(id: number, backend: string, providerMessageId: string, update: MessageUpdate, db: Db = this.db): Promise<boolean> {
    return this.#updateMessage(id, update, db, { backend, providerMessageId });
  }

  /** Updates message `id`, only while it is sent by `backend` under `providerMessageId` when those are given. */
  async #updateMessage(id: number, update: MessageUpdate, db: Db, sentAs?: { backend: string; providerMessageId: string }): Promise<boolean> {
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

  async getMessage(id: number, db: Db = this.db): Promise<ClaimedMessage | undefined> {
    const row = await withBody(db).where('m.id', '=', id).executeTakeFirst();
    return row && toClaimed(row);
  }

  async listMessages(filter: MessageFilter = {}, db: Db = this.db): Promise<MessageRecord[]> {
    let query = withBody(db).orderBy('m.id', 'desc');
    if (filter.status) query = query.where('m.status', '=', filter.status);
    if (filter.backend) query = query.where('m.backend', '=', filter.backend);
    if (filter.issueId !== undefined) query = query.where('m.issue_id', '=', filter.issueId);
    if (filter.notificationId !== undefined) query = query.where('m.notification_id', '=', filter.notificationId);
    if (filter.createdFrom !== undefined) query = query.where('m.created_at', '>=', filter.createdFrom);
    if (filter.createdBefore !== undefined) query = query.where('m.created_at', '<', filter.createdBefore);
    if (filter.beforeId !== undefined) query = query.where('m.id', '<', filter.beforeId);
    if (filter.limit !== undefined) query = query.limit(filter.limit);
    return (await query.execute()).map(toMessage);
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

/** A message row with its body columns. */
type FullMessageRow = Selectable<MessageTable> & { payload: string | null; render_context: string | null };

function withBody(db: Db) {
  return db
    .selectFrom('vox_messages as m')
    .leftJoin('vox_message_bodies as b', 'b.message_id', 'm.id')
    .selectAll('m')
    .select(['b.payload', 'b.render_context']);
}

function bodyRow(id: number, message: NewMessage): Insertable<VoxDatabase['vox_message_bodies']> {
  return {
    message_id: id,
    payload: message.payload ? JSON.stringify(message.payload) : null,
    render_context: message.renderContext === undefined || message.renderContext === null ? null : JSON.stringify(message.renderContext),
  };
}

/** Runs `work` in a transaction: the caller's, or a new one. */
function atomically<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

/** A message's `due_at` after an update, or undefined when the update leaves it as it is. */
function dueAt(update: MessageUpdate): string | null | undefined {
  switch (update.status) {
    case 'sent':
    case 'failed':
      return null;
    case 'queued':
    case 'retrying':
      return update.nextAttemptAt;
    case 'sending':
      return update.lockedUntil;
  }
}

function messageRow(message: NewMessage, timestamp: string): Insertable<MessageTable> {
  return {
    issue_id: message.issueId,
    notification_id: message.notificationId,
    template_id: message.templateId,
    backend: message.backend,
    protocol: message.protocol,
    from_address: message.from ?? null,
    recipients: JSON.stringify(message.to.map(plainContact)),
    subject: message.subject ?? message.payload?.subject ?? null,
    status: message.status,
    attempts: message.attempts ?? 0,
    error: message.error ?? null,
    error_code: message.errorCode ?? null,
    permanent: flag(message.permanent ?? false),
    provider_message_id: null,
    idempotency_key: message.idempotencyKey,
    next_attempt_at: message.status === 'queued' ? timestamp : (message.nextAttemptAt ?? null),
    due_at: message.status === 'queued' ? timestamp : message.status === 'retrying' ? (message.nextAttemptAt ?? timestamp) : null,
    locked_until: null,
    sent_at: null,
    created_at: timestamp,
    updated_at: timestamp,
  };
}

function toClaimed(row: FullMessageRow): ClaimedMessage {
  return { ...toMessage(row), renderContext: row.render_context === null ? null : JSON.parse(row.render_context), lockedUntil: row.locked_until };
}

function plainContact(c: Contact): Contact {
  return { name: c.name, protocol: c.protocol, address: c.address };
}

function toNotification(row: Selectable<NotificationTable>): NotificationRecord {
  return {
    id: row.id,
    key: `${row.model}.${row.codename}`,
    model: row.model,
    codename: row.codename,
    description: row.description,
    actorModel: row.actor_model,
    targetModel: row.target_model,
    required: row.required === 1,
    fromCode: row.from_code === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toMessage(row: FullMessageRow): MessageRecord {
  return {
    id: row.id,
    issueId: row.issue_id,
    notificationId: row.notification_id,
    templateId: row.template_id,
    backend: row.backend,
    protocol: row.protocol,
    from: row.from_address,
    to: JSON.parse(row.recipients) as Contact[],
    subject: row.subject,
    payload: row.payload === null ? null : (JSON.parse(row.payload) as MessagePayload),
    status: row.status as MessageStatus,
    attempts: row.attempts,
    error: row.error,
    errorCode: row.error_code,
    permanent: row.permanent === 1,
    providerMessageId: row.provider_message_id,
    idempotencyKey: row.idempotency_key,
    sentAt: row.sent_at,
    nextAttemptAt: row.next_attempt_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
