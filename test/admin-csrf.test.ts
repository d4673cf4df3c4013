// The admin's CSRF defences of docs/admin.md, each provoked as an attacker would: a forged request
// from another site that carries a valid token, and tokens that outlived their session (a logout,
// another session of the same user) or their age. Before, the token was a fixed HMAC of the user id.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SessionInfo } from '../src/admin/api.ts';
import { adminAppsForSuite, type AdminApp } from './support/admin-app.ts';
import { adminInChromium } from './support/admin-browser.ts';
import { skipWithoutChromium } from './support/chromium.ts';

type Answer = { status: number; code: string | undefined };

describe('admin CSRF tokens and origins', () => {
  const start = adminAppsForSuite();
  const tokenOf = async (app: AdminApp, cookie: string) => {
    const response = await fetch(`${app.url}/admin/api/session`, { headers: { cookie } });
    assert.equal(response.status, 200);
    return ((await response.json()) as SessionInfo).csrfToken;
  };
  /** Adds a site contact as a page would: the cookie, the token, and the headers a browser adds. */
  const addContact = async (app: AdminApp, cookie: string, token: string, name: string, browser: Record<string, string> = {}): Promise<Answer> => {
    const response = await fetch(`${app.url}/admin/api/site-contacts`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': token, 'content-type': 'application/json', ...browser },
      body: JSON.stringify({ name, protocol: 'email', address: 'x@example.org' }),
    });
    const body = (await response.json()) as { error?: { code: string } };
    return { status: response.status, code: body.error?.code };
  };
  const contactNames = async (app: AdminApp) => (await app.blog.vox.siteContacts.list()).map((c) => c.name);
  const refused: Answer = { status: 403, code: 'VOX_CSRF' };

  test('a request from another site is refused even with a valid token: by Origin, by Referer without Origin, and Origin null', async () => {
    const app = await start();
    const cookie = `session=${app.signIn()}`;
    const token = await tokenOf(app, cookie);
    assert.deepEqual(await addContact(app, cookie, token, 'Evil origin', { origin: 'https://evil.example' }), refused);
    assert.deepEqual(await addContact(app, cookie, token, 'Evil referer', { referer: 'https://evil.example/page' }), refused);
    assert.deepEqual(await addContact(app, cookie, token, 'Sandboxed', { origin: 'null' }), refused);
    assert.deepEqual(await addContact(app, cookie, token, 'Sibling port', { origin: app.url.replace(/:\d+$/, ':1') }), refused);
    assert.deepEqual(await contactNames(app), ['Site admin']);

    assert.equal((await addContact(app, cookie, token, 'Own origin', { origin: app.url })).status, 201);
    assert.equal((await addContact(app, cookie, token, 'Own referer', { referer: `${app.url}/admin/site-contacts` })).status, 201);
    assert.equal((await addContact(app, cookie, token, 'A script')).status, 201, 'a script sends the token and neither header');
  });

  test('trustedOrigins and site.baseUrl name the public origin a proxy serves the admin at', async () => {
    const app = await start({ trustedOrigins: ['https://admin.example.org'] });
    const cookie = `session=${app.signIn()}`;
    const token = await tokenOf(app, cookie);
    assert.equal((await addContact(app, cookie, token, 'Through the proxy', { origin: 'https://admin.example.org' })).status, 201);
    assert.deepEqual(await addContact(app, cookie, token, 'Plain http', { origin: 'http://admin.example.org' }), refused);
    assert.equal((await addContact(app, cookie, token, 'The site', { origin: 'http://blog.test' })).status, 201, "the blog's site.baseUrl");
    assert.throws(() => app.blog.vox.admin({ authorize: () => null, trustedOrigins: ['admin.example.org'] }), /trustedOrigins/);
  });

  test('a token from before a logout is refused after signing in again; the new session has new tokens', async () => {
    const app = await start();
    const first = `session=${app.signIn()}`;
    const oldToken = await tokenOf(app, first);
    assert.equal((await fetch(`${app.url}/logout`, { method: 'POST', headers: { cookie: first }, redirect: 'manual' })).status, 303);
    assert.equal((await fetch(`${app.url}/admin/api/session`, { headers: { cookie: first } })).status, 401, 'the old session is gone');

    const second = `session=${app.signIn()}`;
    const newToken = await tokenOf(app, second);
    assert.notEqual(newToken, oldToken);
    assert.deepEqual(await addContact(app, second, oldToken, 'Old token'), refused);
    assert.equal((await addContact(app, second, newToken, 'New token')).status, 201);
    assert.deepEqual(await contactNames(app), ['Site admin', 'New token']);
  });

  test("a token of another session of the same user is refused", async () => {
    const app = await start();
    const laptop = `session=${app.signIn()}`;
    const phone = `session=${app.signIn()}`;
    const laptopToken = await tokenOf(app, laptop);
    assert.deepEqual(await addContact(app, phone, laptopToken, 'Cross-session'), refused);
    assert.equal((await addContact(app, laptop, laptopToken, 'Same session')).status, 201);
  });

  test('a token expires after csrfMaxAgeMs; the session then gives a fresh one', async () => {
    const app = await start({ csrfMaxAgeMs: 1000 });
    const cookie = `session=${app.signIn()}`;
    const token = await tokenOf(app, cookie);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const expired = await fetch(`${app.url}/admin/api/site-contacts`, { method: 'POST', headers: { cookie, 'x-csrf-token': token, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(expired.status, 403);
    assert.match(((await expired.json()) as { error: { code: string; message: string } }).error.message, /expired/);
    assert.equal((await addContact(app, cookie, await tokenOf(app, cookie), 'Fresh token')).status, 201);
  });

  test('without a session from authorize, the token is bound to the user and the origin is still checked', async () => {
    const users = new Map([['alan', { id: 1, name: 'Alan Author' }], ['eve', { id: 2, name: 'Eve Editor' }]]);
    const app = await start({ authorize: (request) => users.get(/session=(\w+)/.exec(request.headers.get('cookie') ?? '')?.[1] ?? '') ?? null });
    const alanToken = await tokenOf(app, 'session=alan');
    assert.equal((await addContact(app, 'session=alan', alanToken, 'Alan')).status, 201);
    assert.deepEqual(await addContact(app, 'session=eve', alanToken, "Alan's token"), refused);
    assert.deepEqual(await addContact(app, 'session=alan', alanToken, 'Cross-site', { origin: 'https://evil.example' }), refused);
  });
});

describe('the admin in Chromium when its CSRF token expires', { skip: skipWithoutChromium }, () => {
  const ui = adminInChromium({ adminOptions: { csrfMaxAgeMs: 1000 } });

  test('a site contact added after the token expired is saved: the page fetches a fresh token and sends once more', async () => {
    const { page, app } = ui;
    await page.getByRole('link', { name: 'Site contacts' }).click();
    await page.getByRole('button', { name: 'Add a site contact' }).click();
    const form = page.getByRole('form', { name: 'New site contact' });
    await form.getByLabel('Name').pressSequentially('Late editor');
    await form.getByLabel('Address').pressSequentially('late@example.org');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await form.getByRole('button', { name: 'Add site contact' }).click();
    await page.getByRole('cell', { name: 'late@example.org' }).waitFor();
    assert.deepEqual((await app.blog.vox.siteContacts.list()).map((c) => c.name), ['Site admin', 'Late editor']);
  });
});
