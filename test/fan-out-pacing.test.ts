// A fan-out keeps pace with sending (docs/delivery.md, `delivery.fanOutLead`): it holds back while
// its backend's backlog is over the lead, and goes on at full speed when nothing drains it.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { createVox } from '../src/index.ts';
import { htmlEmail } from '../src/backends/email/index.ts';
import { newsApp, setUpNews } from './fixtures/news.ts';
import { sharedDatabases, type SharedDatabase } from './support/shared-databases.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';
import { until } from './support/workers.ts';

const LEAD = 50;
const BATCH = 20;

for (const db of sharedDatabases) {
  describe(`fan-out pacing on ${db.name}`, { skip: db.skip }, () => {
    let shared: SharedDatabase | undefined;
    let sink: SmtpSink | undefined;
    const closers: (() => Promise<void>)[] = [];

    afterEach(async () => {
      for (const close of closers.splice(0)) await close();
      await sink?.close();
      await shared?.drop();
    });

    /** Queued messages in the log, as a process that only reads it sees them, every 10 ms until `done`. */
    function watchBacklog(done: () => boolean): Promise<number> {
      const reader = newsApp(shared!.fixture, sink!.port, 0, { worker: false });
      return (async () => {
        let most = 0;
        try {
          while (!done()) {
            most = Math.max(most, (await reader.vox.messages.list({ status: 'queued', limit: 1000 })).length);
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
          return most;
        } finally {
          await reader.close();
        }
      })();
    }

    test('a fan-out larger than the lead never has more than the lead and a batch waiting to be sent', async () => {
      const readers = 400;
      shared = await db.open('vox-pacing');
      // Each message is answered 20 ms after its final dot: sending takes far longer than writing.
      sink = await startSmtpSink({ replyDelayMs: 20 });
      const app = newsApp(shared.fixture, sink.port, readers, { delivery: { batchSize: BATCH, fanOutLead: LEAD } });
      closers.push(app.close);
      await setUpNews(app.vox);
      let finished = false;
      const backlog = watchBacklog(() => finished);
      const ticket = await app.Post.notify({ id: 1, title: 'Paced' }, 'published');
      const result = await ticket.settled();
      finished = true;
      assert.equal(result.sent, readers);
      assert.equal(sink.counts.size, readers, 'every reader got the post');
      assert.ok([...sink.counts.values()].every((n) => n === 1), 'and once');
      const most = await backlog;
      // Without pacing the fan-out writes all 400 while the first few dozen are sent.
      assert.ok(most <= LEAD + 2 * BATCH, `at most the lead and a batch queued at once (saw ${most})`);
      assert.ok(most > 0, 'the watcher saw the backlog');
    });

    test('a fan-out whose messages nothing sends stops holding back and writes them all', async () => {
      const readers = 200;
      shared = await db.open('vox-pacing');
      // A server that never answers: the worker's sends stay in flight, so the backlog never drains.
      sink = await startSmtpSink({ replyDelayMs: Number.POSITIVE_INFINITY });
      const app = newsApp(shared.fixture, sink.port, readers, { delivery: { batchSize: BATCH, fanOutLead: LEAD }, worker: { shutdownTimeoutMs: 200 } });
      closers.push(app.close);
      await setUpNews(app.vox);
      const started = Date.now();
      const ticket = await app.Post.notify({ id: 2, title: 'Stuck' }, 'published');
      await until(async () => (await app.vox.issues.get(ticket.issueId))?.status === 'done', 15_000, 'the fan-out to finish');
      const log = await app.vox.messages.list({ limit: 1000 });
      assert.equal(log.length, readers, 'every message is in the log');
      assert.ok(log.every((m) => m.status === 'queued' || m.status === 'sending'), 'none sent, none lost');
      // It held back once, for the patience of 3 s, then went on at full speed.
      assert.ok(Date.now() - started < 12_000, `the fan-out did not wait on every batch (${Date.now() - started} ms)`);
    });
  });
}

test('delivery.fanOutLead must be a whole number of messages', () => {
  for (const fanOutLead of [-1, 1.5, Number.NaN]) {
    assert.throws(
      () => createVox({ database: { dialect: 'sqlite', path: ':memory:' }, backends: [htmlEmail({ transport: { sendMail: async () => ({}) }, from: 'a@example.org' })], delivery: { fanOutLead } }),
      (error: { code?: string; message?: string }) => error.code === 'VOX_CONFIGURATION' && /fanOutLead/.test(error.message ?? ''),
    );
  }
});
