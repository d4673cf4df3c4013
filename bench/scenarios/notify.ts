// notify() as a web request calls it: inside the request's transaction, after one business write.
// Under load: a newsletter fan-out runs in the same process (default options, in-process worker,
// SMTP to the sink) while callers arrive at a steady rate; for comparison, the same with the worker
// in a process of its own. Quiet: one caller after another, no worker.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sql, type Kysely } from 'kysely';
import type { MailTransport } from '../../src/backends/email/index.ts';
import { ARTICLE, transportFor } from './shared.ts';
import type { Vox } from '../../src/index.ts';
import { blog, database, sentAll } from './vox.ts';

/** The q-quantile of sorted values. */
const quantile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

type Article = Awaited<ReturnType<typeof blog>>['Article'];

async function businessTable(db: Kysely<unknown>, dialect: string) {
  const id = dialect === 'sqlite' ? 'integer primary key autoincrement' : 'serial primary key';
  await sql.raw(`create table bench_comments (id ${id}, article text not null, body text not null)`).execute(db);
}

/** One request: a comment inserted, then notify() in the same transaction. Both times in ms. */
async function request(db: Kysely<unknown>, Article: Article, i: number): Promise<{ notifyMs: number; requestMs: number; issueId: number }> {
  const started = performance.now();
  let notifyMs = 0;
  const { issueId } = await db.transaction().execute(async (trx) => {
    await sql`insert into bench_comments (article, body) values (${ARTICLE.slug}, ${`Comment ${i}`})`.execute(trx);
    const notifying = performance.now();
    const ticket = await Article.notify(ARTICLE, 'commented', { trx });
    notifyMs = performance.now() - notifying;
    return ticket;
  });
  return { notifyMs, requestMs: performance.now() - started, issueId };
}

/** The longest gaps between the ticks of a 10 ms interval, overall and within a window. */
function gapMeter() {
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  let longest = 0;
  let windowLongest = 0;
  let inWindow = false;
  const timer = setInterval(() => {
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    lastCpu = process.cpuUsage();
    if (process.env.VOX_BENCH_TRACE && now - last > 30) console.error(`${(now / 1000).toFixed(2)}s: the event loop was away for ${(now - last).toFixed(0)} ms, cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms`);
    longest = Math.max(longest, now - last);
    if (inWindow) windowLongest = Math.max(windowLongest, now - last);
    last = now;
  }, 10);
  return {
    open: () => (inWindow = true),
    close: () => (inWindow = false),
    stop: () => clearInterval(timer),
    longest: () => longest,
    windowLongest: () => windowLongest,
  };
}

const ms = (ns: number) => ns / 1e6;

/**
 * `fanoutCount` subscribers get the newsletter while callers make requests at VOX_BENCH_NOTIFY_RATE
 * per second (50) for VOX_BENCH_NOTIFY_SECONDS (60), arriving on schedule whether or not earlier
 * ones have finished. Each request's notify() sends its author one email. The worker runs in this
 * process, as the default options have it.
 */
export async function notifyUnderLoad(dialect: string, fanoutCount: number, port: number): Promise<Record<string, number>> {
  const { db, drop } = await database(dialect);
  const transport = transportFor('smtp', port);
  const { vox, Article } = await blog(db, transport as MailTransport, fanoutCount);
  await businessTable(db, dialect);
  vox.start();
  const result = await underLoad(db, vox, Article, fanoutCount);
  await vox.close();
  transport.close();
  await drop();
  return result;
}

/**
 * The same, but this process runs no worker (`worker: false`): a worker in a process of its own
 * (notifyWorker) on the same database fans out and sends, as `vox worker` would. What remains of
 * notify()'s time here is its own work, the database's, and the machine's.
 */
