import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import express from 'express';
import { ensureAdminUi } from '../admin-ui/build.ts';
import type { MessagePage, NotificationDetail, PreviewResult, SessionInfo, SiteContactRecord } from '../src/admin/api.ts';
import { toNodeHandler } from '../src/index.ts';
import { startAdminApp, type AdminApp } from './support/admin-app.ts';
import { addressesOf, smtpForSuite } from './support/smtp.ts';
import { until } from './support/workers.ts';

/** A signed-in staff member talking to the admin's API over HTTP, as the browser app does. */
class Staff {
  readonly #app: AdminApp;
  readonly cookie: string;
  token = '';
  constructor(app: AdminApp) {
    this.#app = app;
    this.cookie = `session=${app.signIn()}`;
  }
  async start(): Promise<this> {
    this.token = (await this.json<SessionInfo>('GET', '/session')).csrfToken;
    return this;
  }
  request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.#app.url}/admin/api${path}`, {
      method,
      redirect: 'manual',
      headers: { cookie: this.cookie, 'x-csrf-token': this.token, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }
  async json<T>(method: string, path: string, body?: unknown, status = method === 'POST' && !path.includes('/preview') ? undefined : 200): Promise<T> {
    const response = await this.request(method, path, body);
    const text = await response.text();
    if (status !== undefined) assert.equal(response.status, status, `${method} ${path}: ${text}`);
    else assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  }
}

