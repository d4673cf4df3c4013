/** Migration 0014: per recipient and notification, how many messages went out in the current throttle window. */
import type { AnyDb, Migration } from './kit.ts';

export function throttles(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('vox_throttles')
        .addColumn('notification', 'text', (c) => c.notNull())
        .addColumn('protocol', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('window_start', 'text', (c) => c.notNull())
        .addColumn('sent', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('vox_throttles_key', ['notification', 'protocol', 'address'])
        .execute();
    },
  };
}
