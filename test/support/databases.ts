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
      const { schema, drop } = await createSchema(postgresUrl as string, 'vox_test');
      const pool = new pg.Pool({ connectionString: postgresUrl, options: `-c search_path=${schema}`, max: 5 });
      return { options: { dialect: 'postgres', pool }, drop };
    },
  },
];

/** Runs one statement on PostgreSQL on a connection of its own (creating or dropping a schema), and ends it. */
export async function onPostgres(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A new PostgreSQL schema, so that tests can run in parallel against one database; `drop()` removes it. */
export async function createSchema(url: string, prefix: string): Promise<{ readonly schema: string; drop(): Promise<void> }> {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  await onPostgres(url, `create schema ${schema}`);
  return { schema, drop: () => onPostgres(url, `drop schema ${schema} cascade`) };
}
