// The `database` forms of docs/getting-started.md: what Vox does to a SQLite file, a pg pool and a
// Kysely instance it is given, as the app would notice.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import { Kysely, sql, type Dialect } from 'kysely';
import type * as KyselyModule from 'kysely';
import pg from 'pg';
import { createVox, nodeSqliteDialect, type VoxError } from '../src/index.ts';
import { createSchema } from './support/databases.ts';

const postgresUrl = process.env.VOX_TEST_POSTGRES_URL;

describe('database options', () => {
  test('a SQLite file is put in WAL mode', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vox-wal-'));
    try {
      const vox = createVox({ database: { dialect: 'sqlite', path: join(dir, 'vox.db') }, worker: false });
      await vox.migrate();
      await vox.close();
      const file = new DatabaseSync(join(dir, 'vox.db'));
      try {
        assert.equal((file.prepare('pragma journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
      } finally {
        file.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("the app's Kysely instance is left open by vox.close()", async () => {
    const db = new Kysely<{ notes: { id: number } }>({ dialect: nodeSqliteDialect(':memory:') });
    try {
      const vox = createVox({ database: db, worker: false });
      await vox.migrate();
      await vox.close();
      await db.schema.createTable('notes').addColumn('id', 'integer').execute();
      await db.insertInto('notes').values({ id: 1 }).execute();
      assert.deepEqual((await db.selectFrom('notes').selectAll().execute()).map((row) => row.id), [1]);
    } finally {
      await db.destroy();
    }
  });

  test('a Kysely instance of another copy of kysely (as npm nests one of another version) is refused with what to do', async () => {
    // The module that defines Kysely, loaded under another URL, is to Node another copy of it.
    const copy = (await import(`${import.meta.resolve('kysely').replace(/index\.js$/, 'kysely.js')}?another-copy`)) as typeof KyselyModule;
    const db = new copy.Kysely<unknown>({ dialect: nodeSqliteDialect(':memory:') as unknown as Dialect });
    try {
      assert.ok(!(db instanceof Kysely), 'a second copy indeed');
      assert.throws(
        () => createVox({ database: db as unknown as Kysely<unknown>, worker: false }),
        (error: VoxError) => error.code === 'VOX_CONFIGURATION' && /comes from another copy of kysely/.test(error.message) && /npm ls kysely/.test(error.message),
      );
    } finally {
      await db.destroy();
    }
  });

  test('a pg pool passed in is ended by vox.close()', { skip: postgresUrl ? false : 'VOX_TEST_POSTGRES_URL is not set' }, async () => {
    const { schema, drop } = await createSchema(postgresUrl as string, 'vox_pool');
    try {
      const pool = new pg.Pool({ connectionString: postgresUrl, options: `-c search_path=${schema}`, max: 2 });
      const vox = createVox({ database: { dialect: 'postgres', pool }, worker: false });
      await vox.migrate();
      assert.equal(pool.ended, false);
      await vox.close();
      assert.equal(pool.ended, true);
      await assert.rejects(pool.query('select 1'));
    } finally {
      await drop();
    }
  });

  test('the tables Vox creates are the documented ones', async () => {
    const db = new Kysely<Record<string, never>>({ dialect: nodeSqliteDialect(':memory:') });
    try {
      const vox = createVox({ database: db, worker: false });
      await vox.migrate();
      await vox.close();
      const { rows } = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name like 'vox%' order by name`.execute(db);
      assert.deepEqual(rows.map((r) => r.name), [
        'vox_activity_followers',
        'vox_activity_following',
        'vox_activity_inbox',
        'vox_activity_keys',
        'vox_activity_outbox',
        'vox_activity_queue',
        'vox_digest_events',
        'vox_digests',
        'vox_inbox_items',
        'vox_issues',
        'vox_kv',
        'vox_message_bodies',
        'vox_message_events',
        'vox_messages',
        'vox_migrations',
        'vox_migrations_lock',
        'vox_notifications',
        'vox_preferences',
        'vox_rate_limits',
        'vox_site_contact_settings',
        'vox_site_contacts',
        'vox_suppressions',
        'vox_template_attachments',
        'vox_templates',
        'vox_throttles',
      ]);
    } finally {
      await db.destroy();
    }
  });
});
