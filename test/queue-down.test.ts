// A worker started while its queue (BullMQ on Redis) is down: it says so, delivers what is due from
// its database sweep meanwhile, and says so again when the queue is back.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createVox, type Logger } from '../src/index.ts';
import { bullmq } from '../src/queue/bullmq.ts';
import { htmlEmail } from '../src/backends/email/index.ts';
import nodemailer from 'nodemailer';
import { startSmtpSink } from './support/smtp-sink.ts';
import { freePort } from './support/ports.ts';
import { startRedis } from './support/redis.ts';
import { until } from './support/workers.ts';

const skip = process.env.VOX_TEST_REDIS_URL ? false : 'VOX_TEST_REDIS_URL is not set: queue tests skipped (.ci/run sets it)';
const READERS = 100;

test('a worker whose queue is down delivers from its sweep, and says when the queue goes and comes back', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vox-queue-down-'));
  const sink = await startSmtpSink();
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true, pool: true });
  const port = await freePort();
  const said: string[] = [];
  const logger: Logger = { info: (_, message) => said.push(`info: ${message}`), warn: (_, message) => said.push(`warn: ${message}`) };
  let redis: ChildProcess | undefined;
  const vox = createVox({
    database: { dialect: 'sqlite', path: join(dir, 'vox.db') },
    backends: [htmlEmail({ transport, from: 'news@example.org' })],
    queue: bullmq({ connection: { host: '127.0.0.1', port, maxRetriesPerRequest: null }, name: 'vox-down' }),
    worker: { sweepIntervalMs: 100, shutdownTimeoutMs: 2000 },
    logger,
  });
  try {
    const Post = vox.model('news.post', {
      id: (p: { id: number; title: string }) => p.id,
      notifications: { published: 'A post was published' },
      channels: { readers: { recipients: 'news.reader', resolve: () => Array.from({ length: READERS }, (_, i) => `reader${i}@example.org`) } },
    });
    vox.model('news.reader', { id: (r: string) => r, contacts: { email: (r) => r } });
    await vox.migrate();
    await vox.sync();
    await vox.templates.save({ notification: 'news.post.published', backend: 'email-html', recipients: ['c:readers'], subject: '{{ object.title }}', content: '<p>{{ object.title }}</p>' });

    await Post.notify({ id: 1, title: 'While Redis is down' }, 'published');
    await until(() => sink.delivered() === READERS, 30_000, `${READERS} deliveries with no queue`);
    assert.deepEqual(said, ['warn: vox: the queue cannot be reached; the worker delivers from its database sweep until it is back']);

    redis = await startRedis(port);
    await Post.notify({ id: 2, title: 'Redis is back' }, 'published');
    await until(() => sink.delivered() === 2 * READERS, 30_000, `${READERS} more deliveries`);
    assert.equal(said[1], 'info: vox: the queue is reachable again; the worker takes its jobs from it');
    assert.deepEqual(new Set(sink.counts.values()), new Set([2]), 'each reader got each post once');
    assert.equal(sink.counts.size, READERS);
  } finally {
    await vox.close();
    transport.close();
    redis?.kill('SIGTERM');
    await sink.close();
    await rm(dir, { recursive: true, force: true });
  }
});
