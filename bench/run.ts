// npm run bench [-- N ...]: Vox against plain Nodemailer on a newsletter fan-out (throughput,
// CPU, peak RSS), latency-bound sending, notify() under load and where the CPU goes, on SQLite and
// PostgreSQL, with Node's default flags and Vox's default options. Writes docs/benchmarks.md
// after a full run; VOX_BENCH_ONLY=newsletter,latency,notify,hostile,preferences,digests,cpu,inbox runs some parts and only prints.
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { startSmtpSink, type SmtpSink } from '../test/support/smtp-sink.ts';
import { report, verdicts, type BenchData, type Comparison, type Result } from './report.ts';
import { postgresUrl } from './scenarios/shared.ts';
import { preferencesVerdicts } from './report-preferences.ts';
import { digestsVerdicts } from './report-digests.ts';

const run = promisify(execFile);
const env = process.env;
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const counts = sizes.length > 0 ? sizes : [10_000, 100_000];
const PARTS = ['newsletter', 'latency', 'notify', 'hostile', 'preferences', 'digests', 'cpu', 'inbox'] as const;
const only = env.VOX_BENCH_ONLY ? env.VOX_BENCH_ONLY.split(/[,|\s]+/).filter(Boolean) : [...PARTS];
for (const part of only) if (!(PARTS as readonly string[]).includes(part)) throw new Error(`VOX_BENCH_ONLY: unknown part ${part}; parts are ${PARTS.join(', ')}`);
/** Rounds of the newsletter comparison: two keep a full run near 25 minutes on a 2-core machine. */
const rounds = Math.max(1, Number(env.VOX_BENCH_ROUNDS ?? 2));
const LATENCY_COUNT = Number(env.VOX_BENCH_LATENCY_N ?? 2000);
const LATENCY_DELAY_MS = 50;
const LATENCY_ROUNDS = Math.max(1, Number(env.VOX_BENCH_LATENCY_ROUNDS ?? 1));
const NOTIFY_FANOUT = Number(env.VOX_BENCH_NOTIFY_FANOUT ?? 20_000);
const QUIET_CALLS = 2000;
const HOSTILE_COUNT = Number(env.VOX_BENCH_HOSTILE_N ?? 5000);
const CPU_COUNT = Number(env.VOX_BENCH_CPU_N ?? 10_000);
const DIGEST_EVENTS = Number(env.VOX_BENCH_DIGEST_EVENTS ?? 100_000);
const PREFS_COUNT = Number(env.VOX_BENCH_PREFS_N ?? 100_000);
const INBOX_STREAMS = Number(env.VOX_BENCH_INBOX_N ?? 1000);
const nodeFlags = (env.VOX_BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);

/** What makes this run other than the default one, named in the report as tuned. */
const tuning = [
  ...(nodeFlags.length ? [`node flags \`${nodeFlags.join(' ')}\``] : []),
  ...(['VOX_BENCH_CONCURRENCY', 'VOX_BENCH_WINDOW', 'VOX_BENCH_BATCH', 'VOX_BENCH_LEAD'] as const).filter((k) => env[k]).map((k) => `${k}=${env[k]}`),
];

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * CPU seconds used so far by this machine's PostgreSQL processes, those that exited included (the
 * postmaster's children's times), from /proc; undefined where it cannot be read.
 */
