/** Migration 0012: scheduled issues (a time before which no worker fans them out) and keys to cancel them by. */
import { sql } from 'kysely';
import type { AnyDb, Migration } from './kit.ts';

export function schedule(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema.alterTable('vox_issues').addColumn('due_at', 'text').execute();
      await db.schema.alterTable('vox_issues').addColumn('key', 'text').execute();
      // A key names one waiting issue at a time: once fanned out or cancelled, it may be used again.
      await db.schema.createIndex('vox_issues_pending_key').unique().on('vox_issues').column('key').where(sql.ref('status'), '=', 'pending').execute();
      await db.schema.createIndex('vox_issues_due').on('vox_issues').columns(['status', 'due_at']).execute();
    },
  };
}
