// notify()'s `delay`, `at` and `key` (docs/delivery.md, "Scheduled issues"): the issue is recorded at
// once and fanned out when due, by exactly one of two workers, after a restart too; a key cancels it.
// On SQLite (one file, two processes' worth of Vox) and PostgreSQL, with a real SMTP server.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { createVox, ErrorCode, VoxError, type Vox } from '../src/index.ts';
import { htmlEmail } from '../src/backends/email/index.ts';
import { sharedDatabases, type SharedDatabase } from './support/shared-databases.ts';
import { startSmtp, type TestSmtp } from './support/smtp.ts';

interface Reminder {
  readonly id: number;
  readonly email: string;
}

const withCode = (code: string) => (error: unknown) => {
  assert.ok(error instanceof VoxError, `expected a VoxError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return true;
};

for (const place of sharedDatabases) {
  describe(`scheduled issues (${place.name})`, { skip: place.skip }, () => {
    let smtp: TestSmtp;
    let db: SharedDatabase;
    const opened: Vox[] = [];

    before(async () => {
      smtp = await startSmtp();
      db = await place.open('vox_schedule');
      const first = await app();
      await first.vox.migrate();
      await first.vox.sync();
      await first.vox.close();
    });
    afterEach(async () => {
      for (const vox of opened.splice(0)) await vox.close();
      smtp.received.splice(0);
    });
    after(async () => {
      await smtp.close();
      await db.drop();
    });

    /** One process's Vox: a reminder for an order, emailed to its customer. */
    async function app(options: { worker?: false } = {}) {
      const vox = createVox({
        database: db.database(),
        backends: [htmlEmail({ transport: smtp.transport, from: 'shop@example.org' })],
        worker: options.worker === false ? false : { sweepIntervalMs: 100 },
      });
      opened.push(vox);
      const Order = vox.model('shop.order', {
        id: (o: Reminder) => o.id,
        notifications: { unpaid: 'The order is still unpaid' },
        channels: { customer: { recipients: 'shop.customer', resolve: (o: Reminder) => [o.email] } },
      });
      vox.model('shop.customer', { id: (email: string) => email, contacts: { email: (email) => email } });
      return { vox, Order };
    }

    async function withTemplate(vox: Vox) {
      if ((await vox.templates.list()).length === 0) {
        await vox.templates.save({ notification: 'shop.order.unpaid', backend: 'email-html', recipients: ['c:customer'], subject: 'Order {{ object.id }} is unpaid', content: '<p>Please pay order {{ object.id }}.</p>' });
      }
    }

    const mailsTo = (address: string) => smtp.received.filter((m) => m.envelopeTo.includes(address));
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    test('a delayed issue is recorded at once and sent when due, once, by one of two workers', async () => {
      const a = await app();
      const b = await app();
      await withTemplate(a.vox);
      await b.vox.start();
      const started = Date.now();
      const ticket = await a.Order.notify({ id: 1, email: 'one@example.org' }, 'unpaid', { delay: 1200 });
      const waiting = await a.vox.issues.get(ticket.issueId);
      assert.equal(waiting?.status, 'pending');
      assert.ok(waiting?.dueAt && Date.parse(waiting.dueAt) >= started + 1200, `due at ${waiting?.dueAt}`);
      await sleep(700);
      assert.equal(mailsTo('one@example.org').length, 0, 'nothing before it is due');
      const result = await ticket.settled();
      assert.equal(result.sent, 1);
      assert.ok(Date.now() - started >= 1200, 'not before its time');
      await sleep(500);
      assert.equal(mailsTo('one@example.org').length, 1, 'exactly one email, though two workers sweep');
      assert.equal(mailsTo('one@example.org')[0]?.parsed.subject, 'Order 1 is unpaid');
    });

    test('twenty issues due at one moment reach each customer once with two workers', async () => {
      const a = await app();
      const b = await app();
      await withTemplate(a.vox);
      await Promise.all([a.vox.start(), b.vox.start()]);
      const at = new Date(Date.now() + 800);
      const tickets = [];
      for (let i = 0; i < 20; i++) tickets.push(await (i % 2 ? a : b).Order.notify({ id: 100 + i, email: `c${i}@example.org` }, 'unpaid', { at }));
      for (const ticket of tickets) assert.equal((await ticket.settled()).sent, 1);
      await sleep(300);
      for (let i = 0; i < 20; i++) assert.equal(mailsTo(`c${i}@example.org`).length, 1, `c${i}`);
    });

    test('an issue recorded by a process that stops is sent by another started later', async () => {
      const web = await app({ worker: false });
      await withTemplate(web.vox);
      const ticket = await web.Order.notify({ id: 2, email: 'two@example.org' }, 'unpaid', { delay: 500 });
      await web.vox.close();
      opened.splice(opened.indexOf(web.vox), 1);
      await sleep(800);
      assert.equal(mailsTo('two@example.org').length, 0);
      const worker = await app();
      await worker.vox.start();
      const issue = await worker.vox.issues.get(ticket.issueId);
      assert.equal(issue?.status === 'pending' || issue?.status === 'fanning' || issue?.status === 'done', true);
      for (let i = 0; i < 50 && mailsTo('two@example.org').length === 0; i++) await sleep(100);
      assert.equal(mailsTo('two@example.org').length, 1);
    });

    test('a key cancels a waiting issue; settled() then rejects; the key can be used again', async () => {
      const { vox, Order } = await app();
      await withTemplate(vox);
      const order = { id: 3, email: 'three@example.org' };
      const ticket = await Order.notify(order, 'unpaid', { delay: 800, key: 'unpaid:3' });
      await assert.rejects(Order.notify(order, 'unpaid', { delay: 800, key: 'unpaid:3' }), withCode(ErrorCode.keyTaken));
      assert.equal((await vox.issues.list({ notification: 'shop.order.unpaid' })).filter((i) => i.key === 'unpaid:3').length, 1, 'the refused one wrote nothing');
      assert.equal(await vox.issues.cancel('unpaid:3'), ticket.issueId);
      assert.equal(await vox.issues.cancel('unpaid:3'), undefined, 'nothing waits under it now');
      await assert.rejects(ticket.settled(), withCode(ErrorCode.issueCancelled));
      const again = await Order.notify(order, 'unpaid', { delay: 100, key: 'unpaid:3' });
      assert.equal((await again.settled()).sent, 1);
      await sleep(1000);
      assert.equal(mailsTo('three@example.org').length, 1, 'the cancelled one never went');
      assert.equal((await vox.issues.get(ticket.issueId))?.status, 'cancelled');
      assert.equal(await vox.issues.cancel('unpaid:3'), undefined, 'a fanned-out issue cannot be cancelled');
    });

    test('bad schedules are refused with VOX_INVALID_SCHEDULE and write nothing', async () => {
      const { vox, Order } = await app({ worker: false });
      const order = { id: 4, email: 'four@example.org' };
      const before = (await vox.issues.list()).length;
      const bad = [
        { delay: -1 },
        { delay: 1.5 },
        { delay: Number.POSITIVE_INFINITY },
        { at: new Date('not a date') },
        { at: new Date(Date.now() - 120_000) },
        { delay: 10, at: new Date(Date.now() + 10_000) },
        { key: '' },
        { key: 'k'.repeat(201) },
      ];
      for (const options of bad) await assert.rejects(Order.notify(order, 'unpaid', options), withCode(ErrorCode.invalidSchedule), JSON.stringify(options));
      assert.equal((await vox.issues.list()).length, before);
      const recent = await Order.notify(order, 'unpaid', { at: new Date(Date.now() - 5000) });
      assert.equal((await vox.issues.get(recent.issueId))?.dueAt, null, 'a moment ago means now');
    });
  });
}
