/** Messages' event histories as providers reported them (delivery feedback), and the orphans waiting for their message. */
import type { Kysely, Selectable } from 'kysely';
import type { DeliveryEventName, MessageEventRecord } from '../vocabulary/feedback.ts';
import { flag, now, type Db } from './rows.ts';
import type { MessageEventTable, VoxDatabase } from './schema.ts';

/** An event to write: its message when known, else null (an orphan). */
export interface NewMessageEvent {
  readonly messageId: number | null;
  readonly provider: string;
  readonly providerEventId: string;
  readonly providerMessageId: string | null;
  readonly providerRef: string | null;
  readonly messageKey: string | null;
  readonly event: DeliveryEventName;
  readonly recipient: string | null;
  readonly description: string | null;
  readonly code: string | null;
  readonly permanent: boolean;
  /** Waits for the message's sent record before it is applied. */
  readonly pending: boolean;
  readonly occurredAt: string;
  readonly payload: string;
}

/** A message as feedback needs it. */
export interface FeedbackTarget {
  readonly id: number;
  readonly status: string;
  readonly protocol: string;
}

/** Rows of `vox_message_events`. */
export class MessageEventRows {
  readonly db: Kysely<VoxDatabase>;

  constructor(db: Kysely<VoxDatabase>) {
    this.db = db;
  }

  /** Writes an event; undefined when the provider's event id is already recorded (a replay). */
  async insert(event: NewMessageEvent, db: Db = this.db): Promise<number | undefined> {
    const row = await db
      .insertInto('vox_message_events')
      .values({
        message_id: event.messageId,
        provider: event.provider,
        provider_event_id: event.providerEventId,
        provider_message_id: event.providerMessageId,
        provider_ref: event.providerRef,
        message_key: event.messageKey,
        event: event.event,
        recipient: event.recipient,
        description: event.description,
        code: event.code,
        permanent: flag(event.permanent),
        pending: flag(event.pending),
        occurred_at: event.occurredAt,
        payload: event.payload,
        created_at: now(),
      })
      .onConflict((oc) => oc.columns(['provider', 'provider_event_id']).doNothing())
      .returning('id')
      .executeTakeFirst();
    return row?.id;
  }

  /**
   * The message an event is about: by the provider id Vox recorded, else by its idempotency key,
   * else through an earlier event of the same provider that carried the provider's own id and was
   * matched.
   */
  async findTarget(by: { provider: string; providerMessageId: string | null; messageKey: string | null; providerRef: string | null }, db: Db = this.db): Promise<FeedbackTarget | undefined> {
    const columns = ['id', 'status', 'protocol'] as const;
    if (by.providerMessageId !== null) {
      const row = await db.selectFrom('vox_messages').select(columns).where('provider_message_id', '=', by.providerMessageId).orderBy('id', 'desc').executeTakeFirst();
      if (row) return row;
    }
    if (by.messageKey !== null) {
      const row = await db.selectFrom('vox_messages').select(columns).where('idempotency_key', '=', by.messageKey).executeTakeFirst();
      if (row) return row;
    }
    if (by.providerRef !== null) {
      const row = await db
        .selectFrom('vox_message_events as e')
        .innerJoin('vox_messages as m', 'm.id', 'e.message_id')
        .select(['m.id', 'm.status', 'm.protocol'])
        .where('e.provider', '=', by.provider)
        .where('e.provider_ref', '=', by.providerRef)
        .executeTakeFirst();
      if (row) return row;
    }
    return undefined;
  }

  /** Takes pending event `eventId` for message `messageId`, to apply it; false when another process did first. */
  async claim(eventId: number, messageId: number, db: Db = this.db): Promise<boolean> {
    const result = await db.updateTable('vox_message_events').set({ message_id: messageId, pending: 0 }).where('id', '=', eventId).where('pending', '=', 1).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Pending events of these messages (by id, or by the provider id just recorded), oldest first:
   * two indexed look-ups per batch of sent records, of an index that holds only pending events.
   */
  async pendingFor(messageIds: readonly number[], providerMessageIds: readonly string[], db: Db = this.db): Promise<StoredEvent[]> {
    if (messageIds.length === 0) return [];
    const rows = await db
      .selectFrom('vox_message_events')
      .selectAll()
      .where('pending', '=', 1)
      .where((eb) => eb.or([eb('message_id', 'in', [...messageIds]), ...(providerMessageIds.length ? [eb('provider_message_id', 'in', [...providerMessageIds])] : [])]))
      .orderBy('id')
      .execute();
    return rows.map(toStored);
  }

  /** A message's history, in the order things happened (pending events included). */
  async ofMessage(messageId: number, db: Db = this.db): Promise<MessageEventRecord[]> {
    const rows = await db.selectFrom('vox_message_events').selectAll().where('message_id', '=', messageId).orderBy('occurred_at').orderBy('id').execute();
    return rows.map(toRecord);
  }
}

/** An event as stored, with what applying it later needs. */
export type StoredEvent = MessageEventRecord & { readonly permanent: boolean };

function toRecord(row: Selectable<MessageEventTable>): MessageEventRecord {
  return {
    id: row.id,
    messageId: row.message_id,
    provider: row.provider,
    providerEventId: row.provider_event_id,
    providerMessageId: row.provider_message_id,
    event: row.event as DeliveryEventName,
    recipient: row.recipient,
    description: row.description,
    code: row.code,
    occurredAt: row.occurred_at,
    payload: row.payload,
    receivedAt: row.created_at,
  };
}

function toStored(row: Selectable<MessageEventTable>): StoredEvent {
  return { ...toRecord(row), permanent: row.permanent === 1 };
}
