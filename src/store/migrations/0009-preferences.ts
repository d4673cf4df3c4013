/**
 * Migration 0009: recipients' preferences (one row per recipient, level, subject and protocol) and
 * what notifications declare for them (category with its label, defaults per protocol).
 */
import type { SqlDialectName } from '../../vocabulary/database.ts';
import { idTable, type AnyDb, type Migration } from './kit.ts';

export function preferences(dialect: SqlDialectName): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema.alterTable('vox_notifications').addColumn('category', 'text').execute();
      await db.schema.alterTable('vox_notifications').addColumn('category_label', 'text').execute();
      await db.schema.alterTable('vox_notifications').addColumn('defaults', 'text', (c) => c.notNull().defaultTo('{}')).execute();
      // The unique key leads with the recipient, so the fan-out's batched look-up
      // (recipient_model = ? and recipient_id in (…)) reads it as an index.
      await idTable(dialect, db, 'vox_preferences')
        .addColumn('recipient_model', 'text', (c) => c.notNull())
        .addColumn('recipient_id', 'text', (c) => c.notNull())
        .addColumn('level', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('protocol', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('vox_preferences_unique', ['recipient_model', 'recipient_id', 'level', 'subject', 'protocol'])
        .execute();
    },
  };
}
