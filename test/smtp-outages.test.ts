/**
 * A dead SMTP server is a transient failure, retried until the server is back (docs/email.md,
 * "Delivery failures"): refused connections, a server that accepts and never greets, one that
 * never answers a mail's final dot, and one that drops the connection in the middle of a mail.
 * Each time the log shows the message `retrying` with the failure's code, and once the server is
 * back the mail arrives, once. Retry delays and Nodemailer's timeouts are short so that this is quick.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import nodemailer from 'nodemailer';
import type { Vox } from '../src/index.ts';
import { htmlEmail } from '../src/backends/email/index.ts';
import { newsApp } from './support/news-app.ts';
import { startSilentServer } from './support/silent-server.ts';
import { startSmtp, type TestSmtp } from './support/smtp.ts';
import { waitFor } from './support/wait.ts';
import { freePort } from './support/ports.ts';

const quickly = { retry: { attempts: 60, initialDelayMs: 50, factor: 1.5, maxDelayMs: 250, jitter: 0 }, worker: { sweepIntervalMs: 100 } };
/** Nodemailer's timeouts, cut from 30 s (greeting) and 10 min (socket) so that a silent server is noticed at once. */
const timeouts = { connectionTimeout: 2000, greetingTimeout: 500, socketTimeout: 1000 };

describe('a dead SMTP server is retried until it is back', () => {
  const opened: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const thing of opened.splice(0).reverse()) await thing.close();
  });

  /** Sends one mail through a transport to `port` and waits until the log shows it retrying; returns what the log showed. */
  async function sendInto(port: number, transportOptions: Record<string, unknown> = {}) {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, ...timeouts, ...transportOptions });
    opened.push({ close: async () => transport.close() });
    const { vox, Post } = await newsApp([htmlEmail({ transport, from: 'news@example.org' })], quickly);
    opened.push(vox as Vox);
    await vox.templates.save({ notification: 'news.post.published', backend: 'email-html', recipients: ['c:readers'], subject: '{{ object.title }}', content: '<p>{{ object.title }}</p>' });
    const ticket = await Post.notify({ id: 1, title: 'Through the outage' }, 'published');
    const waiting = await waitFor(async () => (await vox.messages.list({ status: 'retrying' }))[0], { timeoutMs: 20_000, what: 'the message to be retrying' });
    return { vox, ticket, waiting };
  }

  /** Waits for the issue to settle and checks that the mail arrived once, after at least one failed attempt. */
  async function deliveredOnce(vox: Vox, ticket: Awaited<ReturnType<typeof sendInto>>['ticket'], smtp: TestSmtp) {
    const result = await ticket.settled();
    assert.equal(result.sent, 1);
    assert.deepEqual(smtp.received.map((m) => [m.parsed.subject, m.envelopeTo]), [['Through the outage', ['ann@example.org']]]);
    const [row] = await vox.messages.list();
    assert.deepEqual([row?.status, row?.error, row?.nextAttemptAt], ['sent', null, null]);
    assert.ok((row?.attempts ?? 0) >= 2, `failed first, then retried: ${row?.attempts} attempts`);
  }

  for (const pool of [false, true]) {
    test(`connection refused (ECONNREFUSED)${pool ? ', pooled transport' : ''}: retried until a server listens`, async () => {
      const port = await freePort();
      const { vox, ticket, waiting } = await sendInto(port, { pool });
      assert.deepEqual([waiting.errorCode, waiting.permanent], ['ECONNREFUSED', false]);
      assert.match(waiting.error ?? '', /ECONNREFUSED/);
      const smtp = await startSmtp({ port });
      opened.push(smtp);
      await deliveredOnce(vox, ticket, smtp);
    });
  }

  test('a server that accepts and never greets (ETIMEDOUT): retried until a real one answers', async () => {
    const silent = await startSilentServer();
    opened.push(silent);
    const { vox, ticket, waiting } = await sendInto(silent.port);
    assert.deepEqual([waiting.errorCode, waiting.permanent], ['ETIMEDOUT', false]);
    assert.ok(silent.connections() >= 1, 'the silent server took the connection');
    await silent.close();
    const smtp = await startSmtp({ port: silent.port });
    opened.push(smtp);
    await deliveredOnce(vox, ticket, smtp);
  });

  test('a server that reads a mail and never answers its final dot (ETIMEDOUT): retried, and the retry is accepted', async () => {
    const smtp = await startSmtp();
    opened.push(smtp);
    smtp.misbehave((number) => (number === 1 ? 'hang' : undefined));
    const { vox, ticket, waiting } = await sendInto(smtp.port);
    assert.deepEqual([waiting.errorCode, waiting.permanent], ['ETIMEDOUT', false]);
    await deliveredOnce(vox, ticket, smtp);
  });

  test('a connection dropped in the middle of a mail: retried, and the retry is accepted', async () => {
    const smtp = await startSmtp();
    opened.push(smtp);
    smtp.misbehave((number) => (number === 1 ? 'drop' : undefined));
    const { vox, ticket, waiting } = await sendInto(smtp.port);
    assert.equal(waiting.permanent, false);
    assert.ok(waiting.errorCode === 'ECONNRESET' || waiting.errorCode === 'ECONNECTION', `a network code: ${waiting.errorCode} (${waiting.error})`);
    await deliveredOnce(vox, ticket, smtp);
  });
});
