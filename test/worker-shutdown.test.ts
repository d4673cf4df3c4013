// `vox worker` on SIGTERM while its sends hang: it waits for them no longer than its shutdown
// deadline, exits 0, and leaves their messages to their leases, after which another worker sends them.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { newsApp, setUpNews, type FixtureDatabase } from './fixtures/news.ts';
import { startSmtpSink } from './support/smtp-sink.ts';
import { startWorker, until } from './support/workers.ts';

const READERS = 3;

test('a worker whose sends hang exits at its shutdown deadline; another worker sends what it left', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vox-shutdown-'));
  const database: FixtureDatabase = { dialect: 'sqlite', path: join(dir, 'news.db') };
  // A server that never answers a message's final dot: the sends hang.
  const hanging = await startSmtpSink({ replyDelayMs: Number.POSITIVE_INFINITY });
  const answering = await startSmtpSink();
  const issuer = newsApp(database, answering.port, READERS, { worker: false });
  try {
    await setUpNews(issuer.vox);
    const ticket = await issuer.Post.notify({ id: 1, title: 'Big news' }, 'published');
    const stuck = await startWorker(database, hanging, READERS, { VOX_FIXTURE_SHUTDOWN_MS: '500', VOX_FIXTURE_LEASE_MS: '2000' });
    let output = '';
    stuck.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await until(async () => (await issuer.vox.messages.list({ status: 'sending' })).length === READERS, 20_000, 'every message to be sending');

    const signalled = Date.now();
    stuck.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => stuck.once('exit', resolve));
    assert.equal(code, 0);
    assert.ok(Date.now() - signalled < 5000, `exited ${Date.now() - signalled} ms after SIGTERM, with a 500 ms shutdown deadline`);
    assert.match(output, /the jobs in flight did not finish in time; their messages go to another worker when their leases run out/);
    assert.equal(answering.delivered(), 0);

    const next = await startWorker(database, answering, READERS);
    try {
      const result = await ticket.settled();
      assert.equal(result.sent, READERS);
      assert.equal(answering.delivered(), READERS);
    } finally {
      next.kill('SIGTERM');
      await new Promise((resolve) => next.once('exit', resolve));
    }
  } finally {
    await issuer.close();
    await hanging.close();
    await answering.close();
    await rm(dir, { recursive: true, force: true });
  }
});