describe('the admin over HTTP', () => {
  const smtp = smtpForSuite();
  let app: AdminApp;
  let staff: Staff;

  // Each test gets a host app of its own, so that none depends on what an earlier one changed.
  before(() => ensureAdminUi());
  beforeEach(async () => {
    app = await startAdminApp(smtp().transport);
    staff = await new Staff(app).start();
  });
  afterEach(() => app?.close());

  test('anonymous requests are refused: 401 from the API, a redirect to the login page for pages', async () => {
    const api = await fetch(`${app.url}/admin/api/session`);
    assert.equal(api.status, 401);
    assert.equal(((await api.json()) as { error: { code: string } }).error.code, 'VOX_UNAUTHORIZED');
    for (const path of ['/admin/api/notifications', '/admin/api/messages', '/admin/api/site-contacts']) assert.equal((await fetch(`${app.url}${path}`)).status, 401, path);
    const post = await fetch(`${app.url}/admin/api/site-contacts`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(post.status, 401);
    const page = await fetch(`${app.url}/admin/templates`, { redirect: 'manual' });
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), '/login?next=%2Fadmin%2Ftemplates');
    assert.equal((await fetch(`${app.url}/admin/api/session`, { headers: { cookie: 'session=forged' } })).status, 401);
  });

  test('state-changing requests without the CSRF token, or with another one, are refused', async () => {
    const contact = { name: 'Evil', protocol: 'email', address: 'evil@example.org' };
    for (const token of ['', 'x'.repeat(43), `${staff.token.slice(0, -1)}${staff.token.endsWith('A') ? 'B' : 'A'}`]) {
      const response = await staff.request('POST', '/site-contacts', contact, { 'x-csrf-token': token });
      assert.equal(response.status, 403, `token ${JSON.stringify(token)}`);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'VOX_CSRF');
    }
    assert.equal((await staff.request('DELETE', '/templates/1', undefined, { 'x-csrf-token': '' })).status, 403);
    assert.ok(!(await app.blog.vox.siteContacts.list()).some((c) => c.name === 'Evil'));
    assert.equal((await app.blog.vox.templates.list()).length, 3);
  });

  test('pages carry the token and security headers; assets are public and cached', async () => {
    const shell = await fetch(`${app.url}/admin/notifications/blog.article.created`, { headers: { cookie: staff.cookie } });
    assert.equal(shell.status, 200);
    const html = await shell.text();
    const csp = shell.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/, 'no inline scripts');
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(shell.headers.get('x-frame-options'), 'DENY');
    assert.equal(shell.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(shell.headers.get('referrer-policy'), 'same-origin');
    assert.equal(shell.headers.get('cache-control'), 'no-store');
    assert.ok(!/<script(?![^>]*\bsrc=)/.test(html), 'the shell has no inline script');
    const shellToken = (JSON.parse((/<meta name="vox-admin" content="([^"]+)"/.exec(html)?.[1] ?? '{}').replaceAll('&quot;', '"')) as { csrf?: string }).csrf ?? '';
    const withShellToken = await staff.request('POST', '/site-contacts', { name: 'Shell token', protocol: 'email', address: 'shell@example.org' }, { 'x-csrf-token': shellToken });
    assert.equal(withShellToken.status, 201, 'the shell carries a CSRF token of this session');
    await staff.request('DELETE', `/site-contacts/${((await withShellToken.json()) as { id: number }).id}`);
    const script = /<script type="module" src="([^"]+)"/.exec(html)?.[1] ?? '';
    const asset = await fetch(`${app.url}${script}`);
    assert.equal(asset.status, 200, script);
    assert.match(asset.headers.get('content-type') ?? '', /javascript/);
    assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
    assert.equal((await fetch(`${app.url}/admin/assets/..%2F.vite%2Fmanifest.json`)).status, 404);
    const api = await staff.request('GET', '/session');
    assert.equal(api.headers.get('x-frame-options'), 'DENY');
    // Each backend's editor, declared or implied by its format, picks the content editor.
    const session = (await api.json()) as SessionInfo;
    assert.deepEqual(session.backends.map((b) => [b.id, b.editor]), [['email-html', 'html'], ['email-md', 'markdown'], ['email', 'blocks']]);
    assert.equal((await staff.request('GET', '/nothing')).status, 404);
    assert.equal((await staff.request('POST', '/templates/preview', { template: { content: 'x'.repeat(2 * 1024 * 1024) } })).status, 413);
    const notJson = await staff.request('POST', '/site-contacts', undefined, { 'content-type': 'application/json' });
    assert.equal(notJson.status, 400);
  });

  test('notifications from code are read-only; admin-created ones are added, issued and deleted', async () => {
    const list = await staff.json<{ key: string; fromCode: boolean; templateCount: number }[]>('GET', '/notifications');
    assert.deepEqual(list.map((n) => [n.key, n.fromCode, n.templateCount]), [
      ['blog.article.created', true, 1],
      ['blog.comment.posted', true, 1],
      ['blog.subscriber.created', true, 1],
    ]);
    const refused = await staff.request('DELETE', '/notifications/blog.article.created');
    assert.equal(refused.status, 400);
    assert.match(((await refused.json()) as { error: { message: string } }).error.message, /declared in code/);

    const created = await staff.json<NotificationDetail>('POST', '/notifications', { model: 'blog.subscriber', codename: 'welcome', description: 'Welcome a subscriber by hand' });
    assert.equal(created.notification.fromCode, false);
    assert.deepEqual(created.channels.map((c) => c.label), ['Site Contacts', 'Subscriber']);
    assert.equal((await staff.request('POST', '/notifications', { model: 'blog.subscriber', codename: 'welcome', description: 'again' })).status, 400);
    assert.equal((await staff.request('POST', '/notifications', { model: 'nope', codename: 'x', description: 'x' })).status, 400);
    await staff.json('POST', '/templates', { notification: 'blog.subscriber.welcome', backend: 'email-md', recipients: ['c'], subject: 'Welcome, {{ recipient.name }}', content: 'Hello **{{ object.name }}**' });
    const issued = await staff.json<{ issues: { issueId: number }[] }>('POST', '/notifications/blog.subscriber.welcome/issue', { objects: ['1', '2'] });
    assert.equal(issued.issues.length, 2);
    await until(() => smtp().received.length === 2, 10_000, 'two welcome mails');
    assert.deepEqual(smtp().received.map((m) => m.parsed.subject).sort(), ['Welcome, Nina New', 'Welcome, Sam Subscriber']);
    assert.match(smtp().received[0]?.parsed.html || '', /<strong>(Sam Subscriber|Nina New)<\/strong>/);

    const withActor = await staff.request('POST', '/notifications/blog.article.created/issue', { objects: ['welcome'] });
    assert.equal(withActor.status, 400);
    assert.match(((await withActor.json()) as { error: { message: string } }).error.message, /has an actor/);
    assert.equal((await staff.request('POST', '/notifications/blog.subscriber.welcome/issue', { objects: ['99'] })).status, 404);

    assert.equal((await staff.request('DELETE', '/notifications/blog.subscriber.welcome')).status, 204);
    assert.equal((await staff.request('GET', '/notifications/blog.subscriber.welcome')).status, 404);
  });

  test('templates: syntax errors at their line refuse the save; previews warn of unknown variables and render sample or real data', async () => {
    const detail = await staff.json<NotificationDetail>('GET', '/notifications/blog.article.created');
    const template = detail.templates[0];
    assert.ok(template);
    const broken = await staff.request('PUT', `/templates/${template.id}`, { ...template, content: '<p>Hi</p>\n{% if object.title %}\nno end' });
    assert.equal(broken.status, 422);
    const { error } = (await broken.json()) as { error: { problems: { field: string; line: number }[] } };
    assert.deepEqual(error.problems.map((p) => [p.field, p.line]), [['content', 2]]);
    assert.equal((await app.blog.vox.templates.get(template.id))?.content, template.content, 'nothing was saved');

    const groups = detail.variables.map((g) => `${g.root}${g.channel ? `:${g.channel}` : ''}`);
    assert.deepEqual(groups, ['object', 'actor', 'recipient:si', 'recipient:c:subscribers', 'recipient:c:author', 'recipient:se', 'contact', 'unsubscribe_url', 'preferences_url', 'notification', 'site']);
    assert.ok(detail.variables[0]?.fields.some((f) => f.path === 'author.email' && f.type === 'string'), 'nested relations are listed');

    const form = { ...template, subject: 'New: {{ object.titel }}', content: '<p>Hi {{ recipient.name }}, {{ actor.name }} wrote {{ object.title }}.</p>' };
    const sample = await staff.json<PreviewResult>('POST', '/templates/preview', { template: form, source: { mode: 'sample' } });
    assert.deepEqual(sample.errors, []);
    assert.deepEqual(sample.warnings, [{ field: 'subject', line: 1, column: 9, message: 'unknown variable object.titel: did you mean object.title?' }]);
    assert.equal(sample.message?.subject, 'New:');
    assert.match(sample.message?.html ?? '', /Hi Robin Recipient, Alex Actor wrote A sample title\./);
    assert.match(sample.notes.join(' '), /sample data/);

    const real = await staff.json<PreviewResult>('POST', '/templates/preview', { template: { ...form, subject: '{{ object.title }}' }, source: { mode: 'object', object: 'welcome', actor: '1' } });
    assert.equal(real.message?.subject, 'Welcome to Vox');
    assert.match(real.message?.html ?? '', /Hi Sam Subscriber, Alan Author wrote Welcome to Vox\./);
    assert.equal(real.message?.recipient, 'Subscribers: Sam Subscriber <sam@example.org>');
    assert.deepEqual(real.message?.attachments.map((a) => a.filename), ['vcard.vcf']);
    assert.match(real.message?.text ?? '', /Hi Sam Subscriber/);
  });

  test('send test goes to the signed-in staff member only', async () => {
    const template = (await app.blog.vox.templates.list('blog.subscriber.created'))[0];
    assert.ok(template);
    const outcome = await staff.json<{ status: string; to: string[] }>('POST', '/templates/test', { template: { ...template, subject: 'TEST {{ object.name }}' }, source: { mode: 'sample' } });
    assert.deepEqual(outcome, { ...outcome, status: 'sent', to: ['author@example.org'] });
    const mail = smtp().received.find((m) => m.parsed.subject === 'TEST Pat Reader');
    assert.deepEqual(mail?.envelopeTo, ['author@example.org']);
  });

  test('site contacts: list, add with per-notification settings, edit, refuse bad input, delete', async () => {
    const added = await staff.json<SiteContactRecord>('POST', '/site-contacts', {
      name: 'Editors',
      protocol: 'email',
      address: 'editors@example.org',
      enableFilter: 'whitelist',
      settings: { 'blog.comment.posted': true },
    });
    assert.deepEqual(added.settings, { 'blog.comment.posted': true });
    const edited = await staff.json<SiteContactRecord>('PUT', `/site-contacts/${added.id}`, { ...added, enableFilter: 'blacklist', settings: { 'blog.subscriber.created': false } });
    assert.equal(edited.enableFilter, 'blacklist');
    assert.deepEqual(edited.settings, { 'blog.subscriber.created': false });
    const bad = await staff.request('POST', '/site-contacts', { name: '', protocol: 'fax', address: 'x' });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /name is empty; protocol "fax" has no configured backend/);
    assert.deepEqual((await staff.json<SiteContactRecord[]>('GET', '/site-contacts')).map((c) => c.name), ['Site admin', 'Editors']);
    assert.equal((await staff.request('DELETE', `/site-contacts/${added.id}`)).status, 204);
    assert.equal((await staff.request('DELETE', `/site-contacts/${added.id}`)).status, 404);
  });

  test('one-time messages: clear errors without contacts, template variables rendered, queued and sent', async () => {
    const noContacts = await staff.request('GET', '/one-time/blog.article');
    assert.equal(noContacts.status, 400);
    assert.match(((await noContacts.json()) as { error: { message: string } }).error.message, /Article objects have no contacts/);
    const options = await staff.json<{ backends: { id: string }[] }>('GET', '/one-time/blog.subscriber');
    assert.deepEqual(options.backends.map((b) => b.id), ['email-html', 'email-md', 'email']);
    const message = { model: 'blog.subscriber', objects: ['1', '2'], backend: 'email-html', fromAddress: '', subject: 'News for {{ recipient.name }}', content: '<p>Dear {{ object.name }}, your token is {{ object.token }}. {{ object.nope }}</p>' };
    const preview = await staff.json<PreviewResult>('POST', '/one-time/preview', message);
    assert.equal(preview.message?.subject, 'News for Sam Subscriber');
    assert.deepEqual(preview.warnings.map((w) => w.message), ['unknown variable object.nope']);
    const broken = await staff.request('POST', '/one-time/send', { ...message, content: '{% if %}' });
    assert.equal(broken.status, 422);
    const sent = await staff.json<{ queued: number; messageIds: number[] }>('POST', '/one-time/send', message);
    assert.equal(sent.queued, 2);
    await until(() => smtp().received.filter((m) => m.parsed.subject?.startsWith('News for')).length === 2, 10_000, 'one-time mails');
    const nina = smtp().received.find((m) => m.parsed.subject === 'News for Nina New');
    assert.deepEqual(addressesOf(nina?.parsed.to), ['nina@example.org']);
    assert.match(nina?.parsed.html || '', /Dear Nina New, your token is nina-token\./);
  });

  test('the message log filters by status, backend, notification and date, pages, and resends failed messages', async () => {
    smtp().refuse((address) => (address === 'sam@example.org' ? { code: 550, message: 'no such user' } : undefined));
    // Two issues and a one-time message: three messages, more than the page of two below.
    const issued = await staff.json<{ issues: { issueId: number }[] }>('POST', '/notifications/blog.subscriber.created/issue', { objects: ['1', '2'] });
    assert.equal(issued.issues.length, 2);
    const oneTime = await staff.json<{ messageIds: number[] }>('POST', '/one-time/send', { model: 'blog.subscriber', objects: ['1'], backend: 'email-md', fromAddress: '', subject: 'Refused', content: 'x' });
    const failedId = oneTime.messageIds[0] as number;
    await until(async () => (await app.blog.vox.messages.get(failedId))?.status === 'failed', 10_000, 'the refused message to fail');
    await until(async () => (await app.blog.vox.messages.list()).length === 3, 10_000, 'the issues fanned out');

    const failed = await staff.json<MessagePage>('GET', '/messages?status=failed');
    assert.deepEqual(failed.messages.map((m) => [m.id, m.backend, m.to.map((c) => c.address), m.errorCode, m.permanent]), [[failedId, 'email-md', ['sam@example.org'], '550', true]]);
    const byBackend = await staff.json<MessagePage>('GET', '/messages?backend=email-md');
    assert.ok(byBackend.messages.length >= 1 && byBackend.messages.every((m) => m.backend === 'email-md'), 'only email-md messages, and at least the refused one');
    assert.ok((await staff.json<MessagePage>('GET', '/messages')).messages.some((m) => m.backend !== 'email-md'), 'others exist, so the filter had something to leave out');
    const byNotification = await staff.json<MessagePage>('GET', '/messages?notification=blog.subscriber.created');
    assert.ok(byNotification.messages.length >= 1 && byNotification.messages.every((m) => m.notification === 'blog.subscriber.created'));
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    assert.ok((await staff.json<MessagePage>('GET', `/messages?from=${today}&to=${today}`)).messages.length > 0);
    assert.deepEqual((await staff.json<MessagePage>('GET', `/messages?from=${tomorrow}`)).messages, []);
    assert.equal((await staff.request('GET', '/messages?from=yesterday')).status, 400);
    assert.equal((await staff.request('GET', '/messages?status=lost')).status, 400);
    const first = await staff.json<MessagePage>('GET', '/messages?limit=2');
    assert.equal(first.messages.length, 2);
    assert.ok(first.next !== null);
    const second = await staff.json<MessagePage>('GET', `/messages?limit=2&before=${first.next}`);
    assert.ok((second.messages[0]?.id ?? 0) < (first.messages[1]?.id ?? 0));

    const detail = await staff.json<{ payload: { html: string } | null; notification: string | null }>('GET', `/messages/${failedId}`);
    assert.match(detail.payload?.html ?? '', /<p>x<\/p>/);
    assert.equal(detail.notification, null);

    smtp().refuse(undefined);
    const { outcomes } = await staff.json<{ outcomes: { id: number; status: string; error: string | null }[] }>('POST', '/messages/resend', { ids: [failedId, 999_999] });
    assert.deepEqual(outcomes.map((o) => [o.id, o.status]), [[failedId, 'sent'], [999_999, 'not_resent']]);
    assert.match(outcomes[1]?.error ?? '', /does not exist/);
    assert.equal((await app.blog.vox.messages.get(failedId))?.status, 'sent');
    assert.ok(smtp().received.some((m) => m.parsed.subject === 'Refused'));
  });
});

