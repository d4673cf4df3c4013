import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { databases } from '../../test/support/databases.ts';
import { waitFor } from '../../test/support/wait.ts';
import { connect } from '../store/connect.ts';
import { migrateToLatest } from '../store/migrations/index.ts';
import { SqlKvStore } from './kv.ts';
import { SqlMessageQueue } from './queue.ts';
import type { ActivityDatabase } from './schema.ts';

const ms = (n: number) => ({ total: () => n });

for (const database of databases) {
  describe(`Fedify's key-value store and queue in Vox's database (${database.name})`, { skip: database.skip }, () => {
    let db: Kysely<ActivityDatabase>;
    let close: () => Promise<void>;
    before(async () => {
      const created = await database.create();
      const connection = connect(created.options);
      await migrateToLatest(connection.db, connection.dialect);
      db = connection.db as unknown as Kysely<ActivityDatabase>;
      close = async () => {
        await connection.close();
        await created.drop();
      };
    });
    after(() => close());

    test('get, set, delete, JSON values, any key characters', async () => {
      const kv = new SqlKvStore(db);
      assert.equal(await kv.get(['a', 'b/c']), undefined);
      await kv.set(['a', 'b/c'], { n: 1, list: ['x'] });
      assert.deepEqual(await kv.get(['a', 'b/c']), { n: 1, list: ['x'] });
      await kv.set(['a', 'b/c'], 'replaced');
      assert.equal(await kv.get(['a', 'b/c']), 'replaced');
      await kv.delete(['a', 'b/c']);
      assert.equal(await kv.get(['a', 'b/c']), undefined);
    });

    test('entries expire after their ttl', async () => {
      const kv = new SqlKvStore(db);
      // Long enough to be read back on a loaded machine; gone once it has passed, and not before.
      const setAt = Date.now();
      await kv.set(['ttl'], 1, { ttl: ms(1000) });
      if (Date.now() - setAt < 800) assert.equal(await kv.get(['ttl']), 1);
      await waitFor(async () => (await kv.get(['ttl'])) === undefined, { timeoutMs: 10_000, what: 'the entry to expire' });
      assert.ok(Date.now() - setAt >= 1000, `expired after ${Date.now() - setAt} ms, not before its ttl of 1000 ms`);
    });

    test('compare-and-swap', async () => {
      const kv = new SqlKvStore(db);
      assert.equal(await kv.cas(['cas'], undefined, 1), true);
      assert.equal(await kv.cas(['cas'], undefined, 2), false);
      assert.equal(await kv.cas(['cas'], 2, 3), false);
      assert.equal(await kv.cas(['cas'], 1, 3), true);
      assert.equal(await kv.get(['cas']), 3);
    });

    test('list by prefix: the key itself and keys below it, not siblings that share letters', async () => {
      const kv = new SqlKvStore(db);
      await kv.set(['p', 'x'], 1);
      await kv.set(['p', 'x', 'y'], 2);
      await kv.set(['p', 'xy'], 3);
      const listed: unknown[] = [];
      for await (const entry of kv.list(['p', 'x'])) listed.push([entry.key, entry.value]);
      assert.deepEqual(listed, [
        [['p', 'x'], 1],
        [['p', 'x', 'y'], 2],
      ]);
    });

    test('the queue hands each message to one listener, after its delay, and keeps failed ones for a retry', async () => {
      const queue = new SqlMessageQueue(db, database.name, { pollIntervalMs: 20 });
      const stop = new AbortController();
      const seen: unknown[] = [];
      let failOnce = true;
      const listening = queue.listen(
        (message) => {
          if ((message as { fail?: boolean }).fail && failOnce) {
            failOnce = false;
            throw new Error('handler failed');
          }
          seen.push(message);
        },
        { signal: stop.signal },
      );
      await queue.enqueue({ n: 1 });
      await queue.enqueue({ n: 2 }, { delay: ms(150) });
      await queue.enqueue({ n: 3, fail: true });
      const deadline = Date.now() + 5000;
      while (seen.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      stop.abort();
      await listening;
      assert.deepEqual(seen, [{ n: 1 }, { n: 2 }, { n: 3, fail: true }]);
      assert.deepEqual(await queue.getDepth(), { queued: 0, ready: 0, delayed: 0 });
    });
  });
}
