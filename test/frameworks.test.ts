/**
 * The admin through vox/fastify, vox/hono and vox/next, each in an app that signs staff in its own
 * way and tells the admin through the framework's request: a signed-in POST from the admin works,
 * an unauthenticated one is refused and writes nothing. Fastify and Hono run for real (Fastify on a
 * port, Hono through its own app.fetch); Next.js route handlers are called as Next calls them, with
 * a standard Request and the route context `{ params }` (no Next server runs: the route handlers
 * are plain functions of them).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import Fastify from 'fastify';
import { Hono, type Context } from 'hono';
import type { Admin } from '../src/index.ts';
import { toFastify, type FastifyContext } from '../src/frameworks/fastify.ts';
import { toHono } from '../src/frameworks/hono.ts';
import { toNext, type NextContext } from '../src/frameworks/next.ts';
import { createTestVox, type TestVox } from '../src/testing/index.ts';

/** The apps' staff: a cookie `staff=7` signs Sam in (each app reads it in its own way). */
const SAM = { id: 7, name: 'Sam' };
const staffOfCookie = (cookie: string | null | undefined) => (/(?:^|;\s*)staff=7(?:;|$)/.test(cookie ?? '') ? SAM : undefined);

declare module 'fastify' {
  interface FastifyRequest {
    staff: typeof SAM | undefined;
  }
}

type HonoEnv = { Variables: { staff: typeof SAM | undefined } };

let vox: TestVox;

beforeEach(async () => {
  vox = createTestVox();
  vox.model('shop.order', { id: (o: { id: number }) => o.id, notifications: { placed: 'An order was placed' } });
  await vox.prepare();
});
afterEach(() => vox.close());

/** How a test reaches an app: `send(path, init)`, at `origin`. */
interface Client {
  readonly origin: string;
  send(path: string, init?: RequestInit): Promise<Response>;
}

/** Signed in, the admin hands out a token and creates a notification; signed out, it refuses and creates nothing. */
async function adminWorksForStaffOnly(client: Client): Promise<void> {
  const headers = { 'content-type': 'application/json', origin: client.origin };
  const body = JSON.stringify({ model: 'shop.order', codename: 'delayed', description: 'The order is delayed' });

  const refused = await client.send('/admin/api/notifications', { method: 'POST', headers, body });
  assert.equal(refused.status, 401);
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'VOX_UNAUTHORIZED');
  assert.equal((await vox.notifications.list()).some((n) => n.codename === 'delayed'), false);

  const session = await client.send('/admin/api/session', { headers: { cookie: 'staff=7' } });
  assert.equal(session.status, 200);
  const { user, csrfToken } = (await session.json()) as { user: { id: string; name: string }; csrfToken: string };
  assert.deepEqual(user.name, 'Sam');

  const created = await client.send('/admin/api/notifications', { method: 'POST', headers: { ...headers, cookie: 'staff=7', 'x-csrf-token': csrfToken }, body });
  assert.equal(created.status, 201, await created.clone().text());
  assert.equal((await vox.notifications.list()).find((n) => n.codename === 'delayed')?.description, 'The order is delayed');
}

