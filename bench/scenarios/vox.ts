// Vox's side of the benchmark, through its public API only: a fresh database per run, the blog's
// models with default options, and the newsletter fan-out.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, PostgresDialect, type LogEvent } from 'kysely';
import pg from 'pg';
import type { Vox, VoxOptions } from '../../src/index.ts';
import type { MailTransport } from '../../src/backends/email/index.ts';
import { createVox, htmlEmail, nodeSqliteDialect } from './package.ts';
import { ARTICLE, FROM, NEWSLETTER, onPostgres, postgresUrl, SUBJECT, subscriber, transportFor, type Sink, type Subscriber } from './shared.ts';

/** The one recipient of the small notification that requests issue in the notify scenario. */
export const AUTHOR = subscriber(-1);

/** With VOX_BENCH_SQLLOG set, time spent per statement shape (and its longest), printed to stderr at exit. */
function statementLog() {
  if (!process.env.VOX_BENCH_SQLLOG) return {};
  const stats = new Map<string, { n: number; ms: number; max: number }>();
  process.on('exit', () => {
    for (const [k, v] of [...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 10)) console.error(`${v.ms.toFixed(0)}ms ${v.n}x (longest ${v.max.toFixed(1)}ms) ${k}`);
  });
  return {
    log(event: LogEvent) {
      const key = event.query.sql.replace(/\((\?|\$\d+)(, (\?|\$\d+))*\)/g, '(…)').slice(0, 90);
      const entry = stats.get(key) ?? { n: 0, ms: 0, max: 0 };
      entry.n++;
      entry.ms += event.queryDurationMillis;
      entry.max = Math.max(entry.max, event.queryDurationMillis);
      stats.set(key, entry);
    },
  };
}

/**
 * A fresh database for one run: a SQLite file, or a PostgreSQL schema (pg's default pool). With
 * `existing`, the `name` (file or schema) of a run's database, another connection to that one, as
 * a second process opens it; its `drop()` only closes the connection.
 */
export async function database(dialect: string, existing?: string): Promise<{ db: Kysely<unknown>; name: string; drop(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = existing === undefined ? await mkdtemp(join(tmpdir(), 'vox-bench-')) : undefined;
    const name = existing ?? join(dir!, 'bench.db');
    const db = new Kysely<unknown>({ dialect: nodeSqliteDialect(name), ...statementLog() });
    return { db, name, drop: async () => { await db.destroy(); if (dir) await rm(dir, { recursive: true, force: true }); } };
  }
  const name = existing ?? `vox_bench_${randomBytes(4).toString('hex')}`;
  if (existing === undefined) await onPostgres(`create schema ${name}`);
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: postgresUrl, options: `-c search_path=${name}` }) }),
    ...statementLog(),
  });
  return { db, name, drop: async () => { await db.destroy(); if (existing === undefined) await onPostgres(`drop schema ${name} cascade`); } };
}

/**
 * Vox's options beyond the database and the backend: none, unless an experiment's knob is set
 * (VOX_BENCH_CONCURRENCY, VOX_BENCH_WINDOW, VOX_BENCH_BATCH, VOX_BENCH_LEAD). The benchmark's report
 * names a run with knobs "tuned".
 */
function knobs(): Partial<VoxOptions> {
  const env = process.env;
  const delivery = {
    ...(env.VOX_BENCH_BATCH ? { batchSize: Number(env.VOX_BENCH_BATCH) } : {}),
    ...(env.VOX_BENCH_WINDOW ? { sendBatchSize: Number(env.VOX_BENCH_WINDOW) } : {}),
    ...(env.VOX_BENCH_LEAD ? { fanOutLead: Number(env.VOX_BENCH_LEAD) } : {}),
  };
  return {
    ...(env.VOX_BENCH_CONCURRENCY ? { backendLimits: { 'email-html': { concurrency: Number(env.VOX_BENCH_CONCURRENCY) } } } : {}),
    ...(Object.keys(delivery).length ? { delivery } : {}),
  };
}

