import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { toNodeHandler, type DatabaseOptions, type Queue } from '../src/index.ts';
import { bullmq } from '../src/queue/bullmq.ts';
import { createSchema } from './support/databases.ts';
import { inboxApp } from './support/inbox-app.ts';
import { openEvents } from './support/sse.ts';

const run = promisify(execFile);
const postgresUrl = process.env.VOX_TEST_POSTGRES_URL;
const redisUrl = process.env.VOX_TEST_REDIS_URL;
const WRITER = new URL('./fixtures/inbox-writer.ts', import.meta.url).pathname;

/**
 * Serves the inbox of `database` in this process, and has another process write an item: the
 * stream here must get it. `interrupt` runs first, once the stream is open (to break the listener).
 */
async function streamHearsOtherProcess(database: DatabaseOptions, env: Record<string, string>, queue?: () => Queue, interrupt?: () => Promise<void>) {
  const app = await inboxApp(database, { worker: false, ...(queue ? { queue: queue() } : {}) });
  const handler = app.vox.inboxHandler({ model: app.Member, authenticate: () => app.members[1] });
  const server: Server = createServer(toNodeHandler(handler));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const stream = await openEvents(`http://127.0.0.1:${(server.address() as { port: number }).port}/stream`);
  try {
    await stream.next((e) => e.event === 'counts', { what: 'the first counts' });
    if (interrupt) {
      const before = stream.events.length;
      await interrupt();
      // Listening again, the hub reads every stream's state again: a counts event says it is back.
      await stream.next((e) => e.event === 'counts', { from: before, timeoutMs: 10_000, what: 'the counts after listening again' });
    }
    const from = stream.events.length;
    const writer = run(process.execPath, [WRITER], { env: { ...process.env, ...env, INBOX_DATABASE: JSON.stringify(database), INBOX_TITLE: 'Written by another process' } });
    const item = await stream.next((e) => e.event === 'item', { from, timeoutMs: 20_000, what: "the other process's item" });
    assert.equal(JSON.parse(item.data).title, 'Member 1 published Written by another process');
    const counts = await stream.next((e) => e.event === 'counts', { from: stream.events.indexOf(item) });
    assert.deepEqual(JSON.parse(counts.data), { unread: 1, unseen: 1 });
    await writer;
  } finally {
    stream.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await app.vox.close();
  }
}

describe('in-app inbox events across processes', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  test('PostgreSQL LISTEN/NOTIFY: an item written by one process appears on a stream served by another', { skip: postgresUrl ? false : 'VOX_TEST_POSTGRES_URL is not set' }, async () => {
    const { schema, drop } = await createSchema(postgresUrl!, 'vox_inbox');
    cleanups.push(drop);
    await streamHearsOtherProcess({ dialect: 'postgres', url: postgresUrl!, schema }, {});
  });

  test('PostgreSQL: when the listening connection is cut, the process listens again and still hears the other', { skip: postgresUrl ? false : 'VOX_TEST_POSTGRES_URL is not set' }, async () => {
    const { schema, drop } = await createSchema(postgresUrl!, 'vox_inbox');
    cleanups.push(drop);
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    try {
      await streamHearsOtherProcess({ dialect: 'postgres', url: postgresUrl!, schema }, {}, undefined, async () => {
        const { rows } = await admin.query<{ pid: number }>(`select pid from pg_stat_activity where query = $1`, [`LISTEN "vox_inbox_${schema}"`]);
        assert.equal(rows.length, 1, 'one connection listens');
        await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
      });
    } finally {
      await admin.end();
    }
  });

  test('Redis pub/sub with the BullMQ queue: the same on SQLite, whose database has no notifications', { skip: redisUrl ? false : 'VOX_TEST_REDIS_URL is not set' }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vox-inbox-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const name = `vox-inbox-${process.pid}`;
    await streamHearsOtherProcess({ dialect: 'sqlite', path: join(dir, 'vox.db') }, { INBOX_REDIS_URL: redisUrl!, INBOX_QUEUE: name }, () =>
      bullmq({ connection: { url: redisUrl!, maxRetriesPerRequest: null }, name }),
    );
  });
});