export async function notifyUnderLoadElsewhere(dialect: string, fanoutCount: number, port: number): Promise<Record<string, number>> {
  const { db, name, drop } = await database(dialect);
  const { vox, Article } = await blog(db, { sendMail: async () => ({}) }, fanoutCount, { worker: false });
  await businessTable(db, dialect);
  const worker = spawn(process.execPath, [join(import.meta.dirname, '../scenario.ts'), 'notify-worker', dialect, String(fanoutCount), String(port)], {
    env: { ...process.env, VOX_BENCH_DATABASE: name },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = once(worker, 'exit');
  await Promise.race([once(worker, 'message'), exited.then(() => Promise.reject(new Error('the worker process ended before it was ready')))]);
  const result = await underLoad(db, vox, Article, fanoutCount);
  worker.send('stop');
  const [code] = (await exited) as [number | null];
  if (code !== 0) throw new Error(`the worker process ended with ${code}`);
  await vox.close();
  await drop();
  return result;
}

/** The worker process of notifyUnderLoadElsewhere: default options, SMTP to the sink, until told to stop. */
export async function notifyWorker(dialect: string, fanoutCount: number, port: number): Promise<Record<string, number>> {
  const { db, drop } = await database(dialect, process.env.VOX_BENCH_DATABASE);
  const transport = transportFor('smtp', port);
  const { vox } = await blog(db, transport as MailTransport, fanoutCount, {}, false);
  vox.start();
  // Told to stop, or its parent is gone (it failed before it could say so).
  const stop = Promise.race([once(process, 'message'), once(process, 'disconnect')]);
  process.send?.('ready');
  await stop;
  await vox.close();
  transport.close();
  await drop();
  return {};
}

/** Requests on schedule while the newsletter fans out (in whichever process runs the worker), measured. */
async function underLoad(db: Kysely<unknown>, vox: Vox, Article: Article, fanoutCount: number): Promise<Record<string, number>> {
  const rate = Number(process.env.VOX_BENCH_NOTIFY_RATE ?? 50);
  const seconds = Number(process.env.VOX_BENCH_NOTIFY_SECONDS ?? 60);
  const whole = monitorEventLoopDelay({ resolution: 1 });
  const during = monitorEventLoopDelay({ resolution: 1 });
  const gaps = gapMeter();
  whole.enable();
  during.enable();
  gaps.open();
  const started = performance.now();
  const ticket = await Article.notify(ARTICLE, 'created');
  let fanoutEnd = Infinity;
  const fannedOut = sentAll(vox, ticket.issueId, fanoutCount).then(() => {
    fanoutEnd = performance.now();
    during.disable();
    gaps.close();
  });

  const calls: Promise<{ at: number; notifyMs: number; requestMs: number; issueId: number }>[] = [];
  const total = Math.round(rate * seconds);
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const at = performance.now();
    calls.push(request(db, Article, i).then((r) => ({ at, ...r })));
  }
  const results = await Promise.all(calls);
  const callersEnd = performance.now();
  await fannedOut;
  whole.disable();
  gaps.stop();
  // Wait for the authors' emails too (the worker finds issues committed in a caller's
  // transaction on its next sweep), so that the run ends with all its work done.
  for (const { issueId } of results) await sentAll(vox, issueId, 1);

  const sorted = (values: number[]) => values.sort((a, b) => a - b);
  const inFanout = results.filter((r) => r.at < fanoutEnd);
  const notifyAll = sorted(results.map((r) => r.notifyMs));
  const notifyFanout = sorted(inFanout.map((r) => r.notifyMs));
  const requestFanout = sorted(inFanout.map((r) => r.requestMs));
  return {
    calls: results.length,
    callsInFanout: inFanout.length,
    callerSeconds: (callersEnd - started) / 1000,
    fanoutSeconds: (fanoutEnd - started) / 1000,
    fanoutP50: quantile(notifyFanout, 0.5),
    fanoutP99: quantile(notifyFanout, 0.99),
    fanoutMax: notifyFanout.at(-1) ?? 0,
    requestP99: quantile(requestFanout, 0.99),
    allP50: quantile(notifyAll, 0.5),
    allP99: quantile(notifyAll, 0.99),
    // Event-loop delay beyond the 1 ms timer, as the histogram records it, and the 10 ms interval's longest gap.
    fanoutLoopMax: ms(during.max),
    fanoutLoopP99: ms(during.percentile(99)),
    fanoutGapMax: gaps.windowLongest(),
    allLoopMax: ms(whole.max),
    allGapMax: gaps.longest(),
  };
}

/** `calls` requests one after another, timing notify() alone; no worker runs and nothing is sent. */
export async function notifyQuiet(dialect: string, calls: number): Promise<Record<string, number>> {
  const { db, drop } = await database(dialect);
  const { vox, Article } = await blog(db, { sendMail: async () => ({}) }, 0, { worker: false });
  await businessTable(db, dialect);
  const timings: number[] = [];
  for (let i = 0; i < calls; i++) timings.push((await request(db, Article, i)).notifyMs);
  timings.sort((a, b) => a - b);
  await vox.close();
  await drop();
  return { p50: quantile(timings, 0.5), p99: quantile(timings, 0.99) };
}
