/**
 * Promises of docs/email.md and docs/delivery.md, checked on mail as it reaches a real SMTP server:
 * the `X-Vox-Message-Key` header, raw MIME, block templates without `html_body`, and what the
 * message log shows while a message waits for its retry.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { ParsedMail } from 'mailparser';
import type { Vox } from '../src/index.ts';
import { htmlEmail, messageIdOf, templateEmail, type MailMessage, type RawMailMessage } from '../src/backends/email/index.ts';
import { newsApp } from './support/news-app.ts';
import { addressesOf, smtpForSuite } from './support/smtp.ts';
import { waitFor } from './support/wait.ts';

const header = (mail: ParsedMail | undefined, name: string) => mail?.headers.get(name.toLowerCase());

describe('email promises, at a real SMTP server', () => {
  const smtp = smtpForSuite();
  const opened: Vox[] = [];
  const app = async (...args: Parameters<typeof newsApp>) => {
    const created = await newsApp(...args);
    opened.push(created.vox);
    return created;
  };
  afterEach(async () => {
    for (const vox of opened.splice(0)) await vox.close();
  });

  test('X-Vox-Message-Key carries the idempotency key, the same on a retry and on a resend; the Message-ID too', async () => {
    const { vox, Post } = await app([htmlEmail({ transport: smtp().transport, from: 'news@example.org' })], { retry: { attempts: 2, initialDelayMs: 20, jitter: 0 } });
    await vox.templates.save({ notification: 'news.post.published', backend: 'email-html', recipients: ['c:readers'], subject: '{{ object.title }}', content: '<p>{{ object.title }}</p>' });
    // The server reads the mail, then refuses it: the first attempt and its retry both fail.
    smtp().refuseData(() => ({ code: 451, message: 'Try again later' }));
    const result = await (await Post.notify({ id: 1, title: 'Keys' }, 'published')).settled();
    assert.equal(result.failed, 1);
    smtp().refuseData(undefined);
    const [failed] = await vox.messages.list({ status: 'failed' });
    assert.ok(failed);
    assert.deepEqual((await vox.messages.resend([failed.id])).map((o) => o.status), ['sent']);

    const copies = smtp().offered;
    assert.equal(copies.length, 3, 'the first attempt, its retry and the resend');
    assert.deepEqual(copies.map((m) => header(m.parsed, 'X-Vox-Message-Key')), [failed.idempotencyKey, failed.idempotencyKey, failed.idempotencyKey]);
    const messageId = messageIdOf(failed.idempotencyKey, 'news@example.org');
    assert.deepEqual(copies.map((m) => m.parsed.messageId), [messageId, messageId, messageId]);
    assert.equal((await vox.messages.get(failed.id))?.providerMessageId, messageId);
  });

  test('each message of a fan-out has a key of its own', async () => {
    const { vox, Post, readers } = await app([htmlEmail({ transport: smtp().transport, from: 'news@example.org' })]);
    readers.push('bob@example.org');
    await vox.templates.save({ notification: 'news.post.published', backend: 'email-html', recipients: ['c:readers'], subject: 'Hi', content: '<p>Hi</p>' });
    const result = await (await Post.notify({ id: 1, title: 'Two' }, 'published')).settled();
    const keys = new Map((await vox.messages.list({ issueId: result.issueId })).map((m) => [m.to[0]?.address, m.idempotencyKey]));
    const received = smtp().received.map((m) => [m.envelopeTo[0], header(m.parsed, 'X-Vox-Message-Key')]);
    assert.deepEqual(received.sort(), [...keys].sort());
    assert.notEqual(keys.get('ann@example.org'), keys.get('bob@example.org'));
  });

  test('while a message waits for its retry, the log shows it retrying, with nextAttemptAt; the retry waits for it', async () => {
    const delayMs = 1500;
    const { vox, Post } = await app([htmlEmail({ transport: smtp().transport, from: 'news@example.org' })], { retry: { attempts: 3, initialDelayMs: delayMs, jitter: 0 } });
    await vox.templates.save({ notification: 'news.post.published', backend: 'email-html', recipients: ['c:readers'], subject: 'Later', content: '<p>Later</p>' });
    let refusals = 0;
    smtp().refuse(() => (refusals++ === 0 ? { code: 452, message: 'Mailbox full, try later' } : undefined));
    const ticket = await Post.notify({ id: 1, title: 'Later' }, 'published');
    const waiting = await waitFor(async () => (await vox.messages.list({ status: 'retrying' }))[0], { what: 'a retrying message' });
    const seenAt = Date.now();
    assert.deepEqual([waiting.attempts, waiting.errorCode, waiting.permanent], [1, '452', false]);
    assert.match(waiting.error ?? '', /Mailbox full, try later/);
    const due = Date.parse(waiting.nextAttemptAt ?? '');
    assert.ok(due > seenAt, `nextAttemptAt ${waiting.nextAttemptAt} is ahead`);
    assert.ok(due <= seenAt + delayMs, `nextAttemptAt ${waiting.nextAttemptAt} is at most initialDelayMs ahead`);
    assert.equal(smtp().received.length, 0);

    const result = await ticket.settled();
    assert.equal(result.sent, 1);
    const sent = await vox.messages.get(waiting.id);
    assert.deepEqual([sent?.status, sent?.attempts, sent?.nextAttemptAt, sent?.error], ['sent', 2, null, null]);
    assert.ok(Date.parse(sent?.sentAt ?? '') >= due, 'the retry went out once it was due, not before');
  });

  test('a block template without html_body sends a text-only email; with one, both parts', async () => {
    const { vox, Post } = await app([templateEmail({ transport: smtp().transport, from: 'news@example.org' })]);
    const saved = await vox.templates.save({
      notification: 'news.post.published',
      backend: 'email',
      recipients: ['c:readers'],
      content: '{% block subject %}Plain {{ object.title }}{% endblock %}{% block text_body %}Read <{{ object.title }}> now.{% endblock %}',
    });
    await (await Post.notify({ id: 1, title: 'News' }, 'published')).settled();
    const [plain] = smtp().received;
    assert.equal(plain?.parsed.subject, 'Plain News');
    assert.equal(plain?.parsed.text?.trim(), 'Read <News> now.');
    assert.equal(plain?.parsed.html, false, 'no HTML part');
    assert.equal((header(plain?.parsed, 'content-type') as { value: string } | undefined)?.value, 'text/plain');

    await vox.templates.save({ ...saved.template, content: '{% block subject %}Both{% endblock %}{% block text_body %}Text{% endblock %}{% block html_body %}<p>{{ object.title }}</p>{% endblock %}' });
    await (await Post.notify({ id: 2, title: 'Rich' }, 'published')).settled();
    const both = smtp().received[1];
    assert.equal(both?.parsed.text?.trim(), 'Text');
    assert.equal(both?.parsed.html, '<p>Rich</p>');
    assert.equal((header(both?.parsed, 'content-type') as { value: string } | undefined)?.value, 'multipart/alternative');
  });

  test('raw MIME (raw: true) reaches a real SMTP server as the same mail that raw: false sends', async () => {
    const transport = smtp().transport;
    // A transport of the app's own that hands each mail on to Nodemailer: raw only when asked.
    const handedOver: string[] = [];
    const own = { sendMail: (mail: MailMessage | RawMailMessage) => (handedOver.push('raw' in mail ? 'raw' : 'fields'), transport.sendMail(mail)) };
    const backends = [
      htmlEmail({ id: 'raw', transport: own, raw: true, from: '"Zoë Newsroom" <news@example.org>' }),
      htmlEmail({ id: 'fields', transport: own, raw: false, from: '"Zoë Newsroom" <news@example.org>' }),
    ];
    const { vox, Post, readers } = await app(backends);
    readers.push('bob@example.org');
    for (const backend of ['raw', 'fields']) {
      for (const bulk of [false, true]) {
        await vox.templates.save({ notification: 'news.post.published', backend, recipients: ['c:readers'], bulk, subject: `${backend} {{ object.title }}${bulk ? ' bulk' : ''}`, content: '<p>Grüße, {{ object.title }} — <a href="https://example.org/p/1">read</a></p>' });
      }
    }
    await (await Post.notify({ id: 1, title: 'Ünïcödé ✓' }, 'published')).settled();
    assert.deepEqual([...new Set(handedOver)].sort(), ['fields', 'raw']);
    const bySubject = new Map(smtp().received.map((m) => [`${m.parsed.subject} ${[...m.envelopeTo].sort().join(',')}`, m]));
    for (const kind of ['', ' bulk']) {
      for (const to of kind ? ['ann@example.org,bob@example.org'] : ['ann@example.org', 'bob@example.org']) {
        const raw = bySubject.get(`raw Ünïcödé ✓${kind} ${to}`);
        const fields = bySubject.get(`fields Ünïcödé ✓${kind} ${to}`);
        assert.ok(raw && fields, `both arrived${kind} to ${to}`);
        assert.equal(raw.parsed.html, fields.parsed.html);
        assert.equal(raw.parsed.text, fields.parsed.text);
        assert.match(String(raw.parsed.html), /Grüße, Ünïcödé ✓ — <a href="https:\/\/example\.org\/p\/1">read<\/a>/);
        assert.equal(raw.parsed.from?.text, fields.parsed.from?.text);
        assert.equal(raw.parsed.from?.text, '"Zoë Newsroom" <news@example.org>');
        assert.deepEqual(addressesOf(raw.parsed.to), addressesOf(fields.parsed.to));
        assert.equal(raw.envelopeFrom, 'news@example.org');
        if (kind) assert.equal(header(raw.parsed, 'bcc'), undefined, 'bulk recipients are in the envelope only');
        assert.match(String(header(raw.parsed, 'X-Vox-Message-Key')), /^i\d+:t\d+:/);
        assert.match(raw.parsed.messageId ?? '', /^<vox\.[\w-]{32}@example\.org>$/);
      }
    }
  });
});
