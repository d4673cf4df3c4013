/**
 * vox/express, in the shop (test/fixtures/shop.ts): the admin mounted after express.json() and
 * express-session, its authorize reading the session's staff member; a body parsed by
 * express.json() or express.urlencoded() reaching a handler whole, under its body limit; a streamed
 * answer (Server-Sent Events) arriving chunk by chunk; a handler mounted away from its basePath
 * refused with VOX_CONFIGURATION.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, test } from 'node:test';
import express, { type NextFunction, type Request as ExpressRequest, type Response as ExpressResponse } from 'express';
import { Kysely } from 'kysely';
import nodemailer from 'nodemailer';
import { nodeSqliteDialect } from '../src/index.ts';
import { toExpress, type ExpressContext } from '../src/frameworks/express.ts';
import { withBodyLimit } from '../src/http/body-limit.ts';
import { createTestVox, type TestVox } from '../src/testing/index.ts';
import { createShop, shopBackends, type ShopDatabase } from './fixtures/shop.ts';

/** Starts `app` on 127.0.0.1; the result is its origin, and `close()` stops it. */
async function listen(app: express.Express): Promise<{ readonly origin: string; close(): Promise<void> }> {
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      return closed;
    },
  };
}

describe('the shop with its admin mounted by vox/express after express.json() and express-session', () => {
  let db: Kysely<ShopDatabase>;
  let vox: TestVox;
  let server: Awaited<ReturnType<typeof listen>>;
  const at = (path: string) => `${server.origin}${path}`;

  beforeEach(async () => {
    db = new Kysely<ShopDatabase>({ dialect: nodeSqliteDialect(':memory:') });
    vox = createTestVox({
      database: db,
      backends: shopBackends(nodemailer.createTransport({ jsonTransport: true })),
      templates: [{ notification: 'shop.order.placed', recipients: ['c:customer'], subject: 'Your order of {{ object.item }}' }],
    });
    const app = await createShop({ db, vox, staff: [{ id: 7, name: 'Sam', email: 'sam@example.org', password: 'tea' }] });
    await vox.prepare();
    await db.insertInto('customers').values({ id: 1, name: 'Ann', email: 'ann@example.org' }).execute();
    await db.insertInto('items').values({ name: 'Tea', stock: 5 }).execute();
    server = await listen(app);
  });
  afterEach(async () => {
    await server.close();
    await vox.close();
    await db.destroy();
  });

  /** Signs Sam in with the login form's JSON; the session cookie. */
  async function signIn(): Promise<string> {
    const response = await fetch(at('/login'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'sam@example.org', password: 'tea' }) });
    assert.equal(response.status, 200);
    const cookie = response.headers.get('set-cookie')?.split(';')[0] ?? '';
    assert.match(cookie, /^connect\.sid=/, 'express-session set its cookie');
    return cookie;
  }

  test("a signed-in member of staff creates a notification from the admin: authorize saw the session's user, the JSON body arrived whole", async () => {
    const cookie = await signIn();
    const session = await fetch(at('/admin/api/session'), { headers: { cookie } });
    assert.equal(session.status, 200);
    const { user, csrfToken } = (await session.json()) as { user: { id: string; name: string }; csrfToken: string };
    assert.deepEqual([user.id, user.name], ['7', 'Sam']);

    const created = await fetch(at('/admin/api/notifications'), {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', origin: server.origin, 'x-csrf-token': csrfToken },
      body: JSON.stringify({ model: 'shop.order', codename: 'delayed', description: 'The order is delayed' }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const stored = (await vox.notifications.list()).find((n) => n.codename === 'delayed');
    assert.equal(stored?.description, 'The order is delayed');
  });

  test('without a session the admin refuses, and nothing is created', async () => {
    const refused = await fetch(at('/admin/api/notifications'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.origin },
      body: JSON.stringify({ model: 'shop.order', codename: 'delayed', description: 'The order is delayed' }),
    });
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'VOX_UNAUTHORIZED');
    assert.equal((await vox.notifications.list()).some((n) => n.codename === 'delayed'), false);
    const page = await fetch(at('/admin/'), { redirect: 'manual' });
    assert.equal(page.status, 401);
  });

  test('the route that notifies in its transaction works beside the admin', async () => {
    const response = await fetch(at('/orders'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ customerId: 1, item: 'Tea', quantity: 2 }) });
    assert.equal(response.status, 201);
    await vox.drain();
    vox.outbox.assertSent({ to: 'ann@example.org', notification: 'shop.order.placed', variables: { object: { item: 'Tea', quantity: 2 } } });
  });

  test('requests outside the admin go on to the routes after it', async () => {
    const missing = await fetch(at('/nowhere'));
    assert.equal(missing.status, 404);
    assert.doesNotMatch(await missing.text(), /VOX_/);
  });
});

