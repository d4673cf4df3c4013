// Graceful stop (docs/delivery.md): `vox worker` on SIGTERM and vox.stop()/close() finish the sends in flight.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { newsApp, setUpNews, type FixtureDatabase } from './fixtures/news.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';
import { startWorker, until } from './support/workers.ts';

const READERS = 6;
/** The server answers each message this long after its final dot: sends stay in flight a while. */
const REPLY_DELAY_MS = 700;

describe('graceful stop', () => {
  let dir: string;
  let database: FixtureDatabase;
  let sink: SmtpSink;
  const children: ChildProcess[] = [];
  const closers: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vox-stop-'));
    database = { dialect: 'sqlite', path: join(dir, 'news.db') };
    sink = await startSmtpSink({ replyDelayMs: REPLY_DELAY_MS });
  });
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const close of closers.splice(0)) await close();
    await sink.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The log as a process that only reads it sees it. */
  async function logOf(): Promise<{ status: string; to: string }[]> {
    const reader = newsApp(database, sink.port, READERS, { worker: false });
    try {
      return (await reader.vox.messages.list()).map((m) => ({ status: m.status, to: m.to.map((c) => c.address).join() }));
    } finally {
      await reader.close();
    }
  }

  /** What the log says against what the server received: every send that started was recorded, and once. */
  async function assertNothingHalfSent(): Promise<void> {
    const log = await logOf();
    assert.equal(log.length, READERS);
    assert.deepEqual(log.filter((m) => m.status !== 'sent' && m.status !== 'queued'), [], 'no message is left sending (or failed)');
    const sent = log.filter((m) => m.status === 'sent').map((m) => m.to).sort();
    assert.ok(sent.length > 0, 'the sends in flight were finished');
    assert.deepEqual([...sink.counts.keys()].sort(), sent, 'the server received exactly the messages the log records as sent');
    assert.ok([...sink.counts.values()].every((n) => n === 1));
  }

  test('vox worker on SIGTERM finishes the sends in flight, records them and exits 0', async () => {
    const issuer = newsApp(database, sink.port, READERS, { worker: false });
    closers.push(issuer.close);
    await setUpNews(issuer.vox);
    await issuer.Post.notify({ id: 1, title: 'Stop gently' }, 'published');

    const worker = await startWorker(database, sink, READERS, { VOX_FIXTURE_LEASE_MS: '60000' });
    children.push(worker);
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => worker.once('exit', (code, signal) => resolve({ code, signal })));
    await until(() => sink.answering() > 0, 30_000, 'a message in flight at the SMTP server');
    assert.equal(sink.delivered(), 0, 'nothing was accepted yet when SIGTERM came');
    worker.kill('SIGTERM');

    assert.deepEqual(await exited, { code: 0, signal: null });
    await assertNothingHalfSent();
  });

  test('vox.close() waits for the sends in flight before it resolves', async () => {
    const app = newsApp(database, sink.port, READERS, { worker: { sweepIntervalMs: 50 } });
    let closed = false;
    closers.push(async () => {
      if (!closed) await app.close();
    });
    await setUpNews(app.vox);
    await app.Post.notify({ id: 1, title: 'Close gently' }, 'published');
    await until(() => sink.answering() > 0, 30_000, 'a message in flight at the SMTP server');
    assert.equal(sink.delivered(), 0);

    await app.close();
    closed = true;
    assert.ok(sink.delivered() > 0, 'close() resolved before the server accepted the message in flight');
    await assertNothingHalfSent();
  });

  test('vox.stop() waits for the sends in flight, and a later start() sends the rest', async () => {
    const app = newsApp(database, sink.port, READERS, { worker: { sweepIntervalMs: 50 } });
    closers.push(app.close);
    await setUpNews(app.vox);
    const ticket = await app.Post.notify({ id: 1, title: 'Pause' }, 'published');
    await until(() => sink.answering() > 0, 30_000, 'a message in flight at the SMTP server');

    await app.vox.stop();
    assert.ok(sink.delivered() > 0, 'stop() resolved before the server accepted the message in flight');
    assert.deepEqual((await app.vox.messages.list({ status: 'sending' })).map((m) => m.id), [], 'no message is left sending');

    app.vox.start();
    const result = await ticket.settled();
    assert.equal(result.sent, READERS);
    assert.equal(sink.counts.size, READERS);
    assert.ok([...sink.counts.values()].every((n) => n === 1), 'each reader got it once');
  });
});
