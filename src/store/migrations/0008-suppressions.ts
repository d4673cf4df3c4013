/** Migration 0008: the suppression list (addresses per protocol that no message may go to). */
import type { SqlDialectName } from '../../vocabulary/database.ts';
import { idTable, type AnyDb, type Migration } from './kit.ts';

export function suppressions(dialect: SqlDialectName): Migration {
  return {
    async up(db: AnyDb) {
      await idTable(dialect, db, 'vox_suppressions')
        .addColumn('protocol', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('note', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('vox_suppressions_address', ['protocol', 'address'])
        .execute();
    },
  };
}
