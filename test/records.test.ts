// What the records say happened (docs/getting-started.md#the-message-log, docs/delivery.md#resending):
// the from address a message went out with, its notification's key, `not_resent` for a resend
// that was not attempted, and vox.issues.list with its filters.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createVox, ErrorCode, type Vox } from '../src/index.ts';
import { htmlEmail } from '../src/backends/email/index.ts';
import { databases } from './support/databases.ts';

interface Order {
  id: number;
  email: string;
}

for (const database of databases) {
  describe(`records on ${database.name}`, { skip: database.skip }, () => {
    let vox: Vox;
    let drop: () => Promise<void>;
    let Order: ReturnType<typeof declare>;
    const sent: object[] = [];

    function declare(app: Vox) {
      return app.model('shop.order', {
        id: (o: Order) => o.id,
        notifications: { placed: 'An order was placed', shipped: 'An order was shipped' },
        channels: { self: true },
        contacts: { email: (o) => ({ name: 'Customer', protocol: 'email', address: o.email }) },
      });
    }

    beforeEach(async () => {
      const db = await database.create();
      drop = db.drop;
      sent.splice(0);
      const transport = { sendMail: async (mail: object) => (sent.push(mail), { messageId: `<${sent.length}@example.org>` }) };
      vox = createVox({ database: db.options, backends: [htmlEmail({ transport, from: 'Shop <shop@example.org>' })], worker: { sweepIntervalMs: 50 } });
      Order = declare(vox);
      await vox.migrate();
      await vox.sync();
    });
    afterEach(async () => {
      await vox.close();
      await drop();
    });

    test("a message records the backend's default from address when its template gives none, and its notification's key", async () => {
      await vox.templates.save({ notification: 'shop.order.placed', backend: 'email-html', recipients: ['c'], subject: 'Placed', content: '<p>Thanks</p>' });
      await vox.templates.save({ notification: 'shop.order.shipped', backend: 'email-html', recipients: ['c'], subject: 'Shipped', content: '<p>On its way</p>', fromAddress: 'dispatch@example.org' });
      await (await Order.notify({ id: 1, email: 'ann@example.org' }, 'placed')).settled();
      await (await Order.notify({ id: 1, email: 'ann@example.org' }, 'shipped')).settled();

      const log = await vox.messages.list();
      assert.deepEqual(
        log.map((m) => [m.notification, m.from, m.status]),
        [
          ['shop.order.shipped', 'dispatch@example.org', 'sent'],
          ['shop.order.placed', 'Shop <shop@example.org>', 'sent'],
        ],
      );
      assert.equal((await vox.messages.get(log[1]!.id))?.from, 'Shop <shop@example.org>');
      assert.deepEqual((await vox.messages.list({ notification: 'shop.order.placed' })).map((m) => m.id), [log[1]!.id]);
    });

    test('resending a message that has not failed answers not_resent, as does an unknown id', async () => {
      await vox.templates.save({ notification: 'shop.order.placed', backend: 'email-html', recipients: ['c'], subject: 'Placed', content: '<p>Thanks</p>' });
      const { messages } = await (await Order.notify({ id: 1, email: 'ann@example.org' }, 'placed')).settled();
      const id = messages[0]!.id;
      const outcomes = await vox.messages.resend([id, 999_999]);
      assert.deepEqual(
        outcomes.map((o) => [o.id, o.status, o.error]),
        [
          [id, 'not_resent', `message ${id} is sent; only failed messages are resent`],
          [999_999, 'not_resent', 'message 999999 does not exist'],
        ],
      );
      assert.equal(sent.length, 1, 'nothing was sent again');
    });

    test('issues.list filters by notification key, status, time and limit, newest first', async () => {
      const before = new Date();
      const placed = await Order.notify({ id: 1, email: 'ann@example.org' }, 'placed');
      await placed.settled();
      const between = new Date();
      await new Promise((resolve) => setTimeout(resolve, 5));
      const shipped = await Order.notify({ id: 2, email: 'bob@example.org' }, 'shipped');
      const third = await Order.notify({ id: 3, email: 'cy@example.org' }, 'placed');
      await Promise.all([shipped.settled(), third.settled()]);

      const ids = async (filter: Parameters<Vox['issues']['list']>[0]) => (await vox.issues.list(filter)).map((i) => i.id);
      assert.deepEqual(await ids({}), [third.issueId, shipped.issueId, placed.issueId]);
      assert.deepEqual(await ids({ notification: 'shop.order.placed' }), [third.issueId, placed.issueId]);
      assert.deepEqual(await ids({ status: 'done', limit: 1 }), [third.issueId]);
      assert.deepEqual(await ids({ status: 'failed' }), []);
      assert.deepEqual(await ids({ since: between }), [third.issueId, shipped.issueId]);
      assert.deepEqual(await ids({ since: before.toISOString(), until: between }), [placed.issueId]);
      assert.deepEqual(await ids({ beforeId: shipped.issueId }), [placed.issueId]);
      const [latest] = await vox.issues.list({ limit: 1 });
      assert.deepEqual([latest?.notification, latest?.object.id, latest?.status], ['shop.order.placed', '3', 'done']);
      await assert.rejects(vox.issues.list({ since: 'yesterday' }), { code: ErrorCode.invalidInput });
      await assert.rejects(vox.issues.list({ limit: 0 }), { code: ErrorCode.invalidInput });
    });
  });
}
