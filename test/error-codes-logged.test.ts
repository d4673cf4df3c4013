/**
 * Error codes that land on the message log, provoked through notify() the way a user would, each
 * checked by the row's `errorCode` (never by its message): docs/templates.md ("When rendering
 * fails"), docs/attachments.md, docs/email.md and docs/activities.md.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import * as z from 'zod';
import { activity } from '../src/activitypub/index.ts';
import { contact, createVox, type MessageRecord, type Vox } from '../src/index.ts';
import { htmlEmail } from '../src/backends/email/index.ts';
import { smtpForSuite } from './support/smtp.ts';

interface Reader {
  readonly name: string;
  readonly email: string;
}
interface Post {
  readonly id: number;
  readonly title: string;
  readonly author: Reader | null;
}

describe('error codes in the message log', () => {
  const smtp = smtpForSuite();
  const opened: Vox[] = [];
  afterEach(async () => {
    for (const vox of opened.splice(0)) await vox.close();
  });

  /**
   * A news app whose post notifies its readers; `readers` may throw, and readers must have a
   * well-formed name. Returns the log's rows of one issue of a post.
   */
  async function issue(options: { readers?: () => Reader[]; from?: string; attachmentBytes?: number; template?: Record<string, unknown>; post?: Partial<Post> } = {}) {
    const vox = createVox({
      database: { dialect: 'sqlite', path: ':memory:' },
      backends: [htmlEmail({ transport: smtp().transport, ...(options.from === undefined ? { from: 'news@example.org' } : options.from ? { from: options.from } : {}) })],
      ...(options.attachmentBytes ? { limits: { attachmentBytes: options.attachmentBytes } } : {}),
    });
    opened.push(vox);
    const Reader = vox.model('news.reader', {
      id: (r: Reader) => r.email,
      schema: z.object({ name: z.string().min(1), email: z.string() }),
      contacts: { email: (r) => contact(r.name, 'email', r.email) },
      attachments: { vcard: { mime: 'text/vcard', data: (r) => `FN:${r.name}` } },
    });
    const Post = vox.model('news.post', {
      id: (p: Post) => p.id,
      notifications: { published: 'A post was published' },
      channels: { readers: { recipients: Reader, resolve: options.readers ?? (() => [{ name: 'Ann', email: 'ann@example.org' }]) } },
      relations: { author: Reader },
    });
    await vox.migrate();
    await vox.sync();
    await vox.templates.save({ notification: 'news.post.published', backend: 'email-html', recipients: ['c:readers'], subject: '{{ object.title }}', content: '<p>{{ object.title }}</p>', ...options.template });
    const post: Post = { id: 1, title: 'News', author: { name: 'Alan', email: 'alan@example.org' }, ...options.post };
    const result = await (await Post.notify(post, 'published')).settled();
    return vox.messages.list({ issueId: result.issueId });
  }
  const codes = (rows: MessageRecord[]) => rows.map((m) => [m.to.map((c) => c.address), m.status, m.errorCode, m.permanent]).sort();

  test('VOX_CHANNEL: a channel resolver that throws fails its template’s message, with nothing sent', async () => {
    const rows = await issue({
      readers: () => {
        throw new Error('the subscriber database is down');
      },
    });
    assert.deepEqual(codes(rows), [[[], 'failed', 'VOX_CHANNEL', true]]);
    assert.equal(smtp().received.length, 0);
  });

  test('VOX_SCHEMA: a recipient that fails its model’s schema fails its own message; the others are sent', async () => {
    const rows = await issue({ readers: () => [{ name: '', email: 'nameless@example.org' }, { name: 'Ann', email: 'ann@example.org' }] });
    assert.deepEqual(codes(rows), [[['ann@example.org'], 'sent', null, false], [['nameless@example.org'], 'failed', 'VOX_SCHEMA', true]]);
  });

  test('VOX_ATTACHMENT: an attachment through a relation that is empty', async () => {
    const rows = await issue({ template: { attachments: ['object.author.vcard'] }, post: { author: null } });
    assert.deepEqual(codes(rows), [[[], 'failed', 'VOX_ATTACHMENT', true]]);
    assert.equal(smtp().received.length, 0);
  });

  test('VOX_ATTACHMENT_TOO_LARGE: attachments over limits.attachmentBytes', async () => {
    const rows = await issue({ template: { attachments: ['object.author.vcard'] }, attachmentBytes: 5 });
    assert.deepEqual(codes(rows), [[[], 'failed', 'VOX_ATTACHMENT_TOO_LARGE', true]]);
    assert.equal(smtp().received.length, 0);
  });

  test('EADDRESS: an address that is not an email address fails for good, before the server is asked', async () => {
    const rows = await issue({ readers: () => [{ name: 'Ann', email: 'Ann <ann@example.org>' }, { name: 'Bob', email: 'bob@example.org' }] });
    assert.deepEqual(codes(rows), [[['Ann <ann@example.org>'], 'failed', 'EADDRESS', true], [['bob@example.org'], 'sent', null, false]]);
    assert.deepEqual(smtp().received.map((m) => m.envelopeTo), [['bob@example.org']]);
  });

  test('ENOFROM: no from address on the template or the backend', async () => {
    const rows = await issue({ from: '' });
    assert.deepEqual(codes(rows), [[['ann@example.org'], 'failed', 'ENOFROM', true]]);
    assert.equal(smtp().received.length, 0);
  });

  test('ENOTLOCAL: an activity to an address that is no actor of this site', async () => {
    const ap = activity({ allowPrivateAddress: true });
    const vox = createVox({ database: { dialect: 'sqlite', path: ':memory:' }, backends: [ap.backend], site: { baseUrl: 'http://127.0.0.1:9', name: 'News' } });
    opened.push(vox);
    vox.model('auth.user', { id: (u: string) => u, actor: { path: '/users/{identifier}', identifier: (u) => u, find: (name) => (name === 'ann' ? 'ann' : undefined) } });
    const Reader = vox.model('news.reader', { id: (r: string) => r, contacts: { activity: (r) => contact('Remote', 'activity', r) } });
    const Post = vox.model('news.post', {
      id: (p: { id: number }) => p.id,
      notifications: { published: 'A post was published' },
      channels: { readers: { recipients: Reader, resolve: () => ['http://127.0.0.1:9/elsewhere/bob'] } },
    });
    await vox.migrate();
    await vox.sync();
    await vox.templates.save({ notification: 'news.post.published', backend: 'activity', recipients: ['c:readers'], subject: 'News', content: '<p>News</p>' });
    const result = await (await Post.notify({ id: 1 }, 'published')).settled();
    const rows = await vox.messages.list({ issueId: result.issueId });
    assert.deepEqual(codes(rows), [[['http://127.0.0.1:9/elsewhere/bob'], 'failed', 'ENOTLOCAL', true]], rows[0]?.error ?? '');
  });
});
