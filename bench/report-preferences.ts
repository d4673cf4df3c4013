// The preferences part of the benchmark's report: the newsletter fan-out with one subscriber in
// ten holding a stored preference (opted out, or opted in explicitly) against the same fan-out
// with no preference stored, and the target (throughput within 5%).
import type { Result } from './report.ts';

/** Rounds of the three runs, per database. */
export interface PreferencesData {
  readonly count: number;
  readonly runs: Record<string, { readonly none: Result[]; readonly in: Result[]; readonly out: Result[] }>;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const f = (value: number | undefined, digits = 0) => (value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits));
/** Each round's run against the run without preferences of its own round. */
const ratios = (runs: readonly Result[], none: readonly Result[]) => runs.map((r, i) => r.perSecond! / none[i]!.perSecond!);
const cell = (values: readonly number[], digits: number) => `${f(median(values), digits)} [${values.map((v) => f(v, digits)).join(', ')}]`;

export function preferencesVerdicts(p: PreferencesData): string[] {
  const note = p.count === 100_000 ? '' : ` (this run's N; the target is stated for 100,000)`;
  return Object.entries(p.runs).flatMap(([d, r]) => {
    const out = median(ratios(r.out, r.none));
    const opted = median(ratios(r.in, r.none));
    const cpu = (runs: readonly Result[]) => f(median(runs.map((x) => x.fanoutCpuSeconds!)) / median(r.none.map((x) => x.fanoutCpuSeconds!)), 3);
    return [
      `- Preferences, ${d}, N = ${p.count.toLocaleString('en')}${note}, 10% opted out: ${f(out, 3)} of the throughput without preferences (CPU ${cpu(r.out)} of it); target ≥ 0.95: ${out >= 0.95 ? '**meets**' : '**misses**'}`,
      `- Preferences, ${d}, 10% opted in explicitly (every message sent, only the look-ups cost): ${f(opted, 3)} of the throughput without preferences (CPU ${cpu(r.in)} of it); target ≥ 0.95: ${opted >= 0.95 ? '**meets**' : '**misses**'}`,
    ];
  });
}

export function preferencesSection(p: PreferencesData): string {
  const rows = Object.entries(p.runs).flatMap(([d, r]) => [
    `| ${d} | none stored | ${cell(r.none.map((x) => x.perSecond!), 0)} | 1 | ${cell(r.none.map((x) => x.fanoutCpuSeconds!), 1)} |`,
    `| ${d} | 10% opted in | ${cell(r.in.map((x) => x.perSecond!), 0)} | ${cell(ratios(r.in, r.none), 3)} | ${cell(r.in.map((x) => x.fanoutCpuSeconds!), 1)} |`,
    `| ${d} | 10% opted out | ${cell(r.out.map((x) => x.perSecond!), 0)} | ${cell(ratios(r.out, r.none), 3)} | ${cell(r.out.map((x) => x.fanoutCpuSeconds!), 1)} |`,
  ]);
  return `## Preferences

The newsletter to N = ${p.count.toLocaleString('en')} subscribers, as above (Vox only), three ways: no preference stored for any subscriber (as many are stored for people outside the audience, so that every run starts as warm); one subscriber in ten with a preference stored that opts in explicitly (every message is sent: what remains is the cost of reading and resolving preferences and the suppression list); and one in ten opted out (their messages are written to the log as \`skipped\` with the reason, not rendered or sent). The preferences are set through \`vox.preferences.set\` before the clock starts, at the global, category and notification levels in turn. Throughput is subscribers handled per second, from notify() to the sink's acceptance of the last message; a ratio compares a run with the run without preferences of its own round. CPU is the sender process's from notify() on (not its start-up, nor the writing of the preferences), the steadier measure on a shared machine. Medians over the rounds, each round in brackets.

| Database | Preferences | Subscribers/s | Ratio | CPU from notify() on (s) |
| --- | --- | --- | --- | --- |
${rows.join('\n')}

Target: throughput within 5% of the fan-out without preferences (ratio ≥ 0.95). In this run:

${preferencesVerdicts(p).join('\n')}`;
}
