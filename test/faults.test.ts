import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { newsApp, setUpNews, type FixtureDatabase } from './fixtures/news.ts';
import { createSchema } from './support/databases.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';
import { startWorker, until } from './support/workers.ts';
import { withDeadline } from './support/wait.ts';

const READERS = 5000;
const postgresUrl = process.env.VOX_TEST_POSTGRES_URL;

const targets: { name: string; skip: string | false; create(): Promise<{ database: FixtureDatabase; drop(): Promise<void> }> }[] = [
  {
    name: 'sqlite',
    skip: false,
    async create() {
      const dir = await mkdtemp(join(tmpdir(), 'vox-fault-'));
      return { database: { dialect: 'sqlite', path: join(dir, 'news.db') }, drop: () => rm(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'postgres',
    skip: postgresUrl ? false : 'VOX_TEST_POSTGRES_URL is not set',
    async create() {
      const { schema, drop } = await createSchema(postgresUrl as string, 'vox_fault');
      return { database: { dialect: 'postgres', url: postgresUrl as string, schema }, drop };
    },
  },
];

for (const target of targets) {
  describe(`a worker killed mid-run on ${target.name}`, { skip: target.skip }, () => {
    let sink: SmtpSink;
    before(async () => {
      sink = await startSmtpSink();
    });
    after(async () => {
      await sink.close();
    });

    test(`kill -9 in the middle of a ${READERS}-recipient fan-out, then restart: everyone gets it, no duplicates beyond the in-flight`, { timeout: 240_000 }, async (t) => {
      const { database, drop } = await target.create();
      const issuer = newsApp(database, sink.port, READERS, { worker: false });
      const workers: ChildProcess[] = [];
      try {
        await setUpNews(issuer.vox);
        const ticket = await issuer.Post.notify({ id: 1, title: 'Big news' }, 'published');

        const first = await startWorker(database, sink, READERS);
        workers.push(first);
        await until(() => sink.delivered() >= 1000, 60_000, 'the first 1,000 deliveries');
        first.kill('SIGKILL');
        await new Promise((resolve) => first.once('exit', resolve));
        const inFlight = (await issuer.vox.messages.list({ status: 'sending' })).length;
        const deliveredAtKill = sink.delivered();
        assert.ok(deliveredAtKill < READERS, `the kill came too late to test anything (${deliveredAtKill} delivered)`);

        workers.push(await startWorker(database, sink, READERS));
        const result = await withDeadline(ticket.settled(), 150_000, `the ${READERS}-recipient issue to settle after the restart`);

        assert.equal(sink.counts.size, READERS, 'every recipient got the message');
        const duplicates = [...sink.counts.values()].reduce((sum, n) => sum + n - 1, 0);
        t.diagnostic(`killed after ${deliveredAtKill} deliveries with ${inFlight} in flight; ${duplicates} duplicates`);
        assert.ok(duplicates <= inFlight, `${duplicates} duplicates, but only ${inFlight} messages were in flight at the kill`);
        assert.equal(result.sent, READERS);
        assert.equal(result.failed, 0);
      } finally {
        for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
        await issuer.close();
        await drop();
      }
    });
  });
}
