import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createVox, type NotificationSpec, type Vox } from '../src/index.ts';
import { htmlEmail } from '../src/backends/email/index.ts';
import { connect, type Connection } from '../src/store/connect.ts';
import { migrations } from '../src/store/migrations/index.ts';
import { databases } from './support/databases.ts';

const transport = { sendMail: async () => ({ messageId: 'unused' }) };

for (const database of databases) {
  describe(`vox sync on ${database.name}`, { skip: database.skip }, () => {
    let connection: Connection;
    let drop: () => Promise<void>;

    beforeEach(async () => {
      const db = await database.create();
      drop = db.drop;
      connection = connect(db.options);
    });
    afterEach(async () => {
      await connection.close();
      await drop();
    });

    /** A fresh Vox over the same database, as after a code change and restart. */
    function app(notifications: Record<string, string | NotificationSpec>): Vox {
      const vox = createVox({ database: connection.db, backends: [htmlEmail({ transport, from: 'a@example.org' })] });
      vox.model('shop.order', { id: (o: { id: number }) => o.id, notifications });
      return vox;
    }

    test('adds, changes, removes and keeps orphans with templates; dry runs write nothing', async () => {
      const first = app({ received: 'An order was received', on_hold: 'An order is on hold', shipped: 'Shipped' });
      await first.migrate();
      assert.deepEqual((await first.sync({ dryRun: true })).changes.map((c) => c.action), ['add', 'add', 'add']);
      assert.equal((await first.notifications.list()).length, 0, 'a dry run writes nothing');
      assert.deepEqual((await first.sync()).changes.map((c) => `${c.action} ${c.notification}`), ['add shop.order.received', 'add shop.order.on_hold', 'add shop.order.shipped']);
      assert.deepEqual((await first.sync()).changes, [], 'a second sync has nothing to do');
      await first.templates.save({ notification: 'shop.order.shipped', backend: 'email-html', recipients: ['si'], subject: 's', content: 'c' });
      // An admin-created notification is never touched.
      await connection.db.insertInto('vox_notifications').values({ model: 'shop.order', codename: 'custom', description: 'Made in the admin', actor_model: null, target_model: null, required: 0, from_code: 0, created_at: 'x', updated_at: 'x' }).execute();

      const second = app({ received: { description: 'An order came in', required: true } });
      const report = await second.sync();
      assert.deepEqual(report.changes, [
        { action: 'change', notification: 'shop.order.received', detail: 'description,required' },
        { action: 'remove', notification: 'shop.order.on_hold' },
        { action: 'keep-orphan', notification: 'shop.order.shipped', detail: 'templates=1' },
      ]);
      const rows = await second.notifications.list();
      assert.deepEqual(rows.map((n) => [n.key, n.description, n.required, n.fromCode]), [
        ['shop.order.custom', 'Made in the admin', false, false],
        ['shop.order.received', 'An order came in', true, true],
        ['shop.order.shipped', 'Shipped', false, true],
      ]);
    });

    test('a category, its label and the defaults are stored, and a change to any of them is reported', async () => {
      const first = app({ received: { description: 'Received', category: 'orders' }, shipped: 'Shipped' });
      await first.migrate();
      await first.sync();
      const second = app({ received: { description: 'Received', category: { key: 'orders', label: 'Your orders' }, defaults: { sms: false } }, shipped: { description: 'Shipped', category: 'orders' } });
      assert.deepEqual((await second.sync()).changes, [
        { action: 'change', notification: 'shop.order.received', detail: 'category label,defaults' },
        { action: 'change', notification: 'shop.order.shipped', detail: 'category,category label' },
      ]);
      const stored = await second.notifications.list();
      assert.deepEqual(stored.map((n) => [n.key, n.category, n.defaults]), [
        ['shop.order.received', { key: 'orders', label: 'Your orders' }, { sms: false }],
        ['shop.order.shipped', { key: 'orders', label: 'Your orders' }, {}],
      ]);
      assert.deepEqual((await second.sync()).changes, []);
    });

    test('a code notification clashing with an admin-created one is reported as a conflict', async () => {
      const vox = app({ custom: 'From code' });
      await vox.migrate();
      await connection.db.insertInto('vox_notifications').values({ model: 'shop.order', codename: 'custom', description: 'Made in the admin', actor_model: null, target_model: null, required: 0, from_code: 0, created_at: 'x', updated_at: 'x' }).execute();
      assert.deepEqual((await vox.sync()).changes.map((c) => c.action), ['conflict']);
      assert.equal((await vox.notifications.list())[0]?.description, 'Made in the admin');
    });

    // On SQLite the suite's one connection runs them one after another; the command-line test below races processes there.
    test('app servers that start together sync at once: every sync succeeds and each notification is added once', { skip: database.name === 'sqlite' ? 'one connection: no race to test here' : false }, async () => {
      const notifications = { received: 'Received', on_hold: 'On hold', shipped: 'Shipped' };
      await app(notifications).migrate();
      // Four processes' worth of Vox over the pool (on PostgreSQL, each sync gets a connection of its own).
      const reports = await Promise.all([1, 2, 3, 4].map(() => app(notifications).sync()));
      const added = reports.flatMap((r) => r.changes.filter((c) => c.action === 'add').map((c) => c.notification));
      assert.deepEqual(added.sort(), ['shop.order.on_hold', 'shop.order.received', 'shop.order.shipped']);
      assert.deepEqual((await app(notifications).notifications.list()).map((n) => n.key).sort(), added);
    });
  });
}

