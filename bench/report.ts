// The benchmark's report (docs/benchmarks.md): what each scenario measures, its results, and
// each target with whether this run meets it. Everything here is derived from the runs.
import { IN_FLIGHT } from './scenarios/baseline.ts';
import { ARTICLE, plainMessage, subscriber } from './scenarios/shared.ts';
import { preferencesSection, type PreferencesData } from './report-preferences.ts';
import { digestsSection, type DigestsData } from './report-digests.ts';

export type Result = Record<string, number>;
/** One size of a throughput comparison: the baseline's runs and Vox's per database, round by round. */
export interface Comparison {
  readonly count: number;
  readonly baseline: Result[];
  readonly vox: Record<string, Result[]>;
}
export interface BenchData {
  readonly command: string;
  readonly machine: string;
  readonly rounds: number;
  /** Why this run is not the default one (node flags, Vox options), or undefined when it is. */
  readonly tuned: string | undefined;
  readonly dialects: readonly string[];
  readonly postgresSkipped: boolean;
  newsletter?: Comparison[];
  latency?: Comparison & { readonly delayMs: number; readonly rounds: number };
  notify?: { readonly fanout: number; readonly rate: number; readonly seconds: number; readonly quietCalls: number; readonly load: Record<string, Result>; readonly elsewhere: Record<string, Result>; readonly quiet: Record<string, Result> };
  hostile?: { readonly count: number; readonly runs: Record<string, Result> };
  preferences?: PreferencesData;
  digests?: DigestsData;
  cpu?: { readonly count: number; readonly rows: readonly (readonly [label: string, result: Result])[] };
  inbox?: { readonly streams: number; readonly runs: Record<string, Result> };
}

export const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const n = (count: number) => count.toLocaleString('en');
const f = (value: number | undefined, digits = 0) => (value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits));
const verdict = (ok: boolean) => (ok ? '**meets**' : '**misses**');
/** Each round's Vox against the baseline of its own round. */
const ratios = (c: Comparison, dialect: string) => (c.vox[dialect] ?? []).map((r, i) => r.perSecond! / c.baseline[i]!.perSecond!);
/** Peak RSS of a sender: the highest over its rounds. */
const peak = (runs: readonly Result[]) => Math.max(...runs.map((r) => r.peakRssMb!));

function table(c: Comparison, dialects: readonly string[]): string[] {
  const row = (sender: string, runs: readonly Result[], ratio: readonly number[] | undefined) => {
    const perSecond = runs.map((r) => r.perSecond!);
    const ratioText = ratio ? `${f(median(ratio), 2)} (${ratio.map((r) => f(r, 2)).join(', ')})` : '1';
    const server = runs.every((r) => r.serverCpuSeconds !== undefined) ? f(median(runs.map((r) => r.serverCpuSeconds!)), 1) : '';
    return `| ${n(c.count)} | ${sender} | ${f(median(perSecond))} (${perSecond.map((v) => f(v)).join(', ')}) | ${ratioText} | ${f(median(runs.map((r) => r.cpuSeconds!)), 1)} | ${server} | ${f(peak(runs))} |`;
  };
  return [row('Nodemailer alone', c.baseline, undefined), ...dialects.map((d) => row(`Vox on ${d}`, c.vox[d] ?? [], ratios(c, d)))];
}
const tableHead = ['| N | Sender | Messages/s | Ratio to Nodemailer | CPU (s) | PostgreSQL server CPU (s) | Peak RSS (MB) |', '| --- | --- | --- | --- | --- | --- | --- |'];