/**
 * A blog on Vox with default options and the in-process worker: articles notify `count`
 * subscribers of a new article (the newsletter) and their author of a new comment. With `setUp`
 * false, the models only, for a second process on a database that the first has set up.
 */
export async function blog(db: Kysely<unknown>, transport: MailTransport, count: number, options: Partial<VoxOptions> = {}, setUp = true) {
  const vox: Vox = createVox({ database: db, backends: [htmlEmail({ transport, from: FROM })], ...knobs(), ...options });
  const Subscriber = vox.model('blog.subscriber', {
    id: (s: Subscriber) => s.id,
    contacts: { email: (s) => ({ name: s.name, protocol: 'email', address: s.email }) },
  });
  const Article = vox.model('blog.article', {
    id: (a: { slug: string; title: string }) => a.slug,
    notifications: { created: { description: 'A new article', category: 'newsletter' }, commented: 'A new comment' },
    channels: {
      subscribers: {
        recipients: Subscriber,
        async *resolve() {
          for (let i = 0; i < count; i++) yield subscriber(i);
        },
      },
      author: { recipients: Subscriber, resolve: () => [AUTHOR] },
    },
  });
  if (!setUp) return { vox, Article };
  await vox.migrate();
  await vox.sync();
  await vox.templates.save({ notification: 'blog.article.created', backend: 'email-html', recipients: ['c:subscribers'], subject: SUBJECT, content: NEWSLETTER });
  await vox.templates.save({ notification: 'blog.article.commented', backend: 'email-html', recipients: ['c:author'], subject: 'A comment on {{ object.title }}', content: '<p>Hi {{ recipient.name }}, someone commented on <a href="https://blog.example/articles/{{ object.slug }}">{{ object.title }}</a>.</p>' });
  return { vox, Article };
}

/** Waits until the issue is fanned out and every message of it is sent (or `skipped` of them skipped), looking once a second. */
export async function sentAll(vox: Vox, issueId: number, count: number, trace?: (line: string) => void, skipped = 0): Promise<void> {
  const started = performance.now();
  for (;;) {
    const issue = await vox.issues.get(issueId);
    const open = issue ? issue.messages.queued + issue.messages.sending + issue.messages.retrying : 1;
    if (issue?.status === 'failed') throw new Error(`issue ${issueId} failed: ${issue.error}`);
    if (issue?.status === 'done' && open === 0) {
      if (issue.messages.sent !== count) throw new Error(`sent ${issue.messages.sent} of ${count}`);
      if (issue.messages.skipped !== skipped) throw new Error(`skipped ${issue.messages.skipped}, not ${skipped}`);
      return;
    }
    if (trace) {
      const m = process.memoryUsage();
      trace(`${((performance.now() - started) / 1000).toFixed(1)}s rss=${(m.rss / 2 ** 20).toFixed(0)} heap=${(m.heapUsed / 2 ** 20).toFixed(0)}/${(m.heapTotal / 2 ** 20).toFixed(0)} ext=${(m.external / 2 ** 20).toFixed(0)} sent=${issue?.messages.sent} queued=${issue?.messages.queued}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/**
 * One notify() of the newsletter, fanned out to `count` subscribers, until the issue reports every
 * message sent. run.ts times SMTP runs by the sink; `seconds` here is good to a second only.
 */
export async function fanout(dialect: string, count: number, port: number, sink: Sink = 'smtp'): Promise<Record<string, number>> {
  const { db, drop } = await database(dialect);
  const transport = transportFor(sink, port);
  const { vox, Article } = await blog(db, transport as MailTransport, count);
  const startedAt = Date.now();
  const started = performance.now();
  const ticket = await Article.notify(ARTICLE, 'created');
  await sentAll(vox, ticket.issueId, count, process.env.VOX_BENCH_TRACE ? (line) => console.error(line) : undefined);
  const seconds = (performance.now() - started) / 1000;
  await vox.close();
  transport.close();
  await drop();
  return { startedAt, seconds };
}
