// One benchmark scenario per process, so that its CPU time and peak RSS are its own. Prints one
// JSON line: the scenario's results, with the process's CPU seconds and peak RSS.
//   node bench/scenario.ts <kind> <dialect|-> <count> <smtp port>
// Each kind loads only what it runs: the baseline's process loads Nodemailer, not Vox.
import type { Sink } from './scenarios/shared.ts';

const [kind = '', dialect = 'sqlite', countText = '0', portText = '0'] = process.argv.slice(2);
const count = Number(countText);
const port = Number(portText);

const plain = (sink: Sink) => async () => (await import('./scenarios/baseline.ts')).baseline(count, port, sink);
const vox = (sink: Sink) => async () => (await import('./scenarios/vox.ts')).fanout(dialect, count, port, sink);
const kinds: Record<string, () => Promise<Record<string, number>>> = {
  baseline: plain('smtp'),
  vox: vox('smtp'),
  'notify-load': async () => (await import('./scenarios/notify.ts')).notifyUnderLoad(dialect, count, port),
  'notify-load-elsewhere': async () => (await import('./scenarios/notify.ts')).notifyUnderLoadElsewhere(dialect, count, port),
  'notify-worker': async () => (await import('./scenarios/notify.ts')).notifyWorker(dialect, count, port),
  'notify-quiet': async () => (await import('./scenarios/notify.ts')).notifyQuiet(dialect, count),
  'vox-prefs-none': async () => (await import('./scenarios/preferences.ts')).fanoutWithPreferences(dialect, count, port, 'none'),
  'vox-prefs-in': async () => (await import('./scenarios/preferences.ts')).fanoutWithPreferences(dialect, count, port, 'in'),
  'vox-prefs-out': async () => (await import('./scenarios/preferences.ts')).fanoutWithPreferences(dialect, count, port, 'out'),
  hostile: async () => (await import('./scenarios/hostile.ts')).hostileFanOut(dialect, count, port),
  digests: async () => (await import('./scenarios/digests.ts')).digestFanIn(dialect, count, port),
  'inbox-streams': async () => (await import('./scenarios/inbox.ts')).inboxStreams(dialect, count),
  // Where the CPU goes: the same work without SMTP.
  'baseline-stream': plain('stream'),
  'vox-stream': vox('stream'),
  'vox-none': vox('none'),
};
const work = kinds[kind];
if (!work) throw new Error(`unknown scenario ${kind}; one of ${Object.keys(kinds).join(', ')}`);
const result = await work();
const usage = process.resourceUsage();
process.stdout.write(`${JSON.stringify({ ...result, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6, peakRssMb: usage.maxRSS / 1024 })}\n`);
process.exit(0);
