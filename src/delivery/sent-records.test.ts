// Sent records as written to the log, on SQLite and PostgreSQL: the statements that reach the
// database (seen through a Kysely plugin), the rows they leave, and a statement the database refuses.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type KyselyPlugin } from 'kysely';
import { databases } from '../../test/support/databases.ts';
import { connect, type Connection } from '../store/connect.ts';
import { migrateToLatest } from '../store/migrations/index.ts';
import { Store } from '../store/store.ts';
import { SentRecords } from './sent-records.ts';

for (const database of databases) {
  describe(`sent records (${database.name})`, { skip: database.skip }, () => {
    let connection: Connection;
    let drop: () => Promise<void>;
    let store: Store;
    /** When each statement that records sends reached the database. */
    const statements: number[] = [];
    const watch: KyselyPlugin = {
      transformQuery(args) {
        if (args.node.kind === 'UpdateQueryNode' && JSON.stringify(args.node).includes('"sent"')) statements.push(performance.now());
        return args.node;
      },
      transformResult: async (args) => args.result,
    };

    before(async () => {
      const created = await database.create();
      drop = created.drop;
      connection = connect(created.options);
      await migrateToLatest(connection.db, connection.dialect);
      store = new Store(connection.db.withPlugin(watch), connection.dialect, connection.schema);
    });
    after(async () => {
      await connection.close();
      await drop();
    });

    /** `count` messages taken for sending, as the log holds them before their sent records; their ids. */
    async function sending(count: number): Promise<number[]> {
      const key = `${Date.now()}-${Math.random()}`;
      await store.messages.insertMany(Array.from({ length: count }, (_, i) => ({ issueId: null, notificationId: null, notification: 'test.sent', templateId: null, backend: 'email-html', protocol: 'email', to: [{ name: '', protocol: 'email', address: `s${i}@example.org` }], status: 'sending' as const, idempotencyKey: `${key}:${i}` })));
      const rows = await connection.db.selectFrom('vox_messages').select('id').where('idempotency_key', 'like', `${key}:%`).orderBy('id').execute();
      return rows.map((r) => r.id);
    }
    const sentRows = async (ids: readonly number[]) =>
      connection.db.selectFrom('vox_messages').select(['id', 'status', 'provider_message_id']).where('id', 'in', ids).where('status', '=', 'sent').orderBy('id').execute();

    test('a busy sender\'s records are written many per statement, each within the delay and one statement\'s time', async () => {
      const ids = await sending(400);
      statements.length = 0;
      const looked: number[][] = [];
      const records = new SentRecords(store.claims, async (batch) => void looked.push(batch.map((m) => m.id)));
      const started = performance.now();
      const waits: Promise<number>[] = [];
      // 400 sends, 4 a millisecond: a fast statement used to take a few records each.
      for (const [i, id] of ids.entries()) {
        const recorded = performance.now();
        waits.push(records.record(id, `<${id}@example.com>`).then(() => performance.now() - recorded));
        if (i % 4 === 3) await sleep(1);
      }
      const latencies = await Promise.all(waits);
      // One statement per delay (25 ms) or so, however slow this machine's timers are; one per write before (22 on SQLite here).
      const elapsed = performance.now() - started;
      assert.ok(statements.length <= Math.ceil(elapsed / 25) + 2, `${statements.length} statements for 400 records in ${elapsed.toFixed(0)} ms`);
      assert.deepEqual((await sentRows(ids)).map((r) => [r.id, r.provider_message_id]), ids.map((id) => [id, `<${id}@example.com>`]));
      assert.deepEqual(looked.flat(), ids, 'each batch looked for waiting reports once it was written');
      assert.equal(looked.length, statements.length);
      assert.ok(Math.max(...latencies) < 250, `the slowest record took ${Math.max(...latencies).toFixed(0)} ms`);
    });

    test('a full batch is written at once, without the delay', async () => {
      const ids = await sending(300);
      statements.length = 0;
      const records = new SentRecords(store.claims);
      const started = performance.now();
      await Promise.all(ids.map((id) => records.record(id, null)));
      assert.equal(statements.length, 2, 'one statement of 256, one of the 44 left');
      assert.ok(statements[0]! - started < 20, `the full batch waited ${(statements[0]! - started).toFixed(0)} ms`);
      assert.equal((await sentRows(ids)).length, 300);
    });

    test('a statement the database refuses fails its records; the records after it are still written', async () => {
      const ids = await sending(6);
      const [refused = 0] = ids;
      // A constraint the database checks on every update, that the first message breaks.
      const constraint = database.name === 'postgres'
        ? { add: `alter table vox_messages add constraint refuse_sent check (status <> 'sent' or id <> ${refused}) not valid`, drop: 'alter table vox_messages drop constraint refuse_sent' }
        : { add: `create trigger refuse_sent before update on vox_messages when new.id = ${refused} and new.status = 'sent' begin select raise(abort, 'refused'); end`, drop: 'drop trigger refuse_sent' };
      await sqlOn(connection, constraint.add);
      const records = new SentRecords(store.claims);
      const outcomes = await Promise.allSettled(ids.slice(0, 5).map((id) => records.record(id, null)));
      assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
      assert.deepEqual(await sentRows(ids), [], 'nothing of the refused statement was written');
      await sqlOn(connection, constraint.drop);
      await records.record(ids[5]!, null);
      assert.deepEqual((await sentRows(ids)).map((r) => r.id), [ids[5]]);
    });
  });
}

async function sqlOn(connection: Connection, statement: string): Promise<void> {
  await sql.raw(statement).execute(connection.db);
}
