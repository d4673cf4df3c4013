import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { VoxError, VoxOptions } from '../src/index.ts';
import { createVox, ErrorCode, NothingSentError, TemplateValidationError, type Vox } from '../src/index.ts';
import { connect, type Connection } from '../src/store/connect.ts';
import { createBlog, seedBlog, type Article, type User } from './support/blog.ts';
import { databases } from './support/databases.ts';
import { smtpForSuite, type TestSmtp } from './support/smtp.ts';
import { messageIdOf } from '../src/backends/email/index.ts';

for (const database of databases) {
  describe(`bad input and failures on ${database.name}`, { skip: database.skip }, () => {
    const smtpServer = smtpForSuite();
    let smtp: TestSmtp;
    let connection: Connection;
    let drop: () => Promise<void>;
    let blog: ReturnType<typeof createBlog>;
    let author: User;
    let article: Article;

    beforeEach(async () => {
      smtp = smtpServer();
      const db = await database.create();
      drop = db.drop;
      connection = connect(db.options);
      blog = createBlog(connection.db, smtp.transport);
      await blog.vox.migrate();
      await blog.vox.sync();
      await seedBlog(blog.vox);
      author = blog.data.users[0]!;
      article = { slug: 'a', title: 'A title', body: 'Body', author };
      blog.data.articles.push(article);
      blog.data.subscribers.push(
        { id: 1, name: 'One', email: 'one@example.org', token: 't1' },
        { id: 2, name: 'Two', email: 'two@example.org', token: 't2' },
        { id: 3, name: 'Three', email: 'three@example.org', token: 't3' },
      );
    });
    /** Another Vox over the same database, as after a configuration change; closed after the test. */
    const opened: Vox[] = [];
    function another<DB>(options: VoxOptions<DB>): Vox {
      const vox = createVox(options);
      opened.push(vox);
      return vox;
    }

    afterEach(async () => {
      for (const vox of opened.splice(0)) await vox.close();
      await blog.vox.close();
      await connection.close();
      await drop();
    });

    const received = () => smtp.received.flatMap((m) => m.envelopeTo).sort();

    test('invalid template syntax is refused with line and column, and nothing is saved', async () => {
      const before = (await blog.vox.templates.list()).length;
      await assert.rejects(
        blog.vox.templates.save({ notification: 'blog.article.created', backend: 'email-html', recipients: ['c:subscribers'], subject: 'ok', content: '<p>Hi</p>\n{% if object.title %}\nno end' }),
        (error: unknown) => {
          assert.ok(error instanceof TemplateValidationError);
          assert.equal(error.code, ErrorCode.invalidTemplate);
          assert.deepEqual(error.problems.map((p) => [p.field, p.line, p.column]), [['content', 2, 1]]);
          assert.match(error.problems[0]!.message, /not closed/);
          return true;
        },
      );
      assert.equal((await blog.vox.templates.list()).length, before);
    });

    test('unknown variables, recipients and backends are reported before saving', async () => {
      const check = await blog.vox.templates.validate({
        notification: 'blog.article.created',
        backend: 'email-html',
        recipients: ['c:subscribers'],
        subject: '{{ object.titel }}',
        content: '{{ recipient.token }} {{ object.author.name }}\n{{ actor.pasword }}',
      });
      assert.deepEqual(check.errors, []);
      assert.deepEqual(check.warnings.map((w) => [w.field, w.message, w.line]), [
        ['subject', 'unknown variable object.titel: did you mean object.title?', 1],
        ['content', 'unknown variable actor.pasword', 2],
      ]);
      await assert.rejects(
        blog.vox.templates.save({ notification: 'blog.article.created', backend: 'sms', recipients: ['c:nobody'], content: 'x' }),
        (error: TemplateValidationError) => error.problems.some((p) => p.field === 'backend') && error.problems.some((p) => p.field === 'recipients'),
      );
      const bulk = await blog.vox.templates.validate({ notification: 'blog.article.created', backend: 'email-html', recipients: ['c:subscribers'], bulk: true, content: '{{ recipient.name }}' });
      assert.match(bulk.warnings[0]?.message ?? '', /bulk templates have no recipient/);
    });

    test('an unknown codename and a missing actor are clear errors', async () => {
      // @ts-expect-error 'published' is not a notification of blog.article
      await assert.rejects(blog.models.Article.notify(article, 'published', { actor: author }), (e: VoxError) => e.code === ErrorCode.unknownNotification && /has no notification "published"; it has created/.test(e.message));
      // @ts-expect-error blog.article.created declares an actor
      await assert.rejects(blog.models.Article.notify(article, 'created'), (e: VoxError) => e.code === ErrorCode.missingActor && /blog\.article\.created needs an actor \(model auth\.user\)/.test(e.message));
      // @ts-expect-error blog.subscriber.created declares no actor
      await assert.rejects(blog.models.Subscriber.notify(blog.data.subscribers[0]!, 'created', { actor: author }), (e: VoxError) => e.code === ErrorCode.unexpectedActor);
      assert.equal(smtp.received.length, 0);
    });

    test('a contacts function throwing for one recipient does not stop the others', async () => {
      const vox = another({ database: connection.db, backends: blog.vox.backends });
      const Article = createBlogModels(vox, (s) => {
        if (s.id === 2) throw new Error('address book is down');
        return s.email;
      });
      const result = await (await Article.notify(article, 'created', { actor: author })).settled();
      assert.deepEqual(received(), ['one@example.org', 'three@example.org']);
      assert.equal(result.sent, 2);
      const failed = await blog.vox.messages.list({ issueId: result.issueId, status: 'failed' });
      assert.equal(failed.length, 1);
      assert.match(failed[0]!.error ?? '', /contacts of blog\.subscriber:2 failed: address book is down/);
      assert.equal(failed[0]!.errorCode, ErrorCode.contacts);
    });

    test('a 550 for one recipient fails that message at once, the others arrive, and resend works after recovery', async () => {
      smtp.refuse((address) => (address === 'two@example.org' ? { code: 550, message: 'Mailbox unavailable' } : undefined));
      const result = await (await blog.models.Article.notify(article, 'created', { actor: author })).settled();
      assert.deepEqual(received(), ['one@example.org', 'three@example.org']);
      const [failed] = await blog.vox.messages.list({ issueId: result.issueId, status: 'failed' });
      assert.ok(failed);
      assert.deepEqual(failed.to.map((c) => c.address), ['two@example.org']);
      assert.match(failed.error ?? '', /550 Mailbox unavailable/);
      assert.equal(failed.permanent, true);
      assert.ok(failed.payload?.html?.includes('token=t2'), 'the rendered message is kept for resend');

      smtp.refuse(undefined);
      smtp.received.length = 0;
      const outcomes = await blog.vox.messages.resend([failed.id]);
      assert.deepEqual(outcomes.map((o) => [o.id, o.status]), [[failed.id, 'sent']]);
      assert.deepEqual(received(), ['two@example.org']);
      assert.match(String(smtp.received[0]?.parsed.html), /token=t2/);
      const row = await blog.vox.messages.get(failed.id);
      assert.equal(row?.status, 'sent');
      assert.equal(row?.attempts, 2);
      assert.equal(row?.error, null);
      // The Message-ID comes from the message's key, so every attempt carries the same one.
      const messageId = smtp.received[0]?.parsed.messageId;
      assert.match(messageId ?? '', /^<vox\.[\w-]{32}@example\.org>$/);
      assert.equal(messageId, row?.providerMessageId);
      assert.equal(messageId, messageIdOf(failed.idempotencyKey, 'blog@example.org'));
    });

    test('a refused address in a bulk message gets its own failed row, and resend reaches it', async () => {
      await blog.vox.templates.save({ notification: 'blog.article.created', backend: 'email-md', recipients: ['c:subscribers'], bulk: true, subject: 'Digest', content: '# {{ object.title }}' });
      smtp.refuse((address) => (address === 'three@example.org' ? { code: 550, message: 'No such user' } : undefined));
      const result = await (await blog.models.Article.notify(article, 'created', { actor: author })).settled();
      const bulk = smtp.received.find((m) => m.parsed.subject === 'Digest');
      assert.deepEqual([...(bulk?.envelopeTo ?? [])].sort(), ['one@example.org', 'two@example.org']);
      assert.match(String(bulk?.parsed.html), /<h1>A title<\/h1>/);
      assert.deepEqual(result.messages.filter((m) => m.status === 'failed').map((m) => m.to), [['three@example.org'], ['three@example.org']], 'both templates report the refusal');
      const failed = await blog.vox.messages.list({ issueId: result.issueId, status: 'failed' });
      const bulkFailures = failed.filter((m) => m.backend === 'email-md');
      assert.deepEqual(bulkFailures.map((m) => m.to.map((c) => c.address)), [['three@example.org']]);
      assert.match(bulkFailures[0]!.error ?? '', /No such user/);

      smtp.refuse(undefined);
      smtp.received.length = 0;
      await blog.vox.messages.resend(failed.map((m) => m.id));
      assert.deepEqual(smtp.received.filter((m) => m.parsed.subject === 'Digest').map((m) => m.envelopeTo), [['three@example.org']]);
    });

    test('a 4xx refusal of one address in a bulk message is retried for that address alone, and arrives', async () => {
      const vox = another({ database: connection.db, backends: blog.vox.backends, retry: { initialDelayMs: 20, factor: 2, attempts: 5 } });
      const Article = createBlogModels(vox);
      await vox.templates.save({ notification: 'blog.article.created', backend: 'email-md', recipients: ['c:subscribers'], bulk: true, subject: 'Digest', content: '# {{ object.title }}' });
      // Only the bulk message (the one whose envelope already has others) is refused, once.
      let refusals = 0;
      smtp.refuse((address, before) => (address === 'three@example.org' && before.length > 0 && refusals++ === 0 ? { code: 450, message: 'Mailbox busy, try later' } : undefined));
      const result = await (await Article.notify(article, 'created', { actor: author })).settled();
      const digests = smtp.received.filter((m) => m.parsed.subject === 'Digest').map((m) => [...m.envelopeTo].sort());
      assert.deepEqual(digests, [['one@example.org', 'two@example.org'], ['three@example.org']], 'the bulk message, then the retry to the refused address alone');
      const rows = (await vox.messages.list({ issueId: result.issueId })).filter((m) => m.backend === 'email-md');
      const split = rows.find((m) => m.to.length === 1);
      assert.deepEqual([split?.status, split?.attempts, split?.error], ['sent', 2, null]);
      assert.equal(rows.filter((m) => m.status !== 'sent').length, 0);
    });

    test('a template that fails to render is logged, others still send, and resend renders the fixed template', async () => {
      const { template } = await blog.vox.templates.save({
        notification: 'blog.article.created',
        backend: 'email',
        recipients: ['c:author'],
        content: '{% block subject %}Stats{% endblock %}{% block text_body %}{% for i in (1..100000000) %}{{ i }}{% endfor %}{% endblock %}',
      });
      const result = await (await blog.models.Article.notify(article, 'created', { actor: author })).settled();
      assert.deepEqual(received(), ['one@example.org', 'three@example.org', 'two@example.org']);
      const [failed] = await blog.vox.messages.list({ issueId: result.issueId, status: 'failed' });
      assert.ok(failed);
      assert.equal(failed.errorCode, ErrorCode.renderLimit);
      assert.deepEqual(failed.to.map((c) => c.address), ['author@example.org']);

      await blog.vox.templates.save({ id: template.id, notification: 'blog.article.created', backend: 'email', recipients: ['c:author'], content: '{% block subject %}Stats for {{ object.title }}{% endblock %}{% block text_body %}Read by {{ recipient.name }}{% endblock %}' });
      smtp.received.length = 0;
      const [outcome] = await blog.vox.messages.resend([failed.id]);
      assert.equal(outcome?.status, 'sent');
      assert.equal(smtp.received[0]?.parsed.subject, 'Stats for A title');
      assert.equal(smtp.received[0]?.parsed.text?.trim(), 'Read by Alan Author');
    });

    test('resending a render failure re-loads the objects through load() to attach their files', async () => {
      const broken = { notification: 'blog.article.created', backend: 'email-html', recipients: ['c:author'], subject: 'Card', attachments: ['object.author.vcard'] };
      const { template } = await blog.vox.templates.save({ ...broken, content: '{% for i in (1..100000000) %}{{ i }}{% endfor %}' });
      const result = await (await blog.models.Article.notify(article, 'created', { actor: author })).settled();
      const [failed] = (await blog.vox.messages.list({ issueId: result.issueId, status: 'failed' })).filter((m) => m.templateId === template.id);
      assert.ok(failed);
      author.name = 'Alan Renamed';
      await blog.vox.templates.save({ ...broken, id: template.id, content: '<p>Card of {{ object.author.name }}</p>' });
      smtp.received.length = 0;
      const [outcome] = await blog.vox.messages.resend([failed.id]);
      assert.equal(outcome?.status, 'sent');
      const [mail] = smtp.received;
      assert.match(String(mail?.parsed.html), /Card of Alan Author/, 'variables are the ones seen at issue time');
      assert.match(mail?.parsed.attachments[0]?.content.toString('utf8') ?? '', /FN:Alan Renamed/, 'files come from the re-loaded object');
    });

    test('a template for a backend that is no longer configured is logged without stopping the others', async () => {
      await blog.vox.templates.save({ notification: 'blog.article.created', backend: 'email-md', recipients: ['c:author'], subject: 'x', content: 'y' });
      const { htmlEmail } = await import('../src/backends/email/index.ts');
      const smaller: Vox = another({ database: connection.db, backends: [htmlEmail({ transport: smtp.transport, from: 'blog@example.org' })] });
      const again = createBlogModels(smaller);
      const result = await (await again.notify(article, 'created', { actor: author })).settled();
      assert.equal(result.sent, 3);
      const failed = result.messages.filter((m) => m.status === 'failed');
      assert.equal(failed.length, 1);
      assert.match(failed[0]!.error ?? '', /backend "email-md" is not configured/);
      const [row] = await smaller.messages.list({ status: 'failed' });
      assert.equal(row?.errorCode, ErrorCode.unknownBackend);
    });

    test('a required notification that reaches nobody throws, and the log keeps the failure', async () => {
      const vox = another({ database: connection.db, backends: blog.vox.backends });
      const Subscriber = vox.model('blog.subscriber', {
        id: (s: { id: number }) => s.id,
        notifications: { created: { description: 'Somebody subscribed to the blog', required: true } },
      });
      await vox.sync();
      smtp.refuse(() => ({ code: 550, message: 'Everything refused' }));
      await assert.rejects((await Subscriber.notify({ id: 9 }, 'created')).settled(), (error: unknown) => {
        assert.ok(error instanceof NothingSentError);
        assert.match(error.message, /required notification blog\.subscriber\.created reached nobody/);
        assert.match(error.failures.join(), /Everything refused/);
        return true;
      });
      const [row] = await vox.messages.list({ status: 'failed' });
      assert.deepEqual(row?.to.map((c) => c.address), ['admin@example.org']);
    });

    test('attachments over the size limit fail with a clear error', async () => {
      const vox = another({ database: connection.db, backends: blog.vox.backends, limits: { attachmentBytes: 10 } });
      const models = createBlogModels(vox);
      const result = await (await models.notify(article, 'created', { actor: author })).settled();
      assert.equal(result.sent, 0);
      assert.match(result.messages[0]?.error ?? '', /attachments reach \d+ bytes with object\.author\.vcard, over the limit of 10 bytes/);
      assert.equal(smtp.received.length, 0);
    });

    for (const code of [421, 451]) {
      test(`an SMTP server answering ${code} for a while: messages retry with backoff and arrive once`, async () => {
        const vox = another({ database: connection.db, backends: blog.vox.backends, retry: { initialDelayMs: 20, factor: 2, attempts: 8 } });
        const Article = createBlogModels(vox);
        // Each address is refused once, however long the fan-out takes to reach the server.
        const offered = new Map<string, number>();
        smtp.refuse((address) => {
          offered.set(address, (offered.get(address) ?? 0) + 1);
          return offered.get(address) === 1 ? { code, message: 'Service not available, try later' } : undefined;
        });
        const result = await (await Article.notify(article, 'created', { actor: author })).settled();
        assert.equal(result.sent, 3);
        assert.deepEqual(received(), ['one@example.org', 'three@example.org', 'two@example.org'], 'each arrives once');
        // The server saw each address twice: refused, then retried and accepted.
        assert.deepEqual([...offered].sort(), [['one@example.org', 2], ['three@example.org', 2], ['two@example.org', 2]]);
        for (const row of await vox.messages.list({ issueId: result.issueId })) {
          assert.equal(row.status, 'sent');
          assert.equal(row.error, null);
          // A 421 closes the connection, and Nodemailer's pool may retry on a new one before Vox does:
          // then the retry is Nodemailer's, and the server's count above is what shows it.
          if (code === 451) assert.ok(row.attempts >= 2, `refused at first, then retried: ${row.attempts} attempts`);
          else assert.ok(row.attempts >= 1);
        }
      });
    }

    test('transient failures that outlast the retry policy fail, with the last reply kept', async () => {
      const vox = another({ database: connection.db, backends: blog.vox.backends, retry: { initialDelayMs: 10, attempts: 2 } });
      const Article = createBlogModels(vox);
      smtp.refuse(() => ({ code: 452, message: 'Try later' }));
      const result = await (await Article.notify(article, 'created', { actor: author })).settled();
      const rows = await vox.messages.list({ issueId: result.issueId });
      assert.equal(rows.length, 3);
      for (const row of rows) {
        assert.deepEqual([row.status, row.attempts, row.permanent, row.errorCode], ['failed', 2, false, '452']);
        assert.match(row.error ?? '', /452 Try later/);
      }
      assert.equal(smtp.received.length, 0);
    });

    /** The blog's article model, registered again on another Vox over the same database. */
    function createBlogModels(vox: Vox, subscriberEmail: (s: { id: number; email: string }) => string = (s) => s.email) {
      const User = vox.model('auth.user', {
        id: (u: User) => u.id,
        contacts: { email: (u) => u.email },
        attachments: { vcard: { mime: 'text/vcard', data: (u) => `FN:${u.name}` } },
      });
      const Subscriber = vox.model('blog.subscriber', { id: (s: { id: number; email: string }) => s.id, contacts: { email: subscriberEmail } });
      return vox.model('blog.article', {
        id: (a: Article) => a.slug,
        notifications: { created: { description: 'A new article was published', actor: User } },
        channels: {
          subscribers: { recipients: Subscriber, resolve: () => blog.data.subscribers },
          author: { recipients: User, resolve: (a) => [a.author] },
        },
        relations: { author: User },
      });
    }
  });
}
