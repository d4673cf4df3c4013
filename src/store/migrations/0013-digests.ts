/** Migration 0013: digests (a recipient's events gathered until the digest closes) and their events. */
import { sql } from 'kysely';
import type { SqlDialectName } from '../../vocabulary/database.ts';
import { idTable, type AnyDb, type Migration } from './kit.ts';

export function digests(dialect: SqlDialectName): Migration {
  return {
    async up(db: AnyDb) {
      await idTable(dialect, db, 'vox_digests')
        .addColumn('template_id', 'integer', (c) => c.notNull())
        .addColumn('notification', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('digest_key', 'text', (c) => c.notNull())
        .addColumn('contact', 'text', (c) => c.notNull())
        .addColumn('recipient', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('events', 'integer', (c) => c.notNull())
        .addColumn('last_issue_id', 'integer', (c) => c.notNull())
        .addColumn('opened_at', 'text', (c) => c.notNull())
        .addColumn('due_at', 'text', (c) => c.notNull())
        .addColumn('close_by', 'text', (c) => c.notNull())
        .addColumn('locked_until', 'text')
        .addColumn('message_id', 'integer')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      // One open digest per template, recipient address and key: an event joins it by an upsert.
      await db.schema.createIndex('vox_digests_open').unique().on('vox_digests').columns(['template_id', 'address', 'digest_key']).where(sql.ref('status'), '=', 'open').execute();
      await db.schema.createIndex('vox_digests_due').on('vox_digests').columns(['status', 'due_at']).execute();
      await idTable(dialect, db, 'vox_digest_events')
        .addColumn('digest_id', 'integer', (c) => c.notNull().references('vox_digests.id').onDelete('cascade'))
        .addColumn('issue_id', 'integer', (c) => c.notNull())
        /** The issue, template, address and key of the event: a fan-out run again adds nothing twice. */
        .addColumn('event_key', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      // A template's own digest (JSON: false, or settings replacing the notification's); null follows the notification.
      await db.schema.alterTable('vox_templates').addColumn('digest', 'text').execute();
      await db.schema.createIndex('vox_digest_events_digest').on('vox_digest_events').columns(['digest_id', 'issue_id']).execute();
    },
  };
}
