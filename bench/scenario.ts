// One benchmark scenario per process, so that its peak RSS is its own. Prints one JSON line.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import pg from 'pg';
import { createVox, nodeSqliteDialect, type Vox } from '../src/index.ts';
import { htmlEmail, messageIdOf } from '../src/backends/email/index.ts';
import { buildMail } from '../src/backends/email/mime.ts';
import { htmlToText } from '../src/backends/email/core.ts';


const [kind = '', dialect = 'sqlite', countText = '0', portText = '0'] = process.argv.slice(2);
const count = Number(countText);
const port = Number(portText);
const postgresUrl = process.env.VOX_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const transportOptions = { host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: 5, maxMessages: Infinity } as const;
const TEMPLATE = '<p>Hi {{ recipient.name }},</p>\n<p>{{ object.title }} is out: <a href="https://blog.example/articles/{{ object.slug }}?token={{ recipient.token }}">read it</a>.</p>';

interface Subscriber {
  id: number;
  name: string;
  email: string;
  token: string;
}
const subscriber = (i: number): Subscriber => ({ id: i, name: `Subscriber ${i}`, email: `s${i}@example.org`, token: `t${i.toString(36)}` });

/** With VOX_BENCH_SQLLOG set, time spent per statement shape, printed to stderr at exit. */
function statementLog(stats: Map<string, { n: number; ms: number }>) {
  process.on('exit', () => {
    for (const [k, v] of [...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 10)) console.error(`${v.ms.toFixed(0)}ms ${v.n}x ${k}`);
  });
  return (event: { query: { sql: string }; queryDurationMillis: number }) => {
    const key = event.query.sql.replace(/\((\?|\$\d+)(, (\?|\$\d+))*\)/g, '(…)').slice(0, 90);
    const entry = stats.get(key) ?? { n: 0, ms: 0 };
    entry.n++;
    entry.ms += event.queryDurationMillis;
    stats.set(key, entry);
  };
}

/** A fresh database for the scenario: a SQLite file, or a PostgreSQL schema. */
async function database(): Promise<{ db: Kysely<unknown>; drop(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'vox-bench-'));
    const stats = new Map<string, { n: number; ms: number }>();
    const db = new Kysely<unknown>({ dialect: nodeSqliteDialect(join(dir, 'bench.db')), ...(process.env.VOX_BENCH_SQLLOG ? { log: statementLog(stats) } : {}) });
    return { db, drop: async () => { await db.destroy(); await rm(dir, { recursive: true, force: true }); } };
  }
  const schema = `vox_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const stats = new Map<string, { n: number; ms: number }>();
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: postgresUrl, options: `-c search_path=${schema}`, max: 6 }) }),
    ...(process.env.VOX_BENCH_SQLLOG ? { log: statementLog(stats) } : {}),
  });
  return {
    db,
    async drop() {
      await db.destroy();
      const c = new pg.Client({ connectionString: postgresUrl });
      await c.connect();
      await c.query(`drop schema ${schema} cascade`);
      await c.end();
    },
  };
}

function blog(vox: Vox) {
  const Subscriber = vox.model('blog.subscriber', {
    id: (s: Subscriber) => s.id,
    contacts: { email: (s) => ({ name: s.name, protocol: 'email', address: s.email }) },
  });
  return vox.model('blog.article', {
    id: (a: { slug: string; title: string }) => a.slug,
    notifications: { created: 'A new article' },
    channels: {
      subscribers: {
        recipients: Subscriber,
        async *resolve() {
          for (let i = 0; i < count; i++) yield subscriber(i);
        },
      },
    },
  });
}

async function setUp(vox: Vox): Promise<void> {
  await vox.migrate();
  await vox.sync();
  await vox.templates.save({ notification: 'blog.article.created', backend: 'email-html', recipients: ['c:subscribers'], subject: 'New: {{ object.title }}', content: TEMPLATE });
}

/**
 * The message Vox sends subscriber `i`, made without Vox: the same HTML, the same generated text
 * part, the same header with the message's key. Cheap string work, so the baseline pays next to
 * nothing for rendering and holds no pre-rendered backlog in memory.
 */
function plainMessage(i: number) {
  const s = subscriber(i);
  const url = `https://blog.example/articles/hello?token=${s.token}`;
  const html = `<p>Hi ${s.name},</p>\n<p>Hello is out: <a href="${url}">read it</a>.</p>`;
  const text = `Hi ${s.name},\n\nHello is out: read it [${url}].`;
  const key = `i1:t1:${createHash('sha256').update(s.email).digest('base64url').slice(0, 22)}`;
  return { from: 'blog@example.org', to: [{ name: s.name, address: s.email }], subject: 'New: Hello', html, text, headers: { 'X-Vox-Message-Key': key }, messageId: messageIdOf(key, 'blog@example.org') };
}

