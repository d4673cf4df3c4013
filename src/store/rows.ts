/** What the store's repositories share: the row shapes they write and read, and how rows become records. */
import { type Insertable, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Contact } from '../vocabulary/contact.ts';
import type { MessageStatus } from '../vocabulary/model.ts';
import type { MessagePayload } from '../vocabulary/payload.ts';
import type { MessageRecord, NotificationRecord } from '../vocabulary/records.ts';
import type { Flag, MessageTable, NotificationTable, VoxDatabase } from './schema.ts';

/** Vox's database, or a transaction on it. */
export type Db = Kysely<VoxDatabase> | Transaction<VoxDatabase>;

export const flag = (value: boolean): Flag => (value ? 1 : 0);
export const now = (): string => new Date().toISOString();
/** The timestamp `ms` milliseconds from now. */
export const later = (ms: number): string => new Date(Date.now() + ms).toISOString();

/** A message a worker has taken to send, with what resend and retries need. */
export type ClaimedMessage = MessageRecord & {
  readonly renderContext: unknown;
  /** The lease the claim set; it doubles as the claim's token (see {@link MessageClaims.renewLease}). */
  readonly lockedUntil: string | null;
};

/** A new row of the message log; omitted fields are empty (no error, not permanent, subject from the payload). */
export type NewMessage = Pick<MessageRecord, 'issueId' | 'notificationId' | 'notification' | 'templateId' | 'backend' | 'protocol' | 'to' | 'status' | 'idempotencyKey'> &
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

/** A message row with its body columns. */
export type FullMessageRow = Selectable<MessageTable> & { payload: string | null; render_context: string | null };

export function withBody(db: Db) {
  return db
    .selectFrom('vox_messages as m')
    .leftJoin('vox_message_bodies as b', 'b.message_id', 'm.id')
    .selectAll('m')
    .select(['b.payload', 'b.render_context']);
}

export function bodyRow(id: number, message: NewMessage): Insertable<VoxDatabase['vox_message_bodies']> {
  return {
    message_id: id,
    payload: message.payload ? JSON.stringify(message.payload) : null,
    render_context: message.renderContext === undefined || message.renderContext === null ? null : JSON.stringify(message.renderContext),
  };
}

/** Runs `work` in a transaction: the caller's, or a new one. */
export function atomically<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

/** A message's `due_at` after an update, or undefined when the update leaves it as it is. */
export function dueAt(update: MessageUpdate): string | null | undefined {
  switch (update.status) {
    case 'sent':
    case 'failed':
    case 'skipped':
      return null;
    case 'queued':
    case 'retrying':
      return update.nextAttemptAt;
    case 'sending':
      return update.lockedUntil;
  }
}

export function messageRow(message: NewMessage, timestamp: string): Insertable<MessageTable> {
  return {
    issue_id: message.issueId,
    notification_id: message.notificationId,
    notification: message.notification,
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
    // A queued message is due at once, unless it is held (quiet hours) until its nextAttemptAt.
    next_attempt_at: message.status === 'queued' ? (message.nextAttemptAt ?? timestamp) : (message.nextAttemptAt ?? null),
    due_at: message.status === 'queued' || message.status === 'retrying' ? (message.nextAttemptAt ?? timestamp) : null,
    locked_until: null,
    sent_at: null,
    created_at: timestamp,
    updated_at: timestamp,
  };
}

export function toClaimed(row: FullMessageRow): ClaimedMessage {
  return { ...toMessage(row), renderContext: row.render_context === null ? null : JSON.parse(row.render_context), lockedUntil: row.locked_until };
}

export function plainContact(c: Contact): Contact {
  return { name: c.name, protocol: c.protocol, address: c.address };
}

export function toNotification(row: Selectable<NotificationTable>): NotificationRecord {
  return {
    id: row.id,
    key: `${row.model}.${row.codename}`,
    model: row.model,
    codename: row.codename,
    description: row.description,
    actorModel: row.actor_model,
    targetModel: row.target_model,
    required: row.required === 1,
    category: row.category === null ? null : { key: row.category, label: row.category_label ?? row.category },
    defaults: JSON.parse(row.defaults) as Record<string, boolean>,
    fromCode: row.from_code === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toMessage(row: FullMessageRow): MessageRecord {
  return {
    id: row.id,
    issueId: row.issue_id,
    notificationId: row.notification_id,
    notification: row.notification,
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
