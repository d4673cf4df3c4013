import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { FixtureDatabase } from '../fixtures/news.ts';
import type { SmtpSink } from './smtp-sink.ts';
import { waitFor } from './wait.ts';

/** Starts `vox worker` for the news app and waits until it is ready. */
export async function startWorker(database: FixtureDatabase, sink: SmtpSink, readers: number, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(import.meta.dirname, '../../src/cli/main.ts'), 'worker', '--config', join(import.meta.dirname, '../fixtures/news.config.ts')], {
    env: { ...process.env, VOX_FIXTURE_DB: JSON.stringify(database), VOX_FIXTURE_SMTP_PORT: String(sink.port), VOX_FIXTURE_READERS: String(readers), VOX_FIXTURE_LEASE_MS: '1000', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
  });
  return child;
}

/** Polls `condition` until it holds (see {@link waitFor}). */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  await waitFor(condition, { timeoutMs, what });
}