/** Plain Nodemailer, pooled, sending the messages Vox sends. */
async function baseline(): Promise<Record<string, number>> {
  for (const i of [0, count - 1]) {
    const message = plainMessage(i);
    if (message.text !== htmlToText(message.html)) throw new Error(`the baseline's text part differs from Vox's: ${JSON.stringify(message.text)}`);
  }
  const transport = nodemailer.createTransport(transportOptions);
  const started = performance.now();
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    pending.push(transport.sendMail(plainMessage(i)));
    // Keep the baseline's own queue bounded, as a real sender would.
    if (pending.length >= 1000) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  transport.close();
  return { seconds, perSecond: count / seconds };
}

/** Vox: one notify() fanned out to `count` subscribers, per-recipient HTML, until every message is sent. */
async function fanout(): Promise<Record<string, number>> {
  const { db, drop } = await database();
  // VOX_BENCH_NULL_TRANSPORT measures Vox's own cost: every send succeeds at once, nothing is built.
  const transport = process.env.VOX_BENCH_NULL_TRANSPORT ? { sendMail: async () => ({}), close() {} } : nodemailer.createTransport(transportOptions);
  const vox = createVox({ database: db, backends: [htmlEmail({ transport, from: 'blog@example.org' })], backendLimits: { 'email-html': { concurrency: Number(process.env.VOX_BENCH_CONCURRENCY ?? 32) } }, delivery: { ...(process.env.VOX_BENCH_BATCH ? { batchSize: Number(process.env.VOX_BENCH_BATCH) } : {}), ...(process.env.VOX_BENCH_WINDOW ? { sendBatchSize: Number(process.env.VOX_BENCH_WINDOW) } : {}) } });
  const Article = blog(vox);
  await setUp(vox);
  const started = performance.now();
  const startedAt = Date.now();
  const ticket = await Article.notify({ slug: 'hello', title: 'Hello' }, 'created');
  for (;;) {
    const issue = await vox.issues.get(ticket.issueId);
    const open = issue ? issue.messages.queued + issue.messages.sending + issue.messages.retrying : 1;
    if (issue?.status === 'done' && open === 0) {
      if (issue.messages.sent !== count) throw new Error(`sent ${issue.messages.sent} of ${count}`);
      break;
    }
    if (process.env.VOX_BENCH_TRACE) {
      const m = process.memoryUsage();
      console.error(`${((performance.now() - started) / 1000).toFixed(1)}s rss=${(m.rss / 2 ** 20).toFixed(0)} heap=${(m.heapUsed / 2 ** 20).toFixed(0)}/${(m.heapTotal / 2 ** 20).toFixed(0)} ext=${(m.external / 2 ** 20).toFixed(0)} ab=${(m.arrayBuffers / 2 ** 20).toFixed(0)} sent=${issue?.messages.sent} queued=${issue?.messages.queued}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  // Polling finds the end only to the second; the log says when the last message was recorded sent.
  const last = await sql<{ last: string }>`select max(sent_at) as last from vox_messages`.execute(db);
  const seconds = (Date.parse(last.rows[0]?.last ?? '') - startedAt) / 1000;
  await vox.close();
  transport.close();
  await drop();
  return { seconds, perSecond: count / seconds };
}

/** notify() inside a request-sized transaction (a business write, then notify), `count` times. */
async function notifyLatency(): Promise<Record<string, number>> {
  const { db, drop } = await database();
  const vox = createVox({ database: db, backends: [htmlEmail({ transport: { sendMail: async () => ({}) }, from: 'blog@example.org' })], worker: false });
  const Article = blog(vox);
  await setUp(vox);
  await sql`create table bench_articles (slug text primary key, title text not null)`.execute(db);
  const timings: number[] = [];
  for (let i = 0; i < count; i++) {
    const article = { slug: `a${i}`, title: `Article ${i}` };
    await db.transaction().execute(async (trx) => {
      await sql`insert into bench_articles (slug, title) values (${article.slug}, ${article.title})`.execute(trx);
      const started = performance.now();
      await Article.notify(article, 'created', { trx });
      timings.push(performance.now() - started);
    });
  }
  timings.sort((a, b) => a - b);
  const at = (q: number) => timings[Math.min(timings.length - 1, Math.floor(q * timings.length))] ?? 0;
  await vox.close();
  await drop();
  return { p50: at(0.5), p99: at(0.99) };
}

/**
 * CPU per message of building its MIME source: through Nodemailer's streams (what sendMail does)
 * and in Vox's single pass over the same MIME tree. No sending.
 */
async function mime(): Promise<Record<string, number>> {
  const cpu = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  let started = cpu();
  for (let i = 0; i < count; i++) {
    const node = new MailComposer(plainMessage(i)).compile();
    await new Promise<Buffer>((resolve, reject) => node.build((error, source) => (error ? reject(error) : resolve(source))));
  }
  const streamedMs = (cpu() - started) / count;
  started = cpu();
  for (let i = 0; i < count; i++) buildMail(plainMessage(i));
  const builtMs = (cpu() - started) / count;
  return { streamedMs, builtMs };
}

const work = { baseline, fanout, notify: notifyLatency, mime }[kind];
if (!work) throw new Error(`unknown scenario ${kind}`);
const result = await work();
const usage = process.resourceUsage();
process.stdout.write(`${JSON.stringify({ ...result, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6, peakRssMb: usage.maxRSS / 1024 })}\n`);
process.exit(0);
