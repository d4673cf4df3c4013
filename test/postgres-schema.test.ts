// database.schema on PostgreSQL (docs/getting-started.md#creating-the-vox-instance): Vox's tables
// live in the schema named there, whatever the connection's search_path, and a caller's
// transaction writes its issue there too.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createVox, ErrorCode } from '../src/index.ts';
import { htmlEmail } from '../src/backends/email/index.ts';

const url = process.env.VOX_TEST_POSTGRES_URL;

describe('PostgreSQL schema option', { skip: url ? false : 'VOX_TEST_POSTGRES_URL is not set' }, () => {
  const schema = `vox_schema_${randomBytes(6).toString('hex')}`;
  let pool: pg.Pool;
  let app: Kysely<{ orders: { id: number } }>;

  before(() => {
    // The pool's search_path is the server's default: nothing points it at Vox's schema.
    pool = new pg.Pool({ connectionString: url, max: 4 });
    // The app's own pool: vox.close() ends the one Vox was given.
    app = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }) });
  });
  after(async () => {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(app);
    await app.destroy();
  });

  test('migrate creates the schema and its tables; issues, messages and a caller transaction use it', async () => {
    const sent: object[] = [];
    const transport = { sendMail: async (mail: object) => (sent.push(mail), { messageId: '<1@example.org>' }) };
    const vox = createVox({ database: { dialect: 'postgres', pool, schema }, backends: [htmlEmail({ transport, from: 'shop@example.org' })], worker: { sweepIntervalMs: 50 } });
    try {
      const Order = vox.model('shop.order', {
        id: (o: { id: number; email: string }) => o.id,
        notifications: { placed: 'An order was placed' },
        channels: { self: true },
        contacts: { email: (o) => o.email },
      });
      assert.ok((await vox.migrate()).includes('0007_message_notification'));
      await vox.sync();
      await vox.templates.ensure({ key: 'placed', notification: 'shop.order.placed', backend: 'email-html', recipients: ['c'], subject: 'Placed', content: '<p>Thanks</p>' });

      // The app's own transaction, on a Kysely that knows nothing of the schema.
      const ticket = await app.transaction().execute((trx) => Order.notify({ id: 1, email: 'ann@example.org' }, 'placed', { trx }));
      const result = await ticket.settled();
      assert.equal(result.sent, 1);
      assert.equal(sent.length, 1);

      const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = ${schema} order by table_name`.execute(app);
      const names = tables.rows.map((r) => r.table_name);
      for (const table of ['vox_issues', 'vox_messages', 'vox_migrations', 'vox_notifications', 'vox_templates']) assert.ok(names.includes(table), `${table} in ${schema}`);
      const issues = await sql<{ count: string }>`select count(*) as count from ${sql.table(`${schema}.vox_issues`)}`.execute(app);
      assert.equal(Number(issues.rows[0]?.count), 1);
      assert.equal((await sql<{ schema: string }>`select current_schema() as schema`.execute(app)).rows[0]?.schema, 'public', 'the connection still points elsewhere');
      assert.deepEqual(await vox.migrate(), [], 'up to date the second time');
    } finally {
      await vox.close();
    }
  });

  test('a schema that is not a PostgreSQL name is refused with VOX_CONFIGURATION', () => {
    assert.throws(() => createVox({ database: { dialect: 'postgres', pool, schema: 'vox; drop table x' } }), { code: ErrorCode.configuration });
  });

  test('migrate succeeds while the host app changes tables in other schemas at the same moment', async () => {
    // Another app (or test suite) sharing the server creates and drops its own tables meanwhile.
    const other = sql.id(`${schema}_other`);
    await sql`create schema ${other}`.execute(app);
    const columns = sql.raw(Array.from({ length: 30 }, (_, c) => `c${c} serial`).join(', '));
    let churning = true;
    const churn = (async () => {
      for (let i = 0; churning; i++) {
        const table = sql.id(`t${i % 4}`);
        await sql`create table ${other}.${table} (${columns})`.execute(app);
        await sql`drop table ${other}.${table}`.execute(app);
      }
    })();
    try {
      for (let round = 0; round < 8; round++) {
        const own = `${schema}_m${round}`;
        const vox = createVox({ database: { dialect: 'postgres', pool: new pg.Pool({ connectionString: url, max: 2 }), schema: own }, backends: [] });
        try {
          assert.ok((await vox.migrate()).includes('0014_throttles'), `round ${round}`);
        } finally {
          await vox.close();
          await sql`drop schema ${sql.id(own)} cascade`.execute(app);
        }
      }
    } finally {
      churning = false;
      await churn;
      await sql`drop schema ${other} cascade`.execute(app);
    }
  });
});