describe('vox/fastify', () => {
  test("the admin registered under /admin, authorize reading what the app's hook put on Fastify's request; the app's own JSON routes still parse", async () => {
    const admin: Admin<FastifyContext> = vox.admin<FastifyContext>({ basePath: '/admin', authorize: (_request, context) => context?.request.staff });
    const app = Fastify();
    app.decorateRequest('staff', undefined);
    app.addHook('onRequest', async (request) => {
      request.staff = staffOfCookie(request.headers.cookie);
    });
    app.post('/echo', async (request) => ({ parsed: request.body }));
    await app.register(toFastify(admin), { prefix: '/admin' });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      await adminWorksForStaffOnly({ origin: address, send: (path, init) => fetch(`${address}${path}`, init) });
      const echo = await fetch(`${address}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
      assert.deepEqual(await echo.json(), { parsed: { a: 1 } });
      const page = await fetch(`${address}/admin/`, { headers: { cookie: 'staff=7' } });
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<html/);
    } finally {
      await app.close();
    }
  });

  test('a streamed answer (Server-Sent Events) arrives chunk by chunk, each before the next is made', async () => {
    let next: (() => void) | undefined;
    let count = 0;
    const events = () =>
      new Response(
        new ReadableStream<Uint8Array>({
          async pull(controller) {
            if (count > 0) await new Promise<void>((resolve) => (next = resolve));
            controller.enqueue(new TextEncoder().encode(`data: ${++count}\n\n`));
            if (count === 2) controller.close();
          },
        }),
        { headers: { 'content-type': 'text/event-stream' } },
      );
    const app = Fastify();
    await app.register(toFastify(events), { prefix: '/events' });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const reader = ((await fetch(`${address}/events`)).body as ReadableStream<Uint8Array>).getReader();
      assert.equal(new TextDecoder().decode((await reader.read()).value), 'data: 1\n\n');
      next?.();
      assert.equal(new TextDecoder().decode((await reader.read()).value), 'data: 2\n\n');
      assert.equal((await reader.read()).done, true);
    } finally {
      await app.close();
    }
  });

  test('registered with a prefix that is not its basePath, it refuses to load (VOX_CONFIGURATION)', async () => {
    const app = Fastify();
    void app.register(toFastify(vox.admin({ basePath: '/admin', authorize: () => null })), { prefix: '/staff' });
    await assert.rejects(async () => {
      await app.ready();
    }, { code: 'VOX_CONFIGURATION' });
    await app.close();
  });
});

describe('vox/hono', () => {
  test("the admin under /admin/*, authorize reading c.get('staff'), after a middleware that already read the JSON body", async () => {
    const admin = vox.admin<Context<HonoEnv>>({ basePath: '/admin', authorize: (_request, c) => c?.get('staff') });
    const app = new Hono<HonoEnv>();
    const seen: unknown[] = [];
    app.use(async (c, next) => {
      c.set('staff', staffOfCookie(c.req.header('cookie')));
      // A host middleware that reads the body first (an audit log, a validator).
      if (c.req.header('content-type') === 'application/json') seen.push(await c.req.json());
      await next();
    });
    app.all('/admin/*', toHono(admin));
    await adminWorksForStaffOnly({ origin: 'http://shop.test', send: async (path, init) => app.fetch(new Request(`http://shop.test${path}`, init)) });
    assert.equal(seen.length, 2, 'the middleware read both bodies before the admin did');
  });
});

/** A form's fields as [name, value] pairs. */
function fields(form: FormData): string[][] {
  const pairs: string[][] = [];
  form.forEach((value, name) => pairs.push([name, String(value)]));
  return pairs;
}

describe('vox/hono with any fetch handler', () => {
  test('a form a middleware read as FormData reaches the handler again: URL-encoded as it was sent, multipart with a boundary of its own', async () => {
    const app = new Hono();
    app.use(async (c, next) => {
      await c.req.formData();
      await next();
    });
    app.all('/echo/*', toHono({ basePath: '/echo', fetch: async (request: Request) => Response.json({ type: request.headers.get('content-type'), form: fields(await request.clone().formData()), text: await request.text() }) }));
    const encoded = await app.fetch(new Request('http://shop.test/echo/form', { method: 'POST', body: new URLSearchParams([['name', 'Ann & Bob'], ['tag', 'a'], ['tag', 'b']]) }));
    const first = (await encoded.json()) as { type: string; text: string };
    assert.equal(first.text, 'name=Ann+%26+Bob&tag=a&tag=b');
    assert.match(first.type, /^application\/x-www-form-urlencoded/);
    const multipartForm = new FormData();
    multipartForm.append('name', 'Ann');
    multipartForm.append('note', 'Tea & cake');
    const multipart = await app.fetch(new Request('http://shop.test/echo/form', { method: 'POST', body: multipartForm }));
    const second = (await multipart.json()) as { type: string; form: string[][] };
    assert.match(second.type, /^multipart\/form-data; boundary=/);
    assert.deepEqual(second.form, [['name', 'Ann'], ['note', 'Tea & cake']]);
  });
});

describe('vox/next', () => {
  test('the admin as the route handlers of app/admin/[[...path]]/route.ts, called as Next.js calls them', async () => {
    // In Next.js, authorize reads the session from the request's cookies (or with next-auth's auth()).
    const admin = vox.admin<NextContext>({ basePath: '/admin', authorize: (request) => staffOfCookie(request.headers.get('cookie')) });
    const route = toNext(admin);
    const send = async (path: string, init: RequestInit = {}) => {
      const handler = route[(init.method ?? 'GET') as 'GET' | 'POST'];
      const segments = path.replace(/^\/admin\/?/, '').split('/').filter(Boolean);
      return handler(new Request(`http://shop.test${path}`, init), { params: Promise.resolve({ path: segments }) });
    };
    await adminWorksForStaffOnly({ origin: 'http://shop.test', send });
    const outside = await route.GET(new Request('http://shop.test/elsewhere'), { params: Promise.resolve({}) });
    assert.equal(outside.status, 404);
    assert.equal(((await outside.json()) as { error: { code: string } }).error.code, 'VOX_NOT_FOUND');
  });

  test("the route context reaches authorize as its second argument", async () => {
    const seen: unknown[] = [];
    const admin = vox.admin<NextContext>({
      basePath: '/admin',
      authorize: async (_request, context) => {
        seen.push(await context?.params);
        return SAM;
      },
    });
    const response = await toNext(admin).GET(new Request('http://shop.test/admin/api/session'), { params: Promise.resolve({ path: ['api', 'session'] }) });
    assert.equal(response.status, 200);
    assert.deepEqual(seen, [{ path: ['api', 'session'] }]);
  });
});
