/**
 * The shop's tests (test/fixtures/shop.ts), written as an application's tests are written with
 * vox/testing: the route test asserting its notification takes a few lines. docs/testing.md
 * shows the same tests.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Kysely } from 'kysely';
import nodemailer from 'nodemailer';
import { nodeSqliteDialect } from '../src/index.ts';
import { createTestVox, type TestVox } from '../src/testing/index.ts';
import { createShop, migrateShop, placeOrder, shopBackends, shopModels, type ShopDatabase } from './fixtures/shop.ts';

let db: Kysely<ShopDatabase>;
let vox: TestVox;

/** The shop's data: one customer, a little tea. */
async function seed(): Promise<void> {
  await db.insertInto('customers').values({ id: 1, name: 'Ann', email: 'ann@example.org' }).execute();
  await db.insertInto('items').values({ name: 'Tea', stock: 5 }).execute();
}

afterEach(async () => {
  await vox.close();
  await db.destroy();
});

describe('the shop, over HTTP', () => {
  let server: Server;
  const post = (path: string, body: unknown) => {
    const { port } = server.address() as AddressInfo;
    return fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  };

  beforeEach(async () => {
    db = new Kysely<ShopDatabase>({ dialect: nodeSqliteDialect(':memory:') });
    vox = createTestVox({
      database: db,
      backends: shopBackends(nodemailer.createTransport({ jsonTransport: true })),
      templates: [{ notification: 'shop.order.placed', recipients: ['c:customer'], subject: 'Your order of {{ object.item }}' }],
    });
    const app = await createShop({ db, vox });
    await vox.prepare();
    await seed();
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('placing an order emails the customer', async () => {
    const response = await post('/orders', { customerId: 1, item: 'Tea', quantity: 2 });
    assert.equal(response.status, 201);

    await vox.drain();
    vox.outbox.assertSent({ to: 'ann@example.org', notification: 'shop.order.placed', variables: { object: { item: 'Tea', quantity: 2 } } });
  });

  test('the email is the one the template makes, and the only one', async () => {
    await post('/orders', { customerId: 1, item: 'Tea', quantity: 2 });
    await vox.drain();
    const [email] = vox.outbox.backend('email-html');
    assert.equal(email?.subject, 'Your order of Tea');
    assert.match(email?.payload.html ?? '', /An order was placed/);
    assert.deepEqual(email?.variables.object, { id: 1, item: 'Tea', quantity: 2, customer: { name: 'Ann' } }, 'templates never see the email address');
    assert.equal(vox.outbox.messages.length, 1);
  });

  test('an order that fails after notify() rolls back, and nothing is sent', async () => {
    const response = await post('/orders', { customerId: 1, item: 'Tea', quantity: 9 });
    assert.equal(response.status, 409);

    await vox.drain();
    vox.outbox.assertNothingSent();
    await vox.assertNotIssued({ notification: 'shop.order.placed' });
  });
});

describe('placeOrder, as a unit (deliver: false)', () => {
  test('records the notification without rendering or sending', async () => {
    db = new Kysely<ShopDatabase>({ dialect: nodeSqliteDialect(':memory:') });
    vox = createTestVox({ database: db, deliver: false });
    await migrateShop(db);
    const { Order } = shopModels(vox);
    await vox.prepare();
    await seed();

    await placeOrder(db, Order, { customerId: 1, item: 'Tea', quantity: 1 });
    await vox.assertIssued({ notification: 'shop.order.placed', object: { item: 'Tea', customer: { name: 'Ann' } } });
  });
});
