/** Migration 0011: the in-app inbox's items, one per recipient per message, with seen, read and archived times. */
import type { SqlDialectName } from '../../vocabulary/database.ts';
import { idTable, type AnyDb, type Migration } from './kit.ts';

export function inbox(dialect: SqlDialectName): Migration {
  return {
    async up(db: AnyDb) {
      await idTable(dialect, db, 'vox_inbox_items')
        .addColumn('message_id', 'integer')
        .addColumn('recipient', 'text', (c) => c.notNull())
        .addColumn('notification', 'text')
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('html', 'text', (c) => c.notNull())
        .addColumn('link', 'text')
        .addColumn('actor', 'text')
        .addColumn('data', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('seen_at', 'text')
        .addColumn('read_at', 'text')
        .addColumn('archived_at', 'text')
        // A message sent again (a retry after a crash, a resend) leaves no second item.
        .addUniqueConstraint('vox_inbox_items_message_recipient', ['message_id', 'recipient'])
        .execute();
      // Lists and counts read one recipient's items, newest first.
      await db.schema.createIndex('vox_inbox_items_recipient').on('vox_inbox_items').columns(['recipient', 'id']).execute();
    },
  };
}
