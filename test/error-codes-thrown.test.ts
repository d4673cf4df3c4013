/**
 * Error codes that Vox's API throws or rejects with, provoked the way a user would, each checked
 * by its `code` (never by its message): docs/getting-started.md, docs/delivery.md, docs/models.md.
 * Codes logged on message rows are in error-codes-logged.test.ts.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import * as z from 'zod';
import { createVox, ErrorCode, VoxError, type Vox } from '../src/index.ts';
import { htmlEmail, type MailTransport } from '../src/backends/email/index.ts';
import { newsApp } from './support/news-app.ts';
import { smtpForSuite } from './support/smtp.ts';

/** Checks that a value thrown or rejected is a VoxError with this code. */
const withCode = (code: string) => (error: unknown) => {
  assert.ok(error instanceof VoxError, `expected a VoxError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return true;
};

describe('error codes thrown by the API', () => {
  const smtp = smtpForSuite();
  const opened: Vox[] = [];
  const keep = (vox: Vox) => (opened.push(vox), vox);
  afterEach(async () => {
    for (const vox of opened.splice(0)) await vox.close();
  });
  const memory = { dialect: 'sqlite', path: ':memory:' } as const;

  test('VOX_CONFIGURATION: no database, two backends with one id, an email backend without a transport, start() on a worker: false Vox', async () => {
    assert.throws(() => createVox(undefined as never), withCode('VOX_CONFIGURATION'));
    const backend = htmlEmail({ transport: smtp().transport, from: 'news@example.org' });
    assert.throws(() => createVox({ database: memory, backends: [backend, backend] }), withCode('VOX_CONFIGURATION'));
    assert.throws(() => htmlEmail({ transport: undefined as unknown as MailTransport }), withCode('VOX_CONFIGURATION'));
    const web = keep(createVox({ database: memory, worker: false }));
    assert.throws(() => web.start(), withCode('VOX_CONFIGURATION'));
    assert.throws(() => web.model('news post', { id: (x: string) => x }), withCode('VOX_CONFIGURATION'));
  });

  test("VOX_UNKNOWN_PROTOCOL: contacts under a key that is neither Vox's protocol nor a configured backend's", async () => {
    const custom = { ...htmlEmail({ transport: smtp().transport, from: 'news@example.org' }), id: 'pager', protocol: 'pager' };
    const vox = keep(createVox({ database: memory, backends: [custom] }));
    interface Reader {
      id: number;
      email: string;
    }
    // A misspelt protocol was accepted and never used: every recipient was silently unreachable.
    assert.throws(() => vox.model('news.reader', { id: (r: Reader) => r.id, contacts: { emial: (r) => r.email } }), (error: unknown) => {
      assert.ok(withCode('VOX_UNKNOWN_PROTOCOL')(error));
      assert.match((error as Error).message, /"emial"/);
      return true;
    });
    // The model was not registered, so a corrected declaration goes through; Vox's own protocols
    // (sms: no Twilio backend here) and a configured backend's own protocol are known.
    const Reader = vox.model('news.reader', { id: (r: Reader) => r.id, contacts: { email: (r) => r.email, sms: () => null, pager: () => null } });
    assert.equal(Reader.name, 'news.reader');
  });

  test('VOX_NOTIFICATION_NOT_SYNCED: notify() before sync()', async () => {
    const vox = keep(createVox({ database: memory }));
    const Post = vox.model('news.post', { id: (p: { id: number }) => p.id, notifications: { published: 'A post was published' } });
    await vox.migrate();
    await assert.rejects(Post.notify({ id: 1 }, 'published'), withCode('VOX_NOTIFICATION_NOT_SYNCED'));
    await vox.sync();
    await Post.notify({ id: 1 }, 'published');
  });

  test('VOX_MISSING_TARGET and VOX_UNEXPECTED_TARGET: a target left out, or passed to a notification without one', async () => {
    const vox = keep(createVox({ database: memory }));
    const User = vox.model('auth.user', { id: (u: { id: number }) => u.id });
    const Post = vox.model('news.post', {
      id: (p: { id: number }) => p.id,
      notifications: { moved: { description: 'A post moved to another user', target: User }, published: 'A post was published' },
    });
    await vox.migrate();
    await vox.sync();
    // @ts-expect-error news.post.moved declares a target
    await assert.rejects(Post.notify({ id: 1 }, 'moved'), withCode('VOX_MISSING_TARGET'));
    // @ts-expect-error news.post.published declares no target
    await assert.rejects(Post.notify({ id: 1 }, 'published', { target: { id: 2 } }), withCode('VOX_UNEXPECTED_TARGET'));
  });

  test('VOX_SCHEMA: notify() with an object that fails its model’s schema', async () => {
    const vox = keep(createVox({ database: memory }));
    const Post = vox.model('news.post', { id: (p: { id: number; title: string }) => p.id, schema: z.object({ id: z.number(), title: z.string().min(1) }), notifications: { published: 'A post was published' } });
    await vox.migrate();
    await vox.sync();
    await assert.rejects(Post.notify({ id: 1, title: '' }, 'published'), withCode('VOX_SCHEMA'));
  });

  test('VOX_INVALID_INPUT: trx that is the Kysely instance, not a transaction', async () => {
    const { vox, Post } = await newsApp([]);
    keep(vox);
    const { connect } = await import('../src/store/connect.ts');
    const connection = connect(memory);
    try {
      // @ts-expect-error -- refused by the types too; JavaScript callers get this error at run time.
      await assert.rejects(Post.notify({ id: 1, title: 'x' }, 'published', { trx: connection.db }), withCode('VOX_INVALID_INPUT'));
    } finally {
      await connection.close();
    }
  });

  test('VOX_NOT_FOUND: changing or deleting a template that does not exist', async () => {
    const { vox } = await newsApp([htmlEmail({ transport: smtp().transport, from: 'news@example.org' })]);
    keep(vox);
    await assert.rejects(vox.templates.delete(999), withCode('VOX_NOT_FOUND'));
    await assert.rejects(vox.templates.save({ id: 999, notification: 'news.post.published', backend: 'email-html', recipients: ['c:readers'], subject: 'x', content: 'x' }), withCode('VOX_NOT_FOUND'));
  });

  test('VOX_NOTHING_SENT: settled() of a required notification that reached nobody', async () => {
    const vox = keep(createVox({ database: memory, backends: [htmlEmail({ transport: smtp().transport, from: 'news@example.org' })] }));
    const Reader = vox.model('news.reader', { id: (address: string) => address, contacts: { email: (address) => address } });
    const Post = vox.model('news.post', {
      id: (p: { id: number }) => p.id,
      notifications: { published: { description: 'A post was published', required: true } },
      channels: { readers: { recipients: Reader, resolve: () => ['ann@example.org'] } },
    });
    await vox.migrate();
    await vox.sync();
    await vox.templates.save({ notification: 'news.post.published', backend: 'email-html', recipients: ['c:readers'], subject: 'x', content: 'x' });
    smtp().refuse(() => ({ code: 550, message: 'No such user' }));
    await assert.rejects((await Post.notify({ id: 1 }, 'published')).settled(), withCode('VOX_NOTHING_SENT'));
  });

  test('VOX_UNKNOWN_MODEL: the admin asked for a model that is not registered answers 404 with the code', async () => {
    const { vox } = await newsApp([htmlEmail({ transport: smtp().transport, from: 'news@example.org' })]);
    keep(vox);
    const admin = vox.admin({ authorize: () => ({ id: 1, name: 'Staff', email: 'staff@example.org' }), secret: 'a secret of at least 16 bytes', basePath: '/admin' });
    const response = await admin.fetch(new Request('http://127.0.0.1/admin/api/one-time/news.ghost'));
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, ErrorCode.unknownModel);
  });
});
