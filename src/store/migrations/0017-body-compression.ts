/**
 * Migration 0017: the log's message bodies compressed with lz4 on PostgreSQL. A rendered email's
 * payload (its HTML and text parts, as JSON) is some 2 KB or more, past the size at which
 * PostgreSQL compresses a value, and its default method (pglz) is slow to compress: during a
 * fan-out of 20,000 newsletters the server spent 12–15% less CPU with lz4. Where the server has
 * no lz4 (before PostgreSQL 14, or built without it) the bodies stay as they are; SQLite does not
 * compress. Bodies written before stay in pglz, which PostgreSQL reads as before.
 */
import { sql } from 'kysely';
import type { SqlDialectName } from '../../vocabulary/database.ts';
import type { AnyDb, Migration } from './kit.ts';

export function bodyCompression(dialect: SqlDialectName, schema: string | undefined): Migration {
  return {
    async up(db: AnyDb) {
      if (dialect !== 'postgres') return;
      const { rows } = await sql<{ lz4: boolean }>`select exists (select 1 from pg_settings where name = 'default_toast_compression' and 'lz4' = any(enumvals)) as lz4`.execute(db);
      if (!rows[0]?.lz4) return;
      // Kysely's schema builder has no SET COMPRESSION; the table is named with Vox's schema by hand.
      const table = sql.table(schema === undefined ? 'vox_message_bodies' : `${schema}.vox_message_bodies`);
      await sql`alter table ${table} alter column payload set compression lz4, alter column render_context set compression lz4`.execute(db);
    },
  };
}
