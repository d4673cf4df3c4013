/** What every migration of Vox's tables uses: an untyped database and the dialect's spelling of id columns. */
import type { CreateTableBuilder, Kysely } from 'kysely';
import type { SqlDialectName } from '../../vocabulary/database.ts';

/** Kysely's migrations are untyped by design: they run before the typed schema exists. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDb = Kysely<any>;

/**
 * One migration, as Kysely's `Migrator` runs it. Declared here rather than imported from
 * `kysely/migration`, a subpath that kysely 0.28 (within Vox's peer range) does not have.
 */
export interface Migration {
  up(db: AnyDb): Promise<void>;
  down?(db: AnyDb): Promise<void>;
}

/** Starts a table whose first column is an auto-increment `id`, as the dialect spells it. */
export function idTable(dialect: SqlDialectName, db: AnyDb, table: string): CreateTableBuilder<string, 'id'> {
  return dialect === 'postgres'
    ? db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    : db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}