/** Each target, with whether this run meets it; the lines of the report's summaries. */
export function verdicts(data: BenchData): { newsletter: string[]; latency: string[]; notify: string[]; hostile: string[]; inbox: string[] } {
  const out = { newsletter: [] as string[], latency: [] as string[], notify: [] as string[], hostile: [] as string[], inbox: [] as string[] };
  const sizes = data.newsletter ?? [];
  const largest = sizes.at(-1);
  const smallest = sizes[0];
  if (largest) {
    const note = largest.count === 100_000 ? '' : ` (this run's largest N; the target is stated for 100,000)`;
    for (const d of data.dialects) {
      const ratio = median(ratios(largest, d));
      out.newsletter.push(`- Throughput, ${d}, N = ${n(largest.count)}${note}: ratio ${f(ratio, 2)}, target ≥ 0.8: ${verdict(ratio >= 0.8)}`);
    }
    for (const c of sizes) {
      for (const d of data.dialects) {
        const vox = peak(c.vox[d] ?? []);
        const base = peak(c.baseline);
        out.newsletter.push(`- Memory, ${d}, N = ${n(c.count)}: Vox's peak RSS ${f(vox)} MB, the baseline's ${f(base)} MB, ${vox >= base ? `${f(vox - base)} MB more` : `${f(base - vox)} MB less`}; target ≤ 50 MB more: ${verdict(vox - base <= 50)}`);
      }
    }
    if (smallest && smallest !== largest) {
      for (const d of data.dialects) {
        const low = peak(smallest.vox[d] ?? []);
        const high = peak(largest.vox[d] ?? []);
        const growth = (high - low) / low;
        out.newsletter.push(`- Flat, ${d}: Vox's peak RSS ${f(low)} MB at N = ${n(smallest.count)}, ${f(high)} MB at N = ${n(largest.count)}, ${growth >= 0 ? '+' : ''}${f(growth * 100)}%; target ≤ +10%: ${verdict(growth <= 0.1)}`);
      }
    }
  }
  if (data.latency) {
    for (const d of data.dialects) {
      const ratio = median(ratios(data.latency, d));
      out.latency.push(`- Latency-bound, ${d}, N = ${n(data.latency.count)}: ratio ${f(ratio, 2)}, target ≥ 0.9: ${verdict(ratio >= 0.9)}`);
    }
  }
  for (const [d, r] of Object.entries(data.notify?.load ?? {})) {
    const gap = Math.max(r.fanoutGapMax!, r.fanoutLoopMax!);
    out.notify.push(`- notify() under load, ${d}: p99 ${f(r.fanoutP99, 2)} ms, target < 5 ms: ${verdict(r.fanoutP99! < 5)}`);
    out.notify.push(`- Event loop during the fan-out, ${d}: longest gap ${f(gap)} ms, target < 50 ms: ${verdict(gap < 50)}`);
  }
  for (const [d, r] of Object.entries(data.hostile?.runs ?? {})) {
    out.hostile.push(`- Hostile template, ${d}: event-loop delay p99 ${f(r.loopP99, 1)} ms, target < 50 ms: ${verdict(r.loopP99! < 50)}`);
  }
  for (const [d, r] of Object.entries(data.inbox?.runs ?? {})) {
    out.inbox.push(`- In-app inbox, ${d}: the last of ${n(r.streams!)} streams had its item ${f(r.seconds, 2)} s after notify(), target < 2 s: ${verdict(r.seconds! < 2)}`);
  }
  return out;
}

