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

/**
 * Statements kept prepared: Kysely's queries come from a small set of shapes, but a batch's
 * statement grows with its rows (a fan-out's insert of 100 messages holds some 0.3 MB once
 * prepared), and batches of other sizes (a fan-out's last) would each keep one of their own. So
 * the cache is bounded by the length of the SQL it keeps as well as by count, and drops the
 * statement used longest ago.
 */
export const STATEMENT_CACHE = { statements: 200, sqlLength: 64 * 1024 } as const;

/** Prepared statements by SQL, least recently used first, within {@link STATEMENT_CACHE}. */
export class StatementCache<S> {
  readonly #entries = new Map<string, S>();
  readonly #prepare: (sql: string) => S;
  #sqlLength = 0;

  constructor(prepare: (sql: string) => S) {
    this.#prepare = prepare;
  }

  get(sql: string): S {
    let statement = this.#entries.get(sql);
    if (statement !== undefined) {
      // Most recently used: last in the map's order.
      this.#entries.delete(sql);
      this.#entries.set(sql, statement);
      return statement;
    }
    statement = this.#prepare(sql);
    // A statement longer than the whole budget runs unkept.
    if (sql.length > STATEMENT_CACHE.sqlLength) return statement;
    this.#entries.set(sql, statement);
    this.#sqlLength += sql.length;
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= STATEMENT_CACHE.statements && this.#sqlLength <= STATEMENT_CACHE.sqlLength) break;
      this.#entries.delete(oldest);
      this.#sqlLength -= oldest.length;
    }
    return statement;
  }

  /** What is kept: how many statements, and their SQL's length. */
  get size(): { readonly statements: number; readonly sqlLength: number } {
    return { statements: this.#entries.size, sqlLength: this.#sqlLength };
  }
}

function wrap(db: DatabaseSync): SqliteDatabase {
  const cache = new StatementCache<StatementSync>((sql) => db.prepare(sql));
  return {
    close: () => db.close(),
    prepare(sql: string): SqliteStatement {
      const statement = cache.get(sql);
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