describe('mounting the admin', () => {
  const smtp = smtpForSuite();
  let app: AdminApp;
  before(async () => {
    app = await startAdminApp(smtp().transport);
  });
  after(() => app?.close());

  test('in Express under /admin, next() for everything else', async () => {
    const server = express();
    server.use('/admin', toNodeHandler(app.admin));
    server.get('/hello', (_request, response) => {
      response.send('hello from express');
    });
    const listening = createServer(server).listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => listening.once('listening', () => resolve()));
    const base = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
    try {
      const cookie = `session=${app.signIn()}`;
      const session = await fetch(`${base}/admin/api/session`, { headers: { cookie } });
      assert.equal(session.status, 200);
      const { csrfToken } = (await session.json()) as SessionInfo;
      assert.equal((await fetch(`${base}/admin/api/session`)).status, 401);
      const created = await fetch(`${base}/admin/api/site-contacts`, {
        method: 'POST',
        headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Via Express', protocol: 'email', address: 'express@example.org' }),
      });
      assert.equal(created.status, 201);
      assert.equal(await (await fetch(`${base}/hello`)).text(), 'hello from express');
    } finally {
      await new Promise<void>((resolve) => listening.close(() => resolve()));
    }
  });

  test('outside its basePath, the Node handler answers 404', async () => {
    assert.equal((await fetch(`${app.url}/elsewhere`)).status, 404);
    assert.equal((await fetch(`${app.url}/administrator`)).status, 404);
  });
});
