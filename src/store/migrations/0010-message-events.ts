/**
 * Migration 0010: delivery feedback. Each message's history of provider events (and orphans: events
 * of no message known yet), idempotent on the provider's event id; and an index on the provider's
 * message id, by which webhooks find the message they report on.
 */
import { sql } from 'kysely';
import type { SqlDialectName } from '../../vocabulary/database.ts';
import { idTable, type AnyDb, type Migration } from './kit.ts';

export function messageEvents(dialect: SqlDialectName): Migration {
  return {
    async up(db: AnyDb) {
      await idTable(dialect, db, 'vox_message_events')
        .addColumn('message_id', 'integer', (c) => c.references('vox_messages.id').onDelete('cascade'))
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('provider_event_id', 'text', (c) => c.notNull())
        .addColumn('provider_message_id', 'text')
        .addColumn('provider_ref', 'text')
        .addColumn('message_key', 'text')
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('recipient', 'text')
        .addColumn('description', 'text')
        .addColumn('code', 'text')
        .addColumn('permanent', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('pending', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('occurred_at', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('vox_message_events_provider_event', ['provider', 'provider_event_id'])
        .execute();
      await db.schema.createIndex('vox_message_events_message').on('vox_message_events').column('message_id').execute();
      // Reports that came before their message's sent record wait here; each batch of sent records
      // looks them up by provider id and by message id.
      await db.schema.createIndex('vox_message_events_pending_provider').on('vox_message_events').column('provider_message_id').where(sql.ref('pending'), '=', 1).execute();
      await db.schema.createIndex('vox_message_events_pending_message').on('vox_message_events').column('message_id').where(sql.ref('pending'), '=', 1).execute();
      await db.schema.createIndex('vox_message_events_ref').on('vox_message_events').columns(['provider', 'provider_ref']).where(sql.ref('provider_ref'), 'is not', null).execute();
      await db.schema
        .createIndex('vox_messages_provider_message')
        .on('vox_messages')
        .column('provider_message_id')
        .where(sql.ref('provider_message_id'), 'is not', null)
        .execute();
    },
  };
}
