// The suppression list as stored, on SQLite and PostgreSQL: adding twice keeps the first reason,
// emails compare without case, look-ups are batched, search and paging work.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { databases } from '../../test/support/databases.ts';
import { connect, type Connection } from './connect.ts';
import { migrateToLatest } from './migrations/index.ts';
import { SuppressionRows } from './suppressions.ts';

for (const database of databases) {
  describe(`suppression list (${database.name})`, { skip: database.skip }, () => {
    let connection: Connection;
    let drop: () => Promise<void>;
    let rows: SuppressionRows;

    before(async () => {
      const created = await database.create();
      drop = created.drop;
      connection = connect(created.options);
      await migrateToLatest(connection.db, connection.dialect);
      rows = new SuppressionRows(connection.db);
    });
    after(async () => {
      await connection.close();
      await drop();
    });

    test('an address is added once, compared without case, and keeps its first reason', async () => {
      assert.equal(await rows.add([{ protocol: 'email', address: ' Ann@Example.org ', reason: 'bounced', source: 'postmark', note: 'mailbox full' }]), 1);
      assert.equal(await rows.add([{ protocol: 'email', address: 'ann@example.org', reason: 'unsubscribed', source: 'recipient' }]), 0);
      const found = await rows.find('email', ['ANN@example.org', 'bob@example.org']);
      assert.deepEqual([...found.keys()], ['ann@example.org']);
      assert.equal(found.get('ann@example.org')?.reason, 'bounced');
      assert.equal(found.get('ann@example.org')?.note, 'mailbox full');
      assert.equal((await rows.find('sms', ['ann@example.org'])).size, 0, 'per protocol');
    });

    test('look-ups of more addresses than one query takes are all answered', async () => {
      const many = Array.from({ length: 1200 }, (_, i) => ({ protocol: 'sms', address: `+1555${String(i).padStart(7, '0')}`, reason: 'admin' as const, source: 'admin:alan' }));
      assert.equal(await rows.add(many), 1200);
      const found = await rows.find('sms', [...many.map((m) => m.address), '+19999999999']);
      assert.equal(found.size, 1200);
    });

    test('search by a part of the address, filter by reason, page by id, remove', async () => {
      await rows.add([{ protocol: 'email', address: 'x_y%z@example.net', reason: 'complained', source: 'ses' }]);
      assert.deepEqual((await rows.list({ address: 'Y%Z@' })).map((r) => r.address), ['x_y%z@example.net']);
      assert.deepEqual((await rows.list({ address: '_y%' })).map((r) => r.address), ['x_y%z@example.net'], 'wildcards are literal');
      assert.equal((await rows.list({ address: 'y_z' })).length, 0, 'an underscore matches only itself');
      assert.equal((await rows.list({ reason: 'complained' })).length, 1);
      const page = await rows.list({ protocol: 'sms', limit: 10 });
      assert.equal(page.length, 10);
      const next = await rows.list({ protocol: 'sms', limit: 10, before: page.at(-1)?.id });
      assert.ok(next.every((r) => r.id < (page.at(-1)?.id ?? 0)));
      assert.equal(await rows.remove('email', 'ANN@example.org'), true);
      assert.equal(await rows.remove('email', 'ann@example.org'), false);
      assert.equal((await rows.find('email', ['ann@example.org'])).size, 0);
    });
  });
}