describe('vox/express with any fetch handler', () => {
  let server: Awaited<ReturnType<typeof listen>> | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** A handler that answers what it read: method, path, content type and the body as text. */
  const echo = { basePath: '/echo', fetch: async (request: Request) => Response.json({ path: new URL(request.url).pathname, type: request.headers.get('content-type'), body: await request.text() }) };

  test('after express.json() and express.urlencoded(), the handler reads the body again, JSON or form', async () => {
    const app = express().use(express.json(), express.urlencoded({ extended: true }));
    app.use('/echo', toExpress(echo));
    server = await listen(app);
    const json = await fetch(`${server.origin}/echo/x?y=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"Ann","tags":["a","b"]}' });
    assert.deepEqual(await json.json(), { path: '/echo/x', type: 'application/json', body: '{"name":"Ann","tags":["a","b"]}' });
    const form = await fetch(`${server.origin}/echo/form`, { method: 'POST', body: new URLSearchParams([['name', 'Ann & Bob'], ['tag', 'a'], ['tag', 'b'], ['address[city]', 'Oslo']]) });
    const { body } = (await form.json()) as { body: string };
    assert.deepEqual([...new URLSearchParams(body)], [['name', 'Ann & Bob'], ['tag', 'a'], ['tag', 'b'], ['address[city]', 'Oslo']]);
  });

  test('when the app keeps the raw bytes as req.rawBody (for signatures), the handler gets those bytes, not JSON written again', async () => {
    const app = express().use(
      express.json({
        verify: (request, _response, bytes) => {
          (request as unknown as { rawBody: Buffer }).rawBody = bytes;
        },
      }),
    );
    app.use('/echo', toExpress(echo));
    server = await listen(app);
    const sent = '{ "b": 1,\n  "a": [2, 3] }';
    const answer = await fetch(`${server.origin}/echo/signed`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: sent });
    assert.deepEqual(await answer.json(), { path: '/echo/signed', type: 'application/json; charset=utf-8', body: sent });
  });

  test("a body express.json() parsed is still held to the handler's body limit (413 VOX_BODY_TOO_LARGE)", async () => {
    let read: string | undefined;
    const limited = (request: Request) =>
      withBodyLimit(request, 100, async (inner) => {
        read = await inner.text();
        return new Response('read');
      });
    const app = express().use(express.json());
    app.use('/small', toExpress(limited));
    server = await listen(app);
    const big = await fetch(`${server.origin}/small`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'x'.repeat(500) }) });
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { error: { code: string } }).error.code, 'VOX_BODY_TOO_LARGE');
    assert.equal(read, undefined);
    const small = await fetch(`${server.origin}/small`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    assert.equal(await small.text(), 'read');
    assert.equal(read, '{"a":1}');
  });

  test('a streamed answer (Server-Sent Events) arrives chunk by chunk, each before the next is made', async () => {
    let next: (() => void) | undefined;
    const events = (_request: Request, context: ExpressContext) => {
      const encoder = new TextEncoder();
      let count = 0;
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (count > 0) await new Promise<void>((resolve) => (next = resolve));
          count++;
          controller.enqueue(encoder.encode(`data: ${count} for ${context.req.ip}\n\n`));
          if (count === 3) controller.close();
        },
      });
      return new Response(stream, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-store' } });
    };
    const app = express().use(express.json());
    app.get('/events', toExpress(events));
    server = await listen(app);
    const response = await fetch(`${server.origin}/events`);
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const received: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const { value } = await reader.read();
      received.push(new TextDecoder().decode(value));
      // The next event is made only now that this one has arrived: nothing was buffered.
      assert.equal(received.length, i);
      next?.();
    }
    assert.deepEqual(received, ['data: 1 for 127.0.0.1\n\n', 'data: 2 for 127.0.0.1\n\n', 'data: 3 for 127.0.0.1\n\n']);
    assert.equal((await reader.read()).done, true);
  });

  test('a handler whose basePath is not where it is mounted is refused with VOX_CONFIGURATION', async () => {
    const app = express();
    app.use('/admin', toExpress({ basePath: '', fetch: () => new Response('never') }));
    app.use((error: { code?: string; message: string }, _request: ExpressRequest, response: ExpressResponse, _next: NextFunction) => {
      response.status(500).json({ code: error.code, message: error.message });
    });
    server = await listen(app);
    const answer = (await (await fetch(`${server.origin}/admin/x`)).json()) as { code: string; message: string };
    assert.equal(answer.code, 'VOX_CONFIGURATION');
    assert.match(answer.message, /mounted at \/admin: give it basePath "\/admin"/);
  });
});
