/** What every migration of Vox's tables uses: an untyped database and the dialect's spelling of id columns. */
import type { CreateTableBuilder, Kysely } from 'kysely';
import type { SqlDialectName } from '../../vocabulary/database.ts';

/** Kysely's migrations are untyped by design: they run before the typed schema exists. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDb = Kysely<any>;

/** Starts a table whose first column is an auto-increment `id`, as the dialect spells it. */
export function idTable(dialect: SqlDialectName, db: AnyDb, table: string): CreateTableBuilder<string, 'id'> {
  return dialect === 'postgres'
    ? db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    : db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}