describe('the vox command', () => {
  const run = promisify(execFile);
  const cli = resolve('src/cli/main.ts');
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vox-cli-'));
    await writeConfig({ received: "'Received'", on_hold: "'On hold'" });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function writeConfig(notifications: Record<string, string>) {
    const entries = Object.entries(notifications).map(([k, v]) => `${k}: ${v}`).join(', ');
    await writeFile(
      join(dir, 'vox.config.ts'),
      `import { createVox } from ${JSON.stringify(resolve('src/index.ts'))};
const vox = createVox({ database: { dialect: 'sqlite', path: ${JSON.stringify(join(dir, 'app.db'))} } });
vox.model('shop.order', { id: (o: { id: number }) => o.id, notifications: { ${entries} } });
export default vox;
`,
    );
  }

  const vox = (...args: string[]) => run(process.execPath, [cli, ...args], { cwd: dir });

  test('migrate, then sync with a dry run, then for real: one line per change and a summary', async () => {
    // Every migration, in order: the list grows by one line per feature, so it is read from the source.
    assert.equal((await vox('migrate')).stdout, Object.keys(migrations('sqlite')).map((name) => `applied ${name}\n`).join(''));
    assert.equal((await vox('migrate')).stdout, 'up to date\n');
    assert.equal((await vox('sync', '--dry-run')).stdout, 'add shop.order.received\nadd shop.order.on_hold\nsync (dry run): 2 added, 0 changed, 0 removed, 0 orphans kept, 0 conflicts\n');
    assert.equal((await vox('sync')).stdout, 'add shop.order.received\nadd shop.order.on_hold\nsync: 2 added, 0 changed, 0 removed, 0 orphans kept, 0 conflicts\n');
    await writeConfig({ received: "'Order received'" });
    assert.equal((await vox('sync', '--config', 'vox.config.ts')).stdout, 'change shop.order.received description\nremove shop.order.on_hold\nsync: 0 added, 1 changed, 1 removed, 0 orphans kept, 0 conflicts\n');
  });

  test('three vox sync processes at once on one SQLite file all succeed and add each notification once', async () => {
    await vox('migrate');
    const outputs = await Promise.all([1, 2, 3].map(() => vox('sync')));
    const added = outputs.flatMap((o) => o.stdout.split('\n').filter((line) => line.startsWith('add ')));
    assert.deepEqual(added.sort(), ['add shop.order.on_hold', 'add shop.order.received']);
  });

  test('errors go to stderr with a non-zero exit code', async () => {
    await assert.rejects(vox('sync', '--config', 'missing.ts'), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr, /vox: config file missing\.ts does not exist/);
      return true;
    });
    await assert.rejects(vox('sync'), (error: { code: number; stderr: string }) => error.code === 1 && /VOX|vox_notifications|no such table/i.test(error.stderr));
    await assert.rejects(vox('resend', 'abc'), (error: { code: number; stderr: string }) => error.code === 1 && /message ids are numbers/.test(error.stderr));
  });
});
