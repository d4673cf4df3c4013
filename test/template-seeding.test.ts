// Templates an app ships in code (docs/templates.md#templates-in-code): a stable key, and
// templates.ensure, which creates a template once however often the app starts.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createVox, ErrorCode, TemplateValidationError, type TemplateInput, type Vox } from '../src/index.ts';
import { htmlEmail } from '../src/backends/email/index.ts';
import { connect, type Connection } from '../src/store/connect.ts';
import { databases } from './support/databases.ts';

const transport = { sendMail: async () => ({ messageId: 'unused' }) };

const seed = {
  key: 'order-placed-email',
  notification: 'shop.order.placed',
  backend: 'email-html',
  recipients: ['c'],
  subject: 'Thanks for your order',
  content: '<p>Order {{ object.id }} is placed.</p>',
} as const satisfies TemplateInput;

for (const database of databases) {
  describe(`seeding templates on ${database.name}`, { skip: database.skip }, () => {
    let connection: Connection;
    let drop: () => Promise<void>;
    const started: Vox[] = [];

    beforeEach(async () => {
      const db = await database.create();
      drop = db.drop;
      connection = connect(db.options);
    });
    afterEach(async () => {
      await Promise.all(started.splice(0).map((vox) => vox.close()));
      await connection.close();
      await drop();
    });

    /** The app as it starts: migrate, sync, seed its templates. */
    async function start(): Promise<Vox> {
      const vox = createVox({ database: connection.db, backends: [htmlEmail({ transport, from: 'shop@example.org' })], worker: false });
      started.push(vox);
      vox.model('shop.order', { id: (o: { id: number }) => o.id, notifications: { placed: 'An order was placed' }, channels: { self: true } });
      await vox.migrate();
      await vox.sync();
      return vox;
    }

    const rows = async () => (await connection.db.selectFrom('vox_templates').select(['id', 'key', 'subject']).orderBy('id').execute()).map((row) => ({ ...row }));

    test('ensure creates a template once over restarts, and keeps what staff changed since', async () => {
      const first = await start();
      const created = await first.templates.ensure(seed);
      assert.equal(created.created, true);
      assert.equal(created.template.key, 'order-placed-email');

      // Staff edit it in the admin, which saves by id without a key.
      const { key: _key, ...edited } = { ...created.template, subject: 'Your order' };
      await first.templates.save({ ...edited, id: created.template.id });

      const again = await (await start()).templates.ensure(seed);
      assert.equal(again.created, false);
      assert.equal(again.template.id, created.template.id);
      assert.deepEqual(await rows(), [{ id: created.template.id, key: 'order-placed-email', subject: 'Your order' }]);
    });

    test('two processes starting at once create it once', async () => {
      // (Their migrations and syncs run one after the other: two concurrent syncs are another matter.)
      const a = await start();
      const b = await start();
      const outcomes = await Promise.all([a.templates.ensure(seed), b.templates.ensure(seed), a.templates.ensure(seed)]);
      assert.equal(outcomes.filter((o) => o.created).length, 1);
      assert.equal((await rows()).length, 1);
    });

    test('save with a key replaces the template that has it; without one it adds a template', async () => {
      const vox = await start();
      const first = await vox.templates.save(seed);
      const second = await vox.templates.save({ ...seed, subject: 'Order placed' });
      assert.equal(second.template.id, first.template.id);
      const { key: _key, ...unkeyed } = seed;
      await vox.templates.save(unkeyed);
      assert.deepEqual(
        (await rows()).map((r) => [r.key, r.subject]),
        [
          ['order-placed-email', 'Order placed'],
          [null, 'Thanks for your order'],
        ],
      );
    });

    test('a key taken by another template, or a blank key, is refused with VOX_INVALID_TEMPLATE', async () => {
      const vox = await start();
      await vox.templates.ensure(seed);
      const { key: _key, ...unkeyed } = seed;
      const other = (await vox.templates.save(unkeyed)).template;
      await assert.rejects(vox.templates.save({ ...unkeyed, id: other.id, key: seed.key }), (error: unknown) => {
        assert.ok(error instanceof TemplateValidationError);
        assert.equal(error.code, ErrorCode.invalidTemplate);
        assert.deepEqual(error.problems.map((p) => p.field), ['key']);
        return true;
      });
      await assert.rejects(vox.templates.ensure({ ...seed, key: ' ' }), { code: ErrorCode.invalidTemplate });
      assert.deepEqual((await rows()).map((r) => r.key), ['order-placed-email', null]);
    });
  });
}
