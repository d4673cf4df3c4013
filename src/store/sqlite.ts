/** A Kysely dialect for node:sqlite (built into Node), so the embedded default needs no native addon. */
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';

/**
 * Kysely's SQLite dialect over Node's built-in `node:sqlite`, so the embedded default needs no
 * native addon. Kysely serialises access to the single connection. Use it for your own Kysely
 * instance when your tables and Vox's share one SQLite file, so that `notify()` can join your
 * transactions:
 *
 * ```ts
 * const db = new Kysely<AppDatabase>({ dialect: nodeSqliteDialect('app.db') });
 * const vox = createVox({ database: db, backends });
 * ```
 */
export function nodeSqliteDialect(path: string): SqliteDialect {
  return new SqliteDialect({
    database: async () => {
      const db = new DatabaseSync(path);
      db.exec('PRAGMA foreign_keys = ON');
      if (path !== ':memory:') {
        // First: the pragmas after it wait for another process's lock instead of failing with
        // "database is locked" (processes that start together, such as several `vox sync`).
        db.exec('PRAGMA busy_timeout = 5000');
        db.exec('PRAGMA journal_mode = WAL');
        // In WAL mode, NORMAL syncs at checkpoints rather than at every commit: a crash of the
        // process loses nothing; only a power loss may lose the last commits.
        db.exec('PRAGMA synchronous = NORMAL');
        // Checkpoints run inside the commit that crosses the threshold, on the host's thread: a
        // quarter of the default keeps each one short (a few milliseconds, not tens).
        db.exec('PRAGMA wal_autocheckpoint = 250');
      }
      return wrap(db);
    },
  });
}

/** Statements kept prepared; Kysely's queries come from a small set of shapes. */
const STATEMENT_CACHE_SIZE = 200;

function wrap(db: DatabaseSync): SqliteDatabase {
  const cache = new Map<string, StatementSync>();
  const prepared = (sql: string): StatementSync => {
    let statement = cache.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      cache.set(sql, statement);
    }
    return statement;
  };
  return {
    close: () => db.close(),
    prepare(sql: string): SqliteStatement {
      const statement = prepared(sql);
      const params = (values: ReadonlyArray<unknown>) => values.map(toSqlite);
      return {
        reader: statement.columns().length > 0,
        all: (values) => statement.all(...params(values)),
        run: (values) => statement.run(...params(values)),
        iterate: (values) => statement.iterate(...params(values)),
      };
    },
  };
}

function toSqlite(value: unknown): SQLInputValue {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  if (value === undefined) return null;
  return value as SQLInputValue;
}
