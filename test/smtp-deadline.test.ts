// A server that accepts a message and never answers its final dot (a tarpit) must not hold
// messages in `sending`: each send has a deadline of Vox's own, after which the attempt is a
// transient failure and the message is retried, and delivered once the server answers again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { createVox, type Vox } from '../src/index.ts';
import { htmlEmail } from '../src/backends/email/index.ts';
import { until } from './support/workers.ts';

describe('an SMTP server that never answers the final dot', () => {
  let server: SMTPServer;
  let port: number;
  let tarpit = true;
  const received: string[] = [];
  const held = new Set<() => void>();

  before(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        // Decided when DATA begins, so that a held message can never be answered later.
        const holding = tarpit;
        stream.resume();
        stream.on('end', () => {
          if (holding) {
            held.add(callback);
            return;
          }
          received.push(session.envelope.rcptTo.map((r) => r.address).join());
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as { port: number }).port;
  });
  after(async () => {
    for (const callback of held) callback();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('a send past timeoutMs is retried as ETIMEDOUT, and delivered once the server answers', async () => {
    // Nodemailer's own socket timeout is its default (10 minutes): only Vox's deadline can end the wait.
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    const vox: Vox = createVox({
      database: { dialect: 'sqlite', path: ':memory:' },
      backends: [htmlEmail({ transport, from: 'news@example.org', timeoutMs: 1000 })],
      retry: { initialDelayMs: 200, maxDelayMs: 200 },
      worker: { sweepIntervalMs: 50 },
    });
    try {
      const Reader = vox.model('news.reader', { id: (r: string) => r, channels: { self: true }, contacts: { email: (r) => r }, notifications: { welcome: 'Welcome' } });
      await vox.migrate();
      await vox.sync();
      await vox.templates.save({ notification: 'news.reader.welcome', backend: 'email-html', recipients: ['c'], subject: 'Welcome', content: '<p>Hi</p>' });
      const started = Date.now();
      const ticket = await Reader.notify('ann@example.org', 'welcome');
      await until(() => held.size > 0, 10_000, 'the server to hold a message');
      await until(async () => (await vox.messages.list({ status: 'retrying' })).length > 0, 5000, 'the attempt to end at its deadline');
      const [waiting] = await vox.messages.list({ status: 'retrying' });
      assert.equal(waiting?.errorCode, 'ETIMEDOUT');
      assert.equal(waiting?.permanent, false);
      assert.match(waiting?.error ?? '', /did not answer within 1000 ms \(option timeoutMs\)/);
      assert.ok(Date.now() - started < 5000, 'the deadline ended the attempt, not a socket timeout');
      assert.equal(received.length, 0);
      tarpit = false;
      const result = await ticket.settled();
      assert.equal(result.sent, 1);
      assert.deepEqual(received, ['ann@example.org']);
      const [message] = await vox.messages.list();
      assert.equal(message?.status, 'sent');
      assert.ok((message?.attempts ?? 0) >= 2);
    } finally {
      await vox.close();
      transport.close();
    }
  });
});
