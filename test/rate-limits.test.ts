import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { contact, createVox, type Backend, type DatabaseOptions } from '../src/index.ts';
import { composeText } from '../src/vocabulary/backend.ts';
import { createSchema } from './support/databases.ts';
import { until } from './support/workers.ts';

/** A backend that POSTs each message to a local server, saying which worker sent it. */
function hook(url: string, worker: string): Backend {
  return {
    id: 'hook',
    protocol: 'hook',
    label: 'Hook',
    format: 'text',
    capabilities: { subject: false, fromAddress: false, attachments: false, manualSending: false },
    compose: composeText,
    async send(message) {
      const response = await fetch(url, { method: 'POST', headers: { 'x-worker': worker }, body: message.payload.text ?? '' });
      if (!response.ok) throw new Error(`hook answered ${response.status}`);
      return {};
    },
  };
}

/** Two ways to one database, so that two Vox instances share it as two worker processes would. */
const databases: { name: string; skip: string | false; open(): Promise<{ options(): DatabaseOptions; drop(): Promise<void> }> }[] = [
  {
    name: 'sqlite',
    skip: false,
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'vox-rate-'));
      return { options: () => ({ dialect: 'sqlite', path: join(dir, 'vox.db') }), drop: () => rm(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'postgres',
    skip: process.env.VOX_TEST_POSTGRES_URL ? false : 'VOX_TEST_POSTGRES_URL is not set',
    async open() {
      const url = process.env.VOX_TEST_POSTGRES_URL as string;
      const { schema, drop } = await createSchema(url, 'vox_rate');
      return { options: () => ({ dialect: 'postgres', pool: new pg.Pool({ connectionString: url, options: `-c search_path=${schema}`, max: 3 }) }), drop };
    },
  },
];

for (const database of databases) {
  describe(`rate limits on ${database.name}`, { skip: database.skip }, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    test('two workers on one database start sends at ratePerSecond between them, not each', async () => {
      const arrivals: { at: number; worker: string }[] = [];
      const server = createServer((request, response) => {
        arrivals.push({ at: Date.now(), worker: String(request.headers['x-worker']) });
        request.resume();
        response.end('ok');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
      const db = await database.open();
      cleanups.push(db.drop);

      const recipients = Array.from({ length: 10 }, (_, i) => ({ id: i, name: `R${i}` }));
      const make = (worker: string) => {
        const vox = createVox({
          database: db.options(),
          backends: [hook(url, worker)],
          // Five a second, together; each worker takes two messages at a time, so both get some.
          backendLimits: { hook: { ratePerSecond: 5, concurrency: 4 } },
          delivery: { sendBatchSize: 2 },
          worker: { sweepIntervalMs: 20 },
        });
        const Recipient = vox.model('t.recipient', { id: (r: { id: number; name: string }) => r.id, contacts: { hook: (r) => contact(r.name, 'hook', r.name) } });
        const Batch = vox.model('t.batch', { id: (b: { id: number }) => b.id, notifications: { ready: 'Ready' }, channels: { all: { recipients: Recipient, resolve: () => recipients } } });
        cleanups.push(() => vox.close());
        return { vox, Batch };
      };
      const a = make('a');
      const b = make('b');
      await a.vox.migrate();
      await a.vox.sync();
      await a.vox.templates.save({ notification: 't.batch.ready', backend: 'hook', recipients: ['c:all'], content: 'Hello {{ recipient.name }}' });
      b.vox.start();

      const issuedAt = Date.now();
      const ticket = await a.Batch.notify({ id: 1 }, 'ready');
      await until(() => arrivals.length >= recipients.length, 20_000, 'every message at the hook');
      const result = await ticket.settled();
      assert.equal(result.sent, recipients.length);
      assert.equal(arrivals.length, recipients.length, 'each message arrived once');

      const workers = new Set(arrivals.map((r) => r.worker));
      assert.deepEqual([...workers].sort(), ['a', 'b'], 'both workers sent');
      // Ten starts at five a second span nine intervals of 200 ms; each worker pacing itself
      // alone would take half that. Measured from the issue, since a first send slowed down by a
      // loaded machine arrives late and would shorten a span measured between arrivals; a little
      // slack for timers firing early.
      const last = Math.max(...arrivals.map((r) => r.at));
      assert.ok(last - issuedAt >= 9 * 200 * 0.9, `the tenth send arrived ${last - issuedAt} ms after the issue`);
    });
  });
}