async function postgresCpu(): Promise<number | undefined> {
  try {
    let ticks = 0;
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      const close = stat.lastIndexOf(')');
      if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
      // After the command: state, ppid, …; utime, stime, cutime and cstime are the 12th to 15th.
      const fields = stat.slice(close + 2).split(' ');
      ticks += [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    }
    return ticks > 0 ? ticks / 100 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs one scenario in a process of its own. With `sink`, exactly `expect` messages must reach it,
 * and a throughput run is timed from the scenario's start to the sink's acceptance of its last message.
 */
async function scenario(kind: string, dialect: string, count: number, options: { sink?: SmtpSink; expect?: (r: Result) => number; timed?: boolean } = {}): Promise<Result> {
  const { sink } = options;
  const before = sink?.delivered() ?? 0;
  const serverBefore = dialect === 'postgres' ? await postgresCpu() : undefined;
  const args = [...nodeFlags, join(import.meta.dirname, 'scenario.ts'), kind, dialect, String(count), String(sink?.port ?? 0)];
  // Room for diagnostics such as --trace-gc, which print to stdout; the result is the last line.
  const { stdout, stderr } = await run(process.execPath, args, { maxBuffer: 1 << 26 });
  // What VOX_BENCH_TRACE and VOX_BENCH_SQLLOG print, and warnings.
  if (stderr.trim()) console.error(`${kind} ${dialect} ${count}:\n${stderr.trimEnd()}`);
  const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Result;
  if (serverBefore !== undefined) {
    // Let the postmaster reap the run's backends, whose times then count as its children's.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const serverAfter = await postgresCpu();
    if (serverAfter !== undefined) result.serverCpuSeconds = serverAfter - serverBefore;
  }
  if (sink) {
    const delivered = sink.delivered() - before;
    const expected = options.expect ? options.expect(result) : count;
    if (delivered !== expected) throw new Error(`${kind} ${dialect} ${count}: the sink counted ${delivered}, not ${expected}`);
    if (options.timed ?? true) {
      result.seconds = (sink.lastDeliveryAt() - result.startedAt!) / 1000;
      result.perSecond = count / result.seconds;
    }
  }
  console.log(kind, dialect, count, JSON.stringify(result));
  return result;
}

/** Rounds of the baseline, then Vox on each database, back to back, to the same sink. */
async function compare(sink: SmtpSink, count: number, times: number, dialects: readonly string[]): Promise<Comparison> {
  const comparison: Comparison = { count, baseline: [], vox: Object.fromEntries(dialects.map((d) => [d, []])) };
  for (let round = 0; round < times; round++) {
    comparison.baseline.push(await scenario('baseline', '-', count, { sink }));
    for (const dialect of dialects) comparison.vox[dialect]!.push(await scenario('vox', dialect, count, { sink }));
  }
  return comparison;
}

// Vox runs as its users get it from npm: compiled to JavaScript (see scenarios/package.ts).
await run(process.execPath, [join(import.meta.dirname, '../node_modules/typescript/bin/tsc'), '-p', join(import.meta.dirname, '../tsconfig.build.json'), '--outDir', join(import.meta.dirname, '../.bench-dist')]);

const reachable = await postgresReachable();
const dialects = ['sqlite', ...(reachable ? ['postgres'] : [])];
const startedAt = Date.now();
const data: BenchData = {
  command: [
    ...Object.entries(env).filter(([k, value]) => k.startsWith('VOX_BENCH_') && value).map(([k, value]) => `${k}=${value}`),
    'npm run bench',
    ...(sizes.length ? ['--', ...sizes.map(String)] : []),
  ].join(' '),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node.js ${process.version}${reachable ? ', PostgreSQL on 127.0.0.1' : ''}, ${new Date().toISOString().slice(0, 10)}`,
  rounds,
  tuned: tuning.length ? tuning.join(', ') : undefined,
  dialects,
  postgresSkipped: !reachable,
};

const sink = await startSmtpSink();
if (only.includes('newsletter')) {
  data.newsletter = [];
  for (const count of counts) data.newsletter.push(await compare(sink, count, rounds, dialects));
}
if (only.includes('latency')) {
  const slow = await startSmtpSink({ replyDelayMs: LATENCY_DELAY_MS });
  data.latency = { ...(await compare(slow, LATENCY_COUNT, LATENCY_ROUNDS, dialects)), delayMs: LATENCY_DELAY_MS, rounds: LATENCY_ROUNDS };
  await slow.close();
}
if (only.includes('notify')) {
  const load: Record<string, Result> = {};
  const elsewhere: Record<string, Result> = {};
  const quiet: Record<string, Result> = {};
  for (const dialect of dialects) {
    // The fan-out, and one email per request.
    load[dialect] = await scenario('notify-load', dialect, NOTIFY_FANOUT, { sink, timed: false, expect: (r) => NOTIFY_FANOUT + r.calls! });
    elsewhere[dialect] = await scenario('notify-load-elsewhere', dialect, NOTIFY_FANOUT, { sink, timed: false, expect: (r) => NOTIFY_FANOUT + r.calls! });
    quiet[dialect] = await scenario('notify-quiet', dialect, QUIET_CALLS);
  }
  data.notify = { fanout: NOTIFY_FANOUT, rate: Number(env.VOX_BENCH_NOTIFY_RATE ?? 50), seconds: Number(env.VOX_BENCH_NOTIFY_SECONDS ?? 60), quietCalls: QUIET_CALLS, load, elsewhere, quiet };
}
if (only.includes('hostile')) {
  data.hostile = { count: HOSTILE_COUNT, runs: {} };
  for (const dialect of dialects) data.hostile.runs[dialect] = await scenario('hostile', dialect, HOSTILE_COUNT, { sink, timed: false, expect: (r) => r.sent! });
}
if (only.includes('digests')) {
  data.digests = { events: DIGEST_EVENTS, runs: {} };
  for (const dialect of dialects) data.digests.runs[dialect] = await scenario('digests', dialect, DIGEST_EVENTS, { sink, timed: false, expect: (r) => r.sent! });
}
if (only.includes('preferences')) {
  // Back to back per round: without preferences, 10% opted in explicitly, 10% opted out.
  data.preferences = { count: PREFS_COUNT, runs: {} };
  for (const dialect of dialects) {
    const runs = { none: [] as Result[], in: [] as Result[], out: [] as Result[] };
    for (let round = 0; round < rounds; round++) {
      runs.none.push(await scenario('vox-prefs-none', dialect, PREFS_COUNT, { sink }));
      runs.in.push(await scenario('vox-prefs-in', dialect, PREFS_COUNT, { sink }));
      runs.out.push(await scenario('vox-prefs-out', dialect, PREFS_COUNT, { sink, expect: (r) => r.sent! }));
    }
    data.preferences.runs[dialect] = runs;
  }
}
if (only.includes('cpu')) {
  const rows: [string, Result][] = [];
  rows.push(['Nodemailer, SMTP to the sink (the baseline)', await scenario('baseline', '-', CPU_COUNT, { sink })]);
  rows.push(['Nodemailer, stream transport (MIME built by Nodemailer, not sent)', await scenario('baseline-stream', '-', CPU_COUNT)]);
  rows.push(['Vox, SMTP to the sink', await scenario('vox', 'sqlite', CPU_COUNT, { sink })]);
  rows.push(['Vox, stream transport (MIME built by Vox, not sent)', await scenario('vox-stream', 'sqlite', CPU_COUNT)]);
  rows.push(['Vox, plain sendMail (no MIME built, nothing sent)', await scenario('vox-none', 'sqlite', CPU_COUNT)]);
  data.cpu = { count: CPU_COUNT, rows };
}
if (only.includes('inbox')) {
  data.inbox = { streams: INBOX_STREAMS, runs: {} };
  for (const dialect of dialects) data.inbox.runs[dialect] = await scenario('inbox-streams', dialect, INBOX_STREAMS);
}
await sink.close();

const text = report(data);
const full = PARTS.every((part) => only.includes(part));
if (full) await writeFile(join(import.meta.dirname, '../docs/benchmarks.md'), text);
console.log(`\n${text}`);
const summary = verdicts(data);
console.log(`Summary (${((Date.now() - startedAt) / 60_000).toFixed(1)} min${full ? ', written to docs/benchmarks.md' : ', partial run: no file written'}):`);
console.log([...summary.newsletter, ...summary.latency, ...summary.notify, ...summary.hostile, ...summary.inbox, ...(data.preferences ? preferencesVerdicts(data.preferences) : []), ...(data.digests ? digestsVerdicts(data.digests) : [])].join('\n'));
