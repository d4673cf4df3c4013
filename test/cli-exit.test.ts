// The `vox` command with a config whose Kysely runs on the app's own pg pool: the command exits as
// soon as its work is done (not after the pool's 10 s idle timeout), with or without the config's
// `close` hook, and the hook, when there is one, ends the pool's connections before the exit; vox
// worker calls it once it has stopped.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { migrations } from '../src/store/migrations/index.ts';
import { createSchema } from './support/databases.ts';
import { waitFor } from './support/wait.ts';

const postgresUrl = process.env.VOX_TEST_POSTGRES_URL;
const skip = postgresUrl ? false : 'VOX_TEST_POSTGRES_URL is not set: PostgreSQL tests skipped (.ci/run sets it)';
const cli = join(import.meta.dirname, '../src/cli/main.ts');
const config = join(import.meta.dirname, 'fixtures/pg-kysely.config.ts');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Milliseconds from the command's last line of output to its exit. */
  readonly lingeredMs: number;
}

function vox(args: readonly string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args, '--config', config], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let lastOutputAt = Date.now();
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      lastOutputAt = Date.now();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr, lingeredMs: Date.now() - lastOutputAt }));
  });
}

async function query<T>(sql: string, values: readonly unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    return (await client.query(sql, [...values])).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * Nothing of the command is left on the server. PostgreSQL drops a backend from pg_stat_activity a
 * moment after its client hangs up, so this looks again for up to a second.
 */
async function noConnectionOf(app: string): Promise<void> {
  await waitFor(async () => (await query('select pid from pg_stat_activity where application_name = $1', [app])).length === 0, { timeoutMs: 1000, intervalMs: 50, what: `the connections of ${app} to end` });
}

for (const closing of ['none', 'hook'] as const) {
  const how = closing === 'hook' ? "the config's close hook ends its pool and" : 'without a close hook,';
  test(`vox migrate and sync on the app's pg-backed Kysely: ${how} the command exits as soon as its work is done`, { skip, timeout: 60_000 }, async () => {
    const { schema, drop } = await createSchema(postgresUrl as string, 'vox_cli');
    const app = `vox-cli-${randomBytes(4).toString('hex')}`;
    const env = { VOX_TEST_CLI_SCHEMA: schema, VOX_TEST_CLI_APP: app, VOX_TEST_CLI_CLOSE: closing };
    try {
      const migrate = await vox(['migrate'], env);
      assert.equal(migrate.stderr, '');
      assert.equal(migrate.code, 0);
      const applied = Object.keys(migrations('postgres')).map((name) => `applied ${name}`);
      assert.deepEqual(migrate.stdout.trim().split('\n'), closing === 'hook' ? [...applied, 'config closed'] : applied);
      assert.ok(migrate.lingeredMs < 3000, `vox migrate exited ${migrate.lingeredMs} ms after its last line`);

      const sync = await vox(['sync'], env);
      assert.equal(sync.code, 0, sync.stderr);
      assert.match(sync.stdout, /^add shop\.order\.placed\nsync: 1 added, 0 changed, 0 removed, 0 orphans kept, 0 conflicts\n/);
      assert.ok(sync.lingeredMs < 3000, `vox sync exited ${sync.lingeredMs} ms after its last line`);
      assert.deepEqual(await query(`select model, codename from ${schema}.vox_notifications`), [{ model: 'shop.order', codename: 'placed' }]);
      if (closing === 'hook') {
        // Ended by the pool, not dropped by the exit: nothing of the command is left on the server.
        await noConnectionOf(app);
      }
    } finally {
      await drop();
    }
  });
}

test("vox worker, stopped with SIGTERM, closes Vox and then calls the config's close hook, leaving no connection", { skip, timeout: 60_000 }, async () => {
  const { schema, drop } = await createSchema(postgresUrl as string, 'vox_cli');
  const app = `vox-cli-${randomBytes(4).toString('hex')}`;
  const env = { VOX_TEST_CLI_SCHEMA: schema, VOX_TEST_CLI_APP: app, VOX_TEST_CLI_CLOSE: 'hook' };
  try {
    assert.equal((await vox(['migrate'], env)).code, 0);
    const child = spawn(process.execPath, [cli, 'worker', '--config', config], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const started = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('started')) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await started;
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(stdout, /stopping: finishing the jobs in flight\nconfig closed\nvox worker \d+ stopped\n$/);
    await noConnectionOf(app);
  } finally {
    await drop();
  }
});
