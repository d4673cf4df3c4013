// The admin's suppression list: its JSON API under the admin's session and CSRF rules, with field
// lengths checked and nothing written on bad input; the message log's search by recipient address;
// and the page in Chromium, used by a person (typing, clicking, Tab).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SessionInfo, SuppressionPage } from '../src/admin/api.ts';
import { adminAppsForSuite, STAFF, type AdminApp } from './support/admin-app.ts';
import { adminInChromium } from './support/admin-browser.ts';
import { skipWithoutChromium } from './support/chromium.ts';

describe('the admin API of the suppression list', () => {
  const startApp = adminAppsForSuite();

  const client = async (app: AdminApp) => {
    const cookie = `session=${app.signIn()}`;
    const token = ((await (await fetch(`${app.url}/admin/api/session`, { headers: { cookie } })).json()) as SessionInfo).csrfToken;
    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const response = await fetch(`${app.url}/admin/api${path}`, {
        method,
        headers: { cookie, 'x-csrf-token': token, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: response.status === 204 ? null : ((await response.json()) as Record<string, unknown>) };
    };
    return { call, cookie };
  };

  test('staff add, list, search and remove addresses; who and when are kept', async () => {
    const app = await startApp();
    const { call } = await client(app);
    const added = await call('POST', '/suppressions', { protocol: 'email', address: ' Pat@Example.org ', note: 'asked by phone' });
    assert.equal(added.status, 201);
    assert.equal((added.body as { added: boolean }).added, true);
    assert.equal((await call('POST', '/suppressions', { protocol: 'email', address: 'pat@example.org' })).status, 200, 'already there: nothing new');
    await app.blog.vox.suppressions.add({ protocol: 'email', address: 'bounce@example.org', reason: 'bounced', source: 'postmark' });

    const page = (await call('GET', '/suppressions')).body as unknown as SuppressionPage;
    assert.deepEqual(page.suppressions.map((s) => [s.address, s.reason, s.source, s.note]), [
      ['bounce@example.org', 'bounced', 'postmark', null],
      ['pat@example.org', 'admin', `admin:${STAFF.name}`, 'asked by phone'],
    ]);
    assert.ok(!Number.isNaN(Date.parse(page.suppressions[1]?.createdAt ?? '')), 'when it was added');
    assert.deepEqual(((await call('GET', '/suppressions?q=PAT')).body as unknown as SuppressionPage).suppressions.map((s) => s.address), ['pat@example.org']);

    assert.equal((await call('DELETE', '/suppressions?protocol=email&address=PAT%40example.org')).status, 204);
    assert.equal((await call('DELETE', '/suppressions?protocol=email&address=pat%40example.org')).status, 404, 'gone already');
    assert.deepEqual((await app.blog.vox.suppressions.list()).map((s) => s.address), ['bounce@example.org']);
  });

  test('bad input and cross-site or token-less writes are refused, and nothing is written', async () => {
    const app = await startApp();
    const { call, cookie } = await client(app);
    const refusals = [
      [await call('POST', '/suppressions', { protocol: 'email', address: 'x'.repeat(2049) }), 'VOX_FIELD_TOO_LONG'],
      [await call('POST', '/suppressions', { protocol: 'email', address: 'a@example.org', note: 'n'.repeat(1001) }), 'VOX_FIELD_TOO_LONG'],
      [await call('POST', '/suppressions', { protocol: 'fax', address: 'a@example.org' }), 'VOX_UNKNOWN_PROTOCOL'],
      [await call('POST', '/suppressions', { protocol: 'email', address: '  ' }), 'VOX_INVALID_INPUT'],
      [await call('POST', '/suppressions', { protocol: 'email', address: 'a@example.org' }, { origin: 'https://evil.example' }), 'VOX_CSRF'],
      [await call('GET', `/suppressions?q=${'q'.repeat(201)}`), 'VOX_FIELD_TOO_LONG'],
    ] as const;
    for (const [answer, code] of refusals) assert.equal((answer.body as { error: { code: string } }).error.code, code);
    const noToken = await fetch(`${app.url}/admin/api/suppressions`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ protocol: 'email', address: 'a@example.org' }) });
    assert.equal(noToken.status, 403);
    const signedOut = await fetch(`${app.url}/admin/api/suppressions`);
    assert.equal(signedOut.status, 401);
    assert.deepEqual(await app.blog.vox.suppressions.list(), []);
  });
});

