/** Opening Vox's database: a SQLite file, a PostgreSQL URL or pool, or the app's own Kysely. */
import { createRequire } from 'node:module';
import type Pg from 'pg';
import { Kysely, PostgresAdapter, PostgresDialect, SqliteAdapter, type Dialect } from 'kysely';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { VoxDatabase } from './schema.ts';
import type { PgListenClient } from './pg-bus.ts';
import { nodeSqliteDialect } from './sqlite.ts';
import type { SqlDialectName } from '../vocabulary/database.ts';

/** The slice of a `pg` Pool that Kysely's PostgreSQL dialect uses. */
export interface PgPoolLike {
  connect(): Promise<unknown>;
  end(): Promise<void>;
}

/** Where on PostgreSQL Vox keeps its tables. */
export interface PostgresSchemaOption {
  /**
   * The schema of Vox's tables, for example `vox`: every statement names it, so the connection's
   * `search_path` does not matter, and `vox.migrate()` creates it when it is missing. A `trx`
   * passed to notify() is pointed at it too. @default the connection's current schema (the first of `search_path`)
   */
  readonly schema?: string;
}

/** Where Vox keeps its tables. `DB` is your application's Kysely database type, when you pass a Kysely instance. */
export type DatabaseOptions<DB = unknown> =
  /** The embedded default: a file, or `:memory:`. */
  | { readonly dialect: 'sqlite'; readonly path: string }
  /** PostgreSQL through `pg` (an optional peer dependency): a URL, or your own pool. */
  | ({ readonly dialect: 'postgres'; readonly url: string } & PostgresSchemaOption)
  | ({ readonly dialect: 'postgres'; readonly pool: PgPoolLike } & PostgresSchemaOption)
  /** Your application's Kysely instance (SQLite or PostgreSQL); Vox never destroys it. */
  | Kysely<DB>;

/** A connected database and what Vox needs to know about it. */
export interface Connection {
  /** Qualifies Vox's tables with {@link Connection.schema} when there is one. */
  readonly db: Kysely<VoxDatabase>;
  readonly dialect: SqlDialectName;
  /** The PostgreSQL schema of Vox's tables, when configured. */
  readonly schema?: string;
  /** Closes what Vox opened; a caller's Kysely is left alone. */
  close(): Promise<void>;
  /** On PostgreSQL from a URL or a pool: opens a connection of its own, for `LISTEN`. */
  readonly listenClient?: () => Promise<PgListenClient>;
}

/** Opens the database described by `options`. */
export function connect<DB>(options: DatabaseOptions<DB>): Connection {
  if (options instanceof Kysely) {
    // Vox only touches its own vox_ tables, whatever the caller's database type is.
    const db = options as unknown as Kysely<VoxDatabase>;
    return { db, dialect: dialectOf(db), close: async () => {} };
  }
  if (looksLikeKysely(options)) {
    throw new VoxError(
      ErrorCode.configuration,
      'this Kysely instance comes from another copy of kysely than the one Vox uses, so Vox cannot run queries on it: install one copy (`npm ls kysely` shows both; `npm dedupe`, or a kysely version within Vox\'s range)',
    );
  }
  let dialect: Dialect;
  let schema: string | undefined;
  let listenClient: (() => Promise<PgListenClient>) | undefined;
  if (options.dialect === 'sqlite') {
    dialect = nodeSqliteDialect(options.path);
  } else if (options.dialect === 'postgres') {
    const pool = 'pool' in options ? options.pool : openPool(options.url);
    listenClient = 'pool' in options ? async () => (await options.pool.connect()) as PgListenClient : () => openClient(options.url);
    dialect = new PostgresDialect({ pool: pool as ConstructorParameters<typeof PostgresDialect>[0]['pool'] });
    schema = checkedSchema(options.schema);
  } else {
    throw new VoxError(ErrorCode.configuration, `unknown database dialect ${JSON.stringify((options as { dialect: unknown }).dialect)}; use 'sqlite' or 'postgres'`);
  }
  const db = new Kysely<VoxDatabase>({ dialect });
  return {
    db: schema === undefined ? db : db.withSchema(schema),
    dialect: options.dialect,
    ...(schema === undefined ? {} : { schema }),
    ...(listenClient === undefined ? {} : { listenClient }),
    close: () => db.destroy(),
  };
}

/** An object with Kysely's shape that is not an instance of the kysely Vox imports: another copy's. */
function looksLikeKysely(options: object): boolean {
  const candidate = options as Partial<Record<'selectFrom' | 'transaction' | 'getExecutor', unknown>>;
  return typeof candidate.selectFrom === 'function' && typeof candidate.transaction === 'function' && typeof candidate.getExecutor === 'function';
}

function checkedSchema(schema: string | undefined): string | undefined {
  if (schema === undefined) return undefined;
  if (typeof schema !== 'string' || !/^[a-z_][a-z0-9_$]{0,62}$/i.test(schema)) {
    throw new VoxError(ErrorCode.configuration, `database.schema ${JSON.stringify(schema)} must be a PostgreSQL name: letters, digits and _, at most 63 characters`);
  }
  return schema;
}

function openPool(url: string): PgPoolLike {
  return new (pgModule().Pool)({ connectionString: url });
}

async function openClient(url: string): Promise<PgListenClient> {
  const client = new (pgModule().Client)({ connectionString: url });
  await client.connect();
  return client as unknown as PgListenClient;
}

function pgModule(): typeof Pg {
  let pg: typeof Pg;
  try {
    // pg is an optional peer dependency, loaded only when PostgreSQL is asked for.
    pg = createRequire(import.meta.url)('pg') as typeof Pg;
  } catch (cause) {
    throw new VoxError(ErrorCode.configuration, 'PostgreSQL needs the `pg` package: npm install pg', { cause });
  }
  return pg;
}

function dialectOf(db: Kysely<VoxDatabase>): SqlDialectName {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof SqliteAdapter) return 'sqlite';
  if (adapter instanceof PostgresAdapter) return 'postgres';
  throw new VoxError(ErrorCode.configuration, 'Vox supports Kysely instances for SQLite and PostgreSQL only');
}
