import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DatabaseOptions } from '../../src/index.ts';
import type { FixtureDatabase } from '../fixtures/news.ts';
import { createSchema } from './databases.ts';

const postgresUrl = process.env.VOX_TEST_POSTGRES_URL;

/** One database that several Vox instances open, as separate processes would. */
export interface SharedDatabase {
  /** Where a child process finds it (test/fixtures/news.ts). */
  readonly fixture: FixtureDatabase;
  /** Options for one more Vox on it: the SQLite file, or a new pg pool on the schema. */
  database(): DatabaseOptions;
  /** Ends the pools and removes the file or the schema. */
  drop(): Promise<void>;
}

/** A SQLite file and a PostgreSQL schema, each openable many times; `prefix` names the file or schema. */
export const sharedDatabases: readonly { readonly name: 'sqlite' | 'postgres'; readonly skip: string | false; open(prefix: string): Promise<SharedDatabase> }[] = [
  {
    name: 'sqlite',
    skip: false,
    async open(prefix) {
      const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
      const fixture: FixtureDatabase = { dialect: 'sqlite', path: join(dir, 'vox.db') };
      return { fixture, database: () => fixture, drop: () => rm(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'postgres',
    skip: postgresUrl ? false : 'VOX_TEST_POSTGRES_URL is not set: PostgreSQL tests skipped (.ci/run sets it)',
    async open(prefix) {
      const { schema, drop } = await createSchema(postgresUrl as string, prefix.replace(/\W/g, '_'));
      const pools: pg.Pool[] = [];
      return {
        fixture: { dialect: 'postgres', url: postgresUrl as string, schema },
        database: () => {
          const pool = new pg.Pool({ connectionString: postgresUrl, options: `-c search_path=${schema}`, max: 4 });
          pools.push(pool);
          return { dialect: 'postgres', pool };
        },
        drop: async () => {
          await Promise.all(pools.splice(0).map((p) => p.end().catch(() => {})));
          await drop();
        },
      };
    },
  },
];
