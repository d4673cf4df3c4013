// The digests part of the benchmark's report: events into digests per second, and the time to close
// and send every digest. The issue sets no target for them: figures only.
import type { Result } from './report.ts';

export interface DigestsData {
  readonly events: number;
  readonly runs: Record<string, Result>;
}

const n = (count: number) => count.toLocaleString('en');
const f = (value: number | undefined, digits = 0) => (value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits));

export function digestsVerdicts(g: DigestsData): string[] {
  return Object.entries(g.runs).map(([d, r]) => `- Digests, ${d}: ${n(r.events!)} events into ${n(r.digests!)} digests at ${f(r.eventsPerSecond)} events/s; all closed and sent in ${f(r.closeSeconds, 1)} s (no target set)`);
}

export function digestsSection(g: DigestsData): string {
  const rows = Object.entries(g.runs).map(([d, r]) => `| ${d} | ${n(r.events!)} | ${n(r.digests!)} | ${f(r.intoDigestsSeconds, 1)} | ${f(r.eventsPerSecond)} | ${f(r.closeSeconds, 1)} | ${f(r.peakRssMb)} |`);
  return `## Digests

${n(g.events)} events into 1,000 digests (bench/scenarios/digests.ts): a notification with a digest (one per article, an hour's window) goes to 1,000 subscribers, issued ${n(Math.ceil(g.events / 1000))} times, so that each issue adds one event to each subscriber's digest. Default options, the in-process worker, SMTP to the sink. *Into digests*: from the first notify() until every issue is fanned out (every event in its digest). Then every digest is made due at once (the scenario sets their close time to now, as if the window had ended) and *closed and sent* runs until all 1,000 digest emails (each listing its last 10 events) are sent.

| Database | Events | Digests | Into digests (s) | Events/s | Closed and sent (s) | Peak RSS (MB) |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

${digestsVerdicts(g).join('\n')}`;
}
