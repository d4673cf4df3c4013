/**
 * Migration 0015: who a digest is for (the recipient's model and id, and time zone), so that its
 * close can screen it against preferences and suppressions made while it gathered, and hold it in
 * the recipient's quiet hours. Null for site contacts, and for digests opened before this.
 */
import type { AnyDb, Migration } from './kit.ts';

export function digestRecipients(): Migration {
  return {
    async up(db: AnyDb) {
      for (const column of ['recipient_model', 'recipient_id', 'recipient_zone']) {
        await db.schema.alterTable('vox_digests').addColumn(column, 'text').execute();
      }
    },
  };
}
