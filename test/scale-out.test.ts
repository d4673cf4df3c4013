import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { bullmq } from '../src/queue/bullmq.ts';
import { newsApp, setUpNews, type FixtureDatabase } from './fixtures/news.ts';
import { startWorker, until } from './support/workers.ts';
import { freePort } from './support/ports.ts';
import { startRedis } from './support/redis.ts';
import { withDeadline } from './support/wait.ts';
import { createSchema } from './support/databases.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';

const postgresUrl = process.env.VOX_TEST_POSTGRES_URL;
const redisUrl = process.env.VOX_TEST_REDIS_URL;
const READERS = 5000;

const skip = !postgresUrl ? 'VOX_TEST_POSTGRES_URL is not set' : !redisUrl ? 'VOX_TEST_REDIS_URL is not set' : false;

describe('scale-out: vox worker processes on BullMQ and PostgreSQL', { skip }, () => {
  let sink: SmtpSink;
  let database: FixtureDatabase;

  let dropSchema: () => Promise<void>;

  before(async () => {
    sink = await startSmtpSink();
    const created = await createSchema(postgresUrl as string, 'vox_scale');
    dropSchema = created.drop;
    database = { dialect: 'postgres', url: postgresUrl as string, schema: created.schema };
  });
  after(async () => {
    await sink.close();
    await dropSchema();
  });

  test(`two worker processes share a ${READERS}-recipient fan-out; a Redis restart mid-run loses nothing`, { timeout: 240_000 }, async (t) => {
    const port = await freePort();
    let redis = await startRedis(port);
    const url = `redis://127.0.0.1:${port}`;
    const queueName = `vox-scale-${randomBytes(4).toString('hex')}`;
    const issuer = newsApp(database, sink.port, READERS, { worker: false, queue: bullmq({ connection: { url, maxRetriesPerRequest: null }, name: queueName }) });
    const workers: ChildProcess[] = [];
    try {
      await setUpNews(issuer.vox);
      const env = { VOX_FIXTURE_REDIS_URL: url, VOX_FIXTURE_QUEUE_NAME: queueName };
      workers.push(await startWorker(database, sink, READERS, env), await startWorker(database, sink, READERS, env));
      const first = await issuer.Post.notify({ id: 1, title: 'Big news' }, 'published');

      await until(() => sink.delivered() >= 1000, 60_000, 'the first 1,000 deliveries');
      redis.kill('SIGKILL');
      await new Promise((resolve) => redis.once('exit', resolve));
      // Issuing goes on while Redis is down: the issue is in the database.
      const during = await issuer.Post.notify({ id: 2, title: 'While Redis was down' }, 'published');
      await new Promise((resolve) => setTimeout(resolve, 500));
      t.diagnostic(`Redis killed after ${sink.delivered()} deliveries; restarting it empty`);
      redis = await startRedis(port);

      const [a, b] = await withDeadline(Promise.all([first.settled(), during.settled()]), 150_000, `both ${READERS}-recipient issues to settle`);
      assert.equal(a.sent, READERS);
      assert.equal(b.sent, READERS);
      assert.equal(sink.counts.size, READERS);
      const notTwo = [...sink.counts.entries()].filter(([, n]) => n !== 2);
      assert.deepEqual(notTwo, [], 'every reader got each post exactly once');
    } finally {
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map((w) => (w.exitCode === null ? new Promise((resolve) => w.once('exit', resolve)) : undefined)));
      await issuer.close();
      redis.kill('SIGKILL');
    }
  });
});
