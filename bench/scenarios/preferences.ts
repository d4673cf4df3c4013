// The preferences part of the benchmark: the newsletter fan-out to N subscribers, one in ten of whom
// has a preference stored (set through vox.preferences before the clock starts, at the global,
// category and notification levels in turn), either opting out (`out`: their messages are logged
// as skipped) or opting in explicitly (`in`: every message is sent, so only the look-ups cost).
import type { MailTransport } from '../../src/backends/email/index.ts';
import { ARTICLE, transportFor, type Sink } from './shared.ts';
import { blog, database, sentAll } from './vox.ts';

/** The subscribers with a stored preference: one in ten. */
export const withPreference = (i: number) => i % 10 === 0;
/** How many of N subscribers have a stored preference. */
export const preferenceCount = (count: number) => Math.ceil(count / 10);

/**
 * Writes the preferences, a few at a time (each set() is its own transaction), for subscribers
 * `offset` to `offset + count`: an offset of `count` stores them for people who are not recipients.
 */
async function storePreferences(vox: Awaited<ReturnType<typeof blog>>['vox'], count: number, enabled: boolean, offset = 0): Promise<void> {
  const ids: number[] = [];
  for (let i = offset; i < offset + count; i++) if (withPreference(i)) ids.push(i);
  const levels = [{}, { category: 'newsletter' }, { notification: 'blog.article.created' }] as const;
  for (let at = 0; at < ids.length; at += 32) {
    await Promise.all(ids.slice(at, at + 32).map((id) => vox.preferences.set('blog.subscriber', id, { ...levels[(id / 10) % 3]!, protocol: 'email', enabled })));
  }
}

/**
 * One notify() of the newsletter to `count` subscribers with one in ten preferences stored (with
 * `none`, stored for as many people outside the audience), until the issue is settled. `fanoutCpuSeconds` is
 * the process's CPU from notify() on, without start-up and without storing the preferences.
 */
export async function fanoutWithPreferences(dialect: string, count: number, port: number, mode: 'in' | 'out' | 'none', sink: Sink = 'smtp'): Promise<Record<string, number>> {
  const { db, drop } = await database(dialect);
  const transport = transportFor(sink, port);
  const { vox, Article } = await blog(db, transport as MailTransport, count);
  // Without preferences, the same writes for people outside the audience: the process, its
  // database and its connections are then as warm as in the other runs when the clock starts.
  await storePreferences(vox, count, mode === 'in', mode === 'none' ? count : 0);
  const startedAt = Date.now();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const ticket = await Article.notify(ARTICLE, 'created');
  const skipped = mode === 'out' ? preferenceCount(count) : 0;
  await sentAll(vox, ticket.issueId, count - skipped, undefined, skipped);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await vox.close();
  transport.close();
  await drop();
  return { startedAt, seconds, sent: count - skipped, skipped, fanoutCpuSeconds: (used.user + used.system) / 1e6 };
}
