import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DatabaseOptions } from '../../src/index.ts';

/** A database the storage and delivery tests run against. */
export interface TestDatabase {
  readonly name: 'sqlite' | 'postgres';
  /** Why the tests are skipped here, or false. */
  readonly skip: string | false;
  /** A fresh, empty database; `drop()` removes it. */
  create(): Promise<{ readonly options: DatabaseOptions; drop(): Promise<void> }>;
}

const postgresUrl = process.env.VOX_TEST_POSTGRES_URL;

export const databases: readonly TestDatabase[] = [
  {
    name: 'sqlite',
    skip: false,
    create: async () => ({ options: { dialect: 'sqlite', path: ':memory:' }, drop: async () => {} }),
  },
  {
    name: 'postgres',
    skip: postgresUrl ? false : 'VOX_TEST_POSTGRES_URL is not set: PostgreSQL tests skipped (.ci/run sets it)',
    async create() {
      // Each test gets its own schema, so tests can run in parallel against one database.
      const schema = `vox_test_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: postgresUrl });
      await admin.connect();
      await admin.query(`create schema ${schema}`);
      await admin.end();
      const pool = new pg.Pool({ connectionString: postgresUrl, options: `-c search_path=${schema}`, max: 5 });
      return {
        options: { dialect: 'postgres', pool },
        async drop() {
          const client = new pg.Client({ connectionString: postgresUrl });
          await client.connect();
          await client.query(`drop schema ${schema} cascade`);
          await client.end();
        },
      };
    },
  },
];
