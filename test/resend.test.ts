// Resending (docs/delivery.md#resending, docs/getting-started.md#the-message-log): the `vox resend`
// command, only failed messages, one attempt without retries, and re-rendering without `load`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { createVox, ErrorCode } from '../src/index.ts';
import { htmlEmail } from '../src/backends/email/index.ts';
import { newsApp, setUpNews, type FixtureDatabase } from './fixtures/news.ts';
import { smtpForSuite, startSmtp, type TestSmtp } from './support/smtp.ts';

const READERS = 3;

/** Runs the `vox` command of this repository with the news app's config; resolves with its exit code and output. */
function vox(args: readonly string[], database: FixtureDatabase, smtpPort: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(import.meta.dirname, '../src/cli/main.ts'), ...args, '--config', join(import.meta.dirname, 'fixtures/news.config.ts')], {
    env: { ...process.env, VOX_FIXTURE_DB: JSON.stringify(database), VOX_FIXTURE_SMTP_PORT: String(smtpPort), VOX_FIXTURE_READERS: String(READERS) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // A command that never exits fails the test instead of hanging it.
  const deadline = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(deadline);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe('vox resend', () => {
  let smtp: TestSmtp;
  let dir: string;
  let database: FixtureDatabase;
  /** RCPT TO commands the server saw, per address. */
  const rcpts = new Map<string, number>();
  /** The reply to each address; undefined accepts. */
  const replies = new Map<string, { code: number; message: string }>();

  before(async () => {
    smtp = await startSmtp();
    smtp.refuse((address) => {
      rcpts.set(address, (rcpts.get(address) ?? 0) + 1);
      return replies.get(address);
    });
    dir = await mkdtemp(join(tmpdir(), 'vox-resend-'));
    database = { dialect: 'sqlite', path: join(dir, 'news.db') };
  });
  after(async () => {
    await smtp.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('resends the named ids and --all-failed, only failed messages, one attempt each without retries', async () => {
    const app = newsApp(database, smtp.port, READERS, { worker: { sweepIntervalMs: 50 } });
    try {
      await setUpNews(app.vox);
      replies.set('reader0@example.org', { code: 550, message: 'Mailbox unavailable' });
      replies.set('reader1@example.org', { code: 550, message: 'Mailbox unavailable' });
      const result = await (await app.Post.notify({ id: 1, title: 'Resent' }, 'published')).settled();
      assert.deepEqual([result.sent, result.failed], [1, 2]);
      const idOf = (address: string) => result.messages.find((m) => m.to.includes(address))!.id;
      const [first, second, sent] = [idOf('reader0@example.org'), idOf('reader1@example.org'), idOf('reader2@example.org')];
      const row = (id: number) => app.vox.messages.get(id);
      smtp.received.splice(0);

      // By id: only that message is resent.
      replies.delete('reader0@example.org');
      const byId = await vox(['resend', String(first)], database, smtp.port);
      assert.deepEqual([byId.code, byId.stdout.trim()], [0, `${first} sent`], byId.stderr);
      assert.deepEqual(smtp.received.map((m) => m.envelopeTo), [['reader0@example.org']]);
      assert.deepEqual([(await row(first))?.status, (await row(first))?.attempts], ['sent', 2]);

      // A message that has not failed is not resent, and the command says so: `not_resent`, not
      // the message's own status `sent`, which read as if it had gone out again; exit status 1.
      const notFailed = await vox(['resend', String(sent)], database, smtp.port);
      assert.equal(notFailed.code, 1);
      assert.equal(notFailed.stdout.trim(), `${sent} not_resent: message ${sent} is sent; only failed messages are resent`);
      assert.equal(smtp.received.length, 1, 'nothing more was sent');
      assert.equal((await row(sent))?.attempts, 1);

      // A transient refusal on resend is not retried: the message is failed again at once.
      replies.set('reader1@example.org', { code: 451, message: 'Try again later' });
      rcpts.clear();
      const transient = await vox(['resend', '--all-failed'], database, smtp.port);
      assert.equal(transient.code, 1);
      assert.match(transient.stdout.trim(), new RegExp(`^${second} failed: .*451 Try again later$`));
      const again = await row(second);
      assert.deepEqual([again?.status, again?.attempts, again?.permanent, again?.nextAttemptAt, again?.errorCode], ['failed', 2, false, null, '451']);
      assert.deepEqual([...rcpts], [['reader1@example.org', 1]], 'one attempt, at the one failed message');

      // --all-failed picks up every failed message; once the server accepts, it arrives once.
      replies.clear();
      const all = await vox(['resend', '--all-failed'], database, smtp.port);
      assert.deepEqual([all.code, all.stdout.trim()], [0, `${second} sent`], all.stderr);
      assert.deepEqual(smtp.received.map((m) => m.envelopeTo), [['reader0@example.org'], ['reader1@example.org']]);
      assert.deepEqual([(await row(second))?.status, (await row(second))?.attempts], ['sent', 3]);
      assert.deepEqual(await app.vox.messages.list({ status: 'failed' }), []);
    } finally {
      await app.close();
    }
  });

  test('without ids or --all-failed it refuses, and sends nothing', async () => {
    const outcome = await vox(['resend'], database, smtp.port);
    assert.equal(outcome.code, 1);
    assert.match(outcome.stderr, /vox: name message ids, or pass --all-failed/);
  });
});

describe('resending a render failure of a model without load', () => {
  const smtpServer = smtpForSuite();
  let smtp: TestSmtp;
  beforeEach(() => {
    smtp = smtpServer();
  });
  const opened: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const v of opened.splice(0)) await v.close();
  });

  test('fails with VOX_NOT_FOUND: its attachments cannot be computed again', async () => {
    const app = createVox({ database: { dialect: 'sqlite', path: ':memory:' }, backends: [htmlEmail({ transport: smtp.transport, from: 'team@example.org' })], worker: { sweepIntervalMs: 50 } });
    opened.push(app);
    const Member = app.model('team.member', {
      id: (m: { id: number; email: string }) => m.id,
      notifications: { joined: 'A member joined' },
      channels: { self: true },
      contacts: { email: (m) => m.email },
      attachments: { card: { mime: 'text/vcard', data: (m) => `EMAIL:${m.email}` } },
    });
    await app.migrate();
    await app.sync();
    const broken = { notification: 'team.member.joined', backend: 'email-html', recipients: ['c'], subject: 'Welcome', attachments: ['object.card'] };
    const { template } = await app.templates.save({ ...broken, content: '{% for i in (1..100000000) %}{{ i }}{% endfor %}' });
    const result = await (await Member.notify({ id: 1, email: 'new@example.org' }, 'joined')).settled();
    const [failed] = result.messages;
    assert.equal(failed?.status, 'failed');
    assert.equal((await app.messages.get(failed!.id))?.errorCode, ErrorCode.renderLimit);

    await app.templates.save({ ...broken, id: template.id, content: '<p>Welcome</p>' });
    const [outcome] = await app.messages.resend([failed!.id]);
    assert.equal(outcome?.status, 'failed');
    assert.match(outcome?.error ?? '', /team\.member has no load function, so its objects cannot be re-loaded/);
    const row = await app.messages.get(failed!.id);
    assert.deepEqual([row?.status, row?.errorCode], ['failed', ErrorCode.notFound]);
    assert.equal(smtp.received.length, 0);
  });
});
