// Every text field staff can submit has a maximum length (docs/admin.md, "Field lengths"): a longer
// one is refused with VOX_FIELD_TOO_LONG naming the field, and nothing is saved. Before, a 500 KB
// site-contact name was accepted and shown on every page of site contacts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ensureAdminUi } from '../admin-ui/build.ts';
import type { SessionInfo } from '../src/admin/api.ts';
import { ErrorCode, FieldTooLongError } from '../src/index.ts';
import { startAdminApp, type AdminApp } from './support/admin-app.ts';
import { smtpForSuite } from './support/smtp.ts';

type Refusal = { status: number; code: string | undefined; field: string | undefined };

describe('field lengths', () => {
  const smtp = smtpForSuite();
  let app: AdminApp;
  let headers: Record<string, string>;
  before(async () => {
    await ensureAdminUi();
    app = await startAdminApp(smtp().transport);
    const cookie = `session=${app.signIn()}`;
    const session = (await (await fetch(`${app.url}/admin/api/session`, { headers: { cookie } })).json()) as SessionInfo;
    headers = { cookie, 'x-csrf-token': session.csrfToken, 'content-type': 'application/json' };
  });
  after(() => app.close());

  const send = async (method: string, path: string, body?: unknown): Promise<Refusal> => {
    const response = await fetch(`${app.url}/admin/api${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const answer = (await response.json()) as { error?: { code: string; field?: string } };
    return { status: response.status, code: answer.error?.code, field: answer.error?.field };
  };
  const tooLong = (field: string): Refusal => ({ status: 400, code: 'VOX_FIELD_TOO_LONG', field });
  const template = { notification: 'blog.subscriber.created', backend: 'email-html', recipients: ['si'], subject: 'New subscriber', content: '<p>{{ object.name }}</p>' };

  test('a 500 KB site-contact name is refused, naming the field, and nothing is saved; 200 characters are fine', async () => {
    assert.deepEqual(await send('POST', '/site-contacts', { name: 'x'.repeat(500_000), protocol: 'email', address: 'big@example.org' }), tooLong('name'));
    assert.deepEqual(await send('POST', '/site-contacts', { name: 'Editors', protocol: 'email', address: `${'a'.repeat(3000)}@example.org` }), tooLong('address'));
    assert.deepEqual((await app.blog.vox.siteContacts.list()).map((c) => c.name), ['Site admin']);
    assert.equal((await send('POST', '/site-contacts', { name: 'n'.repeat(200), protocol: 'email', address: 'long@example.org' })).status, 201);
  });

  test("a template's content, subject, from address, recipients and attachments have maximum lengths, when saved and when previewed", async () => {
    const before = (await app.blog.vox.templates.list()).length;
    assert.deepEqual(await send('POST', '/templates', { ...template, content: 'x'.repeat(100_001) }), tooLong('content'));
    assert.deepEqual(await send('POST', '/templates', { ...template, subject: 's'.repeat(1001) }), tooLong('subject'));
    assert.deepEqual(await send('POST', '/templates', { ...template, fromAddress: 'f'.repeat(1001) }), tooLong('fromAddress'));
    assert.deepEqual(await send('POST', '/templates', { ...template, recipients: Array.from({ length: 1001 }, () => 'si') }), tooLong('recipients'));
    assert.deepEqual(await send('POST', '/templates', { ...template, attachments: ['a'.repeat(201)] }), tooLong('attachments'));
    assert.deepEqual(await send('POST', '/templates/preview', { template: { ...template, content: 'x'.repeat(100_001) } }), tooLong('content'));
    assert.equal((await app.blog.vox.templates.list()).length, before);
    assert.equal((await send('POST', '/templates', { ...template, content: `<p>${'x'.repeat(99_000)}</p>` })).status, 201);
  });

  test('a notification created in the admin has a maximum codename and description', async () => {
    const notification = { model: 'blog.article', codename: 'featured', description: 'An article was featured' };
    assert.deepEqual(await send('POST', '/notifications', { ...notification, description: 'd'.repeat(1001) }), tooLong('description'));
    assert.deepEqual(await send('POST', '/notifications', { ...notification, codename: 'c'.repeat(201) }), tooLong('codename'));
    assert.equal((await send('POST', '/notifications', notification)).status, 201);
    assert.deepEqual(await send('PUT', '/notifications/blog.article.featured', { description: 'd'.repeat(1001) }), tooLong('description'));
  });

  test('one-time messages, object lists and searches have maximum lengths', async () => {
    const message = { model: 'blog.subscriber', objects: ['1'], backend: 'email-html', subject: 'Hello', content: '<p>Hi</p>' };
    assert.deepEqual(await send('POST', '/one-time/preview', { ...message, subject: 's'.repeat(1001) }), tooLong('subject'));
    assert.deepEqual(await send('POST', '/one-time/send', { ...message, content: 'x'.repeat(100_001) }), tooLong('content'));
    assert.deepEqual(await send('POST', '/one-time/send', { ...message, objects: Array.from({ length: 1001 }, (_, i) => String(i)) }), tooLong('objects'));
    assert.deepEqual(await send('GET', `/models/blog.subscriber/objects?q=${'q'.repeat(201)}`), tooLong('q'));
    assert.equal((await send('POST', '/one-time/preview', message)).status, 200);
  });

  test('the same limits hold for code: vox.siteContacts.save throws VOX_FIELD_TOO_LONG', async () => {
    await assert.rejects(app.blog.vox.siteContacts.save({ name: 'x'.repeat(500_000), protocol: 'email', address: 'big@example.org' }), (error: unknown) => {
      assert.ok(error instanceof FieldTooLongError);
      assert.equal(error.code, ErrorCode.fieldTooLong);
      assert.equal(error.field, 'name');
      return true;
    });
  });
});