export function report(data: BenchData): string {
  const v = verdicts(data);
  const html = plainMessage(subscriber(0)).html;
  const parts: string[] = [];
  parts.push(`# Benchmarks

Generated by \`npm run bench\` (bench/run.ts); the command of this run:

    ${data.command}

Machine: ${data.machine}. Each scenario runs in a process of its own, started with ${data.tuned ? `**tuned settings: ${data.tuned}**` : "Node's default V8 flags (none given)"}, so that its CPU time and peak RSS are its own; the SMTP sink runs in the parent process, and PostgreSQL on the same machine, so that all share its cores.${data.postgresSkipped ? ' PostgreSQL was not reachable, so only SQLite was measured.' : ''}

Vox is used through its public API only (\`vox\` and \`vox/backends/email\`), as an application would: \`createVox({ database, backends: [htmlEmail({ transport, from })] })\` with ${data.tuned ? 'the options named above' : 'default options'}, the in-process worker (started by the first notify()), and a Kysely instance on a fresh SQLite file or PostgreSQL schema (\`pg\`'s default pool). Its transport is the baseline's: Nodemailer's pooled SMTP transport, 5 connections, to the sink.

The message is a newsletter of ${html.length.toLocaleString('en')} bytes of HTML once rendered: a greeting with the subscriber's name, a link with the subscriber's token, and 60 short paragraphs, some naming the article (the Liquid template is \`NEWSLETTER\` in bench/scenarios/shared.ts). Subject: "New: ${ARTICLE.title}".`);

  if (data.newsletter) {
    parts.push(`## Newsletter fan-out

One notify() of a new article, whose template goes to N subscribers: Vox renders the template for each, writes the messages to its log, generates each text part from the HTML, and sends them. The baseline is plain Nodemailer with the same pooled transport (\`pool: true, maxConnections: 5\`) sending each subscriber the same HTML and a text part written by hand, both made by string concatenation just before \`sendMail\`; it keeps at most ${n(IN_FLIGHT)} messages handed to Nodemailer and not yet sent. Both are timed from the first message handed over (the baseline) or from notify() (Vox) to the sink's acceptance of the last message, and the sink must have counted exactly N messages.

Each of the ${data.rounds} round${data.rounds > 1 ? 's' : ''} runs the baseline, then Vox on each database, back to back; a ratio compares Vox with the baseline of its own round. The table gives medians over the rounds, each round's value in brackets; CPU is the sender process's user and system time, and PostgreSQL's server CPU is that of its processes over the run; peak RSS is the sender process's, the highest of its rounds.

${[...tableHead, ...data.newsletter.flatMap((c) => table(c, data.dialects))].join('\n')}

Targets: at N = 100,000 on each database, Vox's ratio ≥ 0.8; at each N, Vox's peak RSS at most 50 MB above the baseline's; and flat: Vox's peak RSS at N = 100,000 at most 10% above its peak RSS at N = 10,000 (each the highest of its rounds). In this run:

${v.newsletter.join('\n')}`);
  }
  if (data.latency) {
    const l = data.latency;
    parts.push(`## Latency-bound sending

The same newsletter to N = ${n(l.count)} subscribers, but the sink waits ${l.delayMs} ms before answering each message's final dot, as a remote provider takes time to accept a message. With 5 connections the ceiling is ${f((5 * 1000) / l.delayMs)} messages/s for any sender; what counts is whether Vox, with its defaults, keeps enough messages in flight. Baseline: plain Nodemailer with the same pool (5 connections), up to ${n(IN_FLIGHT)} messages handed over at once. ${l.rounds} round${l.rounds > 1 ? 's' : ''}, as above.

${[...tableHead, ...table(l, data.dialects)].join('\n')}

Target: Vox ≥ 0.9 of the baseline. In this run:

${v.latency.join('\n')}`);
  }
  if (data.notify) {
    const t = data.notify;
    const rows = Object.entries(t.load).map(([d, r]) => `| ${d} | ${f(r.fanoutSeconds, 1)} | ${f(r.callsInFanout)} of ${f(r.calls)} | ${f(r.fanoutP50, 2)} | ${f(r.fanoutP99, 2)} | ${f(r.fanoutMax, 1)} | ${f(r.requestP99, 2)} | ${f(r.allP99, 2)} | ${f(r.fanoutGapMax)} | ${f(r.fanoutLoopMax)} | ${f(r.fanoutLoopP99, 1)} | ${f(r.allGapMax)} |`);
    const elsewhere = Object.entries(t.elsewhere).map(([d, r]) => `| ${d} | ${f(r.fanoutSeconds, 1)} | ${f(r.callsInFanout)} of ${f(r.calls)} | ${f(r.fanoutP50, 2)} | ${f(r.fanoutP99, 2)} | ${f(r.fanoutMax, 1)} | ${f(r.fanoutLoopP99, 1)} | ${f(Math.max(r.fanoutGapMax!, r.fanoutLoopMax!))} |`);
    const quiet = Object.entries(t.quiet).map(([d, r]) => `| ${d} | ${f(r.p50, 2)} | ${f(r.p99, 2)} |`);
    parts.push(`## notify() under load

One process, as a web application runs Vox: the in-process worker with default options fans out a newsletter to ${n(t.fanout)} subscribers (SMTP to the sink) while requests arrive at ${t.rate} per second for ${t.seconds} s, on schedule whether or not earlier ones have finished. Each request opens a transaction, inserts a comment into a table of the application, calls \`Article.notify(article, 'commented', { trx })\` (whose template emails the article's author) and commits. The fan-out and the requests start together. notify() is timed alone, from the call to its promise resolving; "request" is the whole transaction. The event loop is watched two ways: a 10 ms \`setInterval\`, whose longest gap between ticks is reported, and \`perf_hooks.monitorEventLoopDelay\` at 1 ms resolution (its max and p99 of the delay past each timer).

The "during the fan-out" columns take the requests that started before Vox's issue reported every newsletter message sent (looked at once a second, as an admin page would), and the event loop over the same span; "whole run" covers all requests, and the event loop until the last request and the fan-out had finished. The histogram drops its first sample after it starts, so a block at the very start of the fan-out shows in the interval's gap only.

| Database | Fan-out (s) | Requests during it | notify() p50 (ms) | notify() p99 (ms) | notify() max (ms) | Request p99 (ms) | notify() p99, whole run (ms) | Longest interval gap (ms) | Loop delay max (ms) | Loop delay p99 (ms) | Longest gap, whole run (ms) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Targets, during the fan-out: notify() p99 < 5 ms, and the longest event-loop gap (the larger of the interval's longest gap and the histogram's max) < 50 ms. In this run:

${v.notify.join('\n')}

For comparison, the same requests with the worker in a process of its own: the web process runs no worker (\`worker: false\`), and another process on the same machine and database (\`vox.start()\` with default options, as \`vox worker\` runs) fans the newsletter out and sends it. The web process then does nothing but the requests; what remains of notify()'s time is its own work, the database's, and waiting for a core of a machine that the worker, the sink and PostgreSQL keep busy (on SQLite, also waiting for the file's write lock, which the two processes take in turn). No target applies to this row; it tells the two causes apart.

| Database | Fan-out (s) | Requests during it | notify() p50 (ms) | notify() p99 (ms) | notify() max (ms) | Loop delay p99 (ms) | Longest gap (ms) |
| --- | --- | --- | --- | --- | --- | --- | --- |
${elsewhere.join('\n')}

For comparison, notify() when quiet: ${n(t.quietCalls)} requests one after another, in a process that runs no worker (\`worker: false\`) and sends nothing.

| Database | p50 (ms) | p99 (ms) |
| --- | --- | --- |
${quiet.join('\n')}`);
  }
  if (data.hostile) {
    const h = data.hostile;
    const rows = Object.entries(h.runs).map(([d, r]) => `| ${d} | ${f(r.seconds, 1)} | ${f(r.sent)} | ${f(r.failed)} | ${f(r.loopP99, 1)} | ${f(r.loopMax)} | ${f(r.peakRssMb)} |`);
    parts.push(`## A hostile template

The newsletter to ${n(h.count)} subscribers, in a notification that also has two templates written to hurt (\`HOSTILE\` in bench/scenarios/hostile.ts): a loop of 3,000 × 3,000 turns that reads no recipient, so that it renders once per fan-out, and the same loop reading the recipient, so that it would render again for every subscriber. Default options and render limits, the in-process worker, SMTP to the sink, one process; from notify() until \`settled()\` (every newsletter sent, every hostile message sent or failed). Templates render on the render thread; the host's event-loop delay is \`perf_hooks.monitorEventLoopDelay\` at 1 ms resolution.

| Database | Settled (s) | Sent | Failed | Loop delay p99 (ms) | Loop delay max (ms) | Peak RSS (MB) |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Target: the host's event-loop delay p99 < 50 ms while the hostile templates fan out. In this run:

${v.hostile.join('\n')}`);
  }
  if (data.preferences) parts.push(preferencesSection(data.preferences));
  if (data.digests) parts.push(digestsSection(data.digests));
  if (data.inbox) {
    const rows = Object.entries(data.inbox.runs).map(([d, r]) => `| ${d} | ${n(r.streams!)} | ${f(r.openSeconds, 2)} | ${f(r.seconds, 2)} | ${f(r.heapKbPerStream, 1)} | ${f(r.rssKbPerStream, 1)} |`);
    parts.push(`## In-app inbox streams

One process serves ${n(data.inbox.streams)} open Server-Sent Events streams of \`vox.inboxHandler()\` (one recipient each, authenticated by recipient tokens; the clients run in another process and parse with eventsource-parser); then one notify() whose in-app template goes to all ${n(data.inbox.streams)} recipients. Timed from notify() until the last stream has its \`item\` event: the fan-out, the items written, the change published (LISTEN/NOTIFY on PostgreSQL, in-process on SQLite) and every stream's read and write. Memory per stream is the server's heap and RSS growth from opening the streams, after garbage collection, divided by their number.

| Database | Streams | All open (s) | notify() → last item (s) | Heap per stream (KB) | RSS per stream (KB) |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Target: the last stream has its event in under 2 s. In this run:

${v.inbox.join('\n')}`);
  }
  if (data.cpu) {
    const c = data.cpu;
    const rows = c.rows.map(([label, r]) => `| ${label} | ${f((r.cpuSeconds! * 1000) / c.count, 3)} | ${f(r.peakRssMb)} |`);
    parts.push(`## Where the CPU goes

The newsletter to ${n(c.count)} subscribers on SQLite, once each way, in processes of their own: CPU time of the process per message (start-up included), through the public APIs only. Nodemailer's stream transport builds each MIME source and sends nothing; for Vox it is a Nodemailer transport, so Vox hands it finished MIME sources as it does the SMTP transport. A plain \`sendMail\` object that accepts every message at once gets the message's fields instead, so that Vox builds no MIME source: what remains is Vox's own work (notify, fan-out with Liquid and the text part, the log's writes, claims and sent records).

| Sender and transport | CPU per message (ms) | Peak RSS (MB) |
| --- | --- | --- |
${rows.join('\n')}`);
  }
  parts.push(`Where the misses come from, and what was tried against them: [benchmark-analysis.md](benchmark-analysis.md), measured by hand. Diagnostics: \`VOX_BENCH_NODE_FLAGS=--trace-gc\` (collections and their pauses), \`VOX_BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=DIR"\`, \`VOX_BENCH_TRACE=1\` and \`VOX_BENCH_SQLLOG=1\`.

## Reading the numbers

The sender, the sink and PostgreSQL share this machine's cores, so throughput is set by CPU time per message; PostgreSQL's server CPU adds to Vox's on that database. The host is shared, and the same command varies by 10% or more from one run to the next; hence rounds, medians and ratios within a round.

Knobs for experiments, all off by default; a run with any of the first five set is reported as tuned:
\`VOX_BENCH_NODE_FLAGS\` (flags for every scenario process, e.g. \`--max-semi-space-size=8\` or \`--cpu-prof\`),
\`VOX_BENCH_CONCURRENCY\` (Vox's backend concurrency), \`VOX_BENCH_WINDOW\` (send window), \`VOX_BENCH_BATCH\` (fan-out batch), \`VOX_BENCH_LEAD\` (\`delivery.fanOutLead\`; 0 lets a fan-out run ahead of sending);
\`VOX_BENCH_ROUNDS\` (default 2), \`VOX_BENCH_LATENCY_ROUNDS\` (default 1), \`VOX_BENCH_ONLY\` (some of newsletter, latency, notify, hostile, preferences, digests, cpu, inbox; a partial run prints its report and writes no file),
\`VOX_BENCH_LATENCY_N\`, \`VOX_BENCH_INBOX_N\` (streams, default 1,000), \`VOX_BENCH_NOTIFY_FANOUT\`, \`VOX_BENCH_HOSTILE_N\`, \`VOX_BENCH_NOTIFY_RATE\`, \`VOX_BENCH_NOTIFY_SECONDS\`, \`VOX_BENCH_CPU_N\`, \`VOX_BENCH_PREFS_N\` (default 100,000), \`VOX_BENCH_DIGEST_EVENTS\` (default 100,000),
\`VOX_BENCH_POSTGRES_URL\`, \`VOX_BENCH_TRACE\` (RSS and heap each second of a fan-out) and \`VOX_BENCH_SQLLOG\` (time per statement shape).
Sizes of the newsletter fan-out are arguments: \`npm run bench -- 2000 20000\`.`);
  return `${parts.join('\n\n')}\n`;
}