describe('the suppression list page in Chromium', { skip: skipWithoutChromium }, () => {
  const admin = adminInChromium();

  test('type an address, add it, see it listed with who and when; search; remove it', async () => {
    const { page, app } = admin;
    await page.getByRole('link', { name: 'Suppression list' }).click();
    await page.getByRole('heading', { level: 1, name: 'Suppression list' }).waitFor();
    const form = page.getByRole('form', { name: 'Suppress an address' });
    await form.getByLabel('Address').click();
    await page.keyboard.type('reader@example.org');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Asked us by phone');
    await form.getByRole('button', { name: 'Add to the suppression list' }).click();
    await page.getByRole('status').filter({ hasText: 'reader@example.org is suppressed' }).waitFor();
    const table = page.getByRole('table', { name: 'Suppressed addresses' });
    const row = table.getByRole('row').filter({ hasText: 'reader@example.org' });
    await row.waitFor();
    assert.match(await row.innerText(), /email\s+added by staff\s+admin:Alan Author\s+.+\s+Asked us by phone/);
    const stored = await app.blog.vox.suppressions.list();
    assert.deepEqual(stored.map((s) => [s.address, s.reason, s.source, s.note]), [['reader@example.org', 'admin', 'admin:Alan Author', 'Asked us by phone']]);

    // A second one, then a search that shows only the first.
    await form.getByLabel('Address').click();
    await page.keyboard.type('other@example.org');
    await page.keyboard.press('Enter');
    await table.getByRole('row').filter({ hasText: 'other@example.org' }).waitFor();
    await page.getByLabel('Search addresses').click();
    await page.keyboard.type('reader');
    await table.getByRole('row').filter({ hasText: 'other@example.org' }).waitFor({ state: 'detached' });

    await row.getByRole('button', { name: 'Remove' }).click();
    await row.getByRole('button', { name: 'Remove reader@example.org' }).click();
    await page.getByRole('status').filter({ hasText: 'reader@example.org was taken off the list' }).waitFor();
    await table.getByText('No suppressed address matches.').waitFor();
    assert.deepEqual((await app.blog.vox.suppressions.list()).map((s) => s.address), ['other@example.org']);
  });

  test('the notifications show their category, and a notification page who may opt out', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Notifications', exact: true }).click();
    const article = page.locator('.group', { has: page.getByRole('heading', { name: 'Article' }) });
    const row = article.getByRole('row').filter({ has: page.getByRole('link', { name: 'created' }) });
    assert.match(await row.innerText(), /A new article was published\s+Newsletter/);
    await row.getByRole('link', { name: 'created' }).click();
    await page.getByText('Newsletter (newsletter)').waitFor();
    await page.getByText('recipients may opt out; opted in by default').waitFor();
  });

  test('the message log finds a recipient by address and says why a message was skipped', async () => {
    const { page, app, smtp } = admin;
    const { vox, data, models } = app.blog;
    data.subscribers.push(
      { id: 11, name: 'Other', email: 'other@example.org', token: 't11' },
      { id: 12, name: 'Quinn', email: 'quinn@example.org', token: 't12' },
      { id: 13, name: 'Robin', email: 'robin@example.org', token: 't13' },
    );
    await vox.preferences.set(models.Subscriber, 12, { enabled: false });
    const article = { slug: 'log-search', title: 'Log search', body: '', author: data.users[0]! };
    data.articles.push(article);
    const result = await (await models.Article.notify(article, 'created', { actor: data.users[0]! })).settled();
    const ours = (address: string) => result.messages.find((m) => m.to.includes(address))?.status;
    assert.deepEqual([ours('other@example.org'), ours('quinn@example.org'), ours('robin@example.org')], ['skipped', 'skipped', 'sent']);
    assert.equal(result.skipped, 2);
    const mailed = smtp.received.filter((m) => m.parsed.subject === 'New article: Log search').flatMap((m) => m.envelopeTo);
    assert.ok(mailed.includes('robin@example.org') && !mailed.includes('quinn@example.org') && !mailed.includes('other@example.org'), mailed.join());

    await page.getByRole('link', { name: 'Message log' }).click();
    await page.getByRole('heading', { level: 1, name: 'Message log' }).waitFor();
    await page.getByLabel('Recipient address').click();
    await page.keyboard.type('QUINN@');
    const rows = page.locator('table.log tbody tr');
    await rows.filter({ hasText: 'quinn@example.org' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('table.log tbody tr').length === 1);
    assert.match(await rows.first().innerText(), /skipped\s+0\s+VOX_OPTED_OUT opted out of everything/);

    await page.getByLabel('Recipient address').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('other@');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('table.log tbody tr')).every((row) => row.textContent?.includes('other@example.org')));
    assert.match(await rows.first().innerText(), /skipped\s+0\s+VOX_SUPPRESSED suppressed \(admin, by admin:Alan Author at [^)]+\)/);
  });
});
