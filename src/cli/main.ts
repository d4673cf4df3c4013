#!/usr/bin/env node
/** The `vox` command: migrate, sync, worker, resend. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, Option } from 'commander';
import type { Vox } from '../vox.ts';
import { errorText } from '../vocabulary/errors.ts';

const CONFIG_FILES = ['vox.config.ts', 'vox.config.mts', 'vox.config.js', 'vox.config.mjs'];

/** What a config module gives the command: its Vox instance, and its own `close` hook when it exports one. */
interface LoadedConfig {
  readonly vox: Vox;
  /** The config's `export async function close()`: ends what the config opened (a pg pool behind its Kysely). */
  readonly close?: () => unknown;
}

/** Loads the app's Vox instance: the config module's default export, or what its default function returns. */
async function loadConfig(configPath: string | undefined): Promise<LoadedConfig> {
  const path = configPath ? resolve(configPath) : CONFIG_FILES.map((f) => resolve(f)).find((f) => existsSync(f));
  if (!path || !existsSync(path)) {
    throw new Error(configPath ? `config file ${configPath} does not exist` : `no ${CONFIG_FILES.join(' / ')} in ${process.cwd()}; pass --config FILE`);
  }
  const module = (await import(pathToFileURL(path).href)) as { default?: unknown; close?: unknown };
  const exported = typeof module.default === 'function' ? await (module.default as () => unknown)() : module.default;
  if (!exported || typeof (exported as Vox).migrate !== 'function') {
    throw new Error(`${path} must default-export a Vox instance (createVox(...)) or a function returning one`);
  }
  if (module.close !== undefined && typeof module.close !== 'function') throw new Error(`${path}: its export close must be a function`);
  return { vox: exported as Vox, ...(module.close ? { close: module.close as () => unknown } : {}) };
}

/** Closes the Vox instance, then what the config opened; the command exits afterwards either way. */
async function closeConfig(config: LoadedConfig): Promise<void> {
  try {
    await config.vox.close();
  } finally {
    await config.close?.();
  }
}

async function withVox(options: { config?: string }, work: (vox: Vox) => Promise<number>): Promise<void> {
  const config = await loadConfig(options.config);
  try {
    process.exitCode = await work(config.vox);
  } finally {
    await closeConfig(config);
  }
}

const program = new Command('vox').description('Vox: model-centred notifications').showHelpAfterError();
const config = new Option('-c, --config <file>', 'module that default-exports the Vox instance');

program
  .command('migrate')
  .description("create or update Vox's tables")
  .addOption(config)
  .action((options: { config?: string }) =>
    withVox(options, async (vox) => {
      const applied = await vox.migrate();
      for (const name of applied) console.log(`applied ${name}`);
      if (applied.length === 0) console.log('up to date');
      return 0;
    }),
  );

program
  .command('sync')
  .description('make the notifications table match the code (make_notifications)')
  .addOption(config)
  .option('-n, --dry-run', 'print what would change without writing')
  .action((options: { config?: string; dryRun?: boolean }) =>
    withVox(options, async (vox) => {
      const report = await vox.sync({ dryRun: options.dryRun ?? false });
      const count = (action: string) => report.changes.filter((c) => c.action === action).length;
      for (const change of report.changes) console.log([change.action, change.notification, change.detail].filter(Boolean).join(' '));
      console.log(
        `sync${report.dryRun ? ' (dry run)' : ''}: ${count('add')} added, ${count('change')} changed, ${count('remove')} removed, ` +
          `${count('keep-orphan')} orphans kept, ${count('conflict')} conflicts`,
      );
      return count('conflict') > 0 ? 1 : 0;
    }),
  );

program
  .command('resend')
  .description('send failed messages again')
  .addOption(config)
  .argument('[ids...]', 'message ids')
  .option('--all-failed', 'every failed message in the log')
  .action((ids: string[], options: { config?: string; allFailed?: boolean }) =>
    withVox(options, async (vox) => {
      const numbers = ids.map(Number);
      if (numbers.some((n) => !Number.isInteger(n))) throw new Error(`message ids are numbers: ${ids.join(' ')}`);
      if (options.allFailed) numbers.push(...(await vox.messages.list({ status: 'failed' })).map((m) => m.id));
      if (numbers.length === 0) throw new Error('name message ids, or pass --all-failed');
      const outcomes = await vox.messages.resend([...new Set(numbers)]);
      for (const o of outcomes) console.log(`${o.id} ${o.status}${o.error ? `: ${o.error}` : ''}`);
      return outcomes.every((o) => o.status === 'sent') ? 0 : 1;
    }),
  );

program
  .command('worker')
  .description('run a worker: fan issues out and send messages until SIGTERM or SIGINT')
  .addOption(config)
  .action(async (options: { config?: string }) => {
    const config = await loadConfig(options.config);
    const { vox } = config;
    try {
      vox.start();
    } catch (error) {
      await closeConfig(config);
      throw error;
    }
    // The worker's own timers do not keep a process alive (an app that embeds Vox must be able to
    // exit), so the command holds it open until it is told to stop. The signals are listened for
    // before the command says it started: a supervisor may stop it as soon as it reads that line.
    const alive = setInterval(() => {}, 2 ** 30);
    const stopping = new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    console.log(`vox worker ${process.pid} started (${vox.dialect})`);
    await stopping;
    clearInterval(alive);
    console.log(`vox worker ${process.pid} stopping: finishing the jobs in flight`);
    // A second signal stops at once; the leases of what was in flight hand it to another worker.
    const now = () => process.exit(0);
    process.once('SIGTERM', now);
    process.once('SIGINT', now);
    const finished = await vox.stop();
    if (!finished) console.log(`vox worker ${process.pid}: the jobs in flight did not finish in time; their messages go to another worker when their leases run out`);
    await closeConfig(config);
    console.log(`vox worker ${process.pid} stopped`);
    // The app's config may hold other connections (a mail transport pool); the worker is done.
    process.exit(0);
  });

program
  .parseAsync()
  .catch((error: unknown) => {
    console.error(`vox: ${errorText(error)}`);
    process.exitCode = 1;
  })
  // The app's config may hold connections Vox did not open (a pg pool behind its own Kysely, a
  // pooled mail transport) and exports no close hook for them: they would keep the process alive
  // after the command is done (a pg pool for its 10 s idle timeout).
  .finally(() => process.exit());
