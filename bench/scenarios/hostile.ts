// A hostile template in the newsletter: besides the newsletter, the notification has two templates a
// staff member wrote to hurt: the 3000 × 3000 loop (it reads no recipient, so it renders
// once per fan-out) and the same loop reading the recipient (it would render for each one). The
// host's event-loop delay is measured from notify() until every newsletter is sent and the hostile
// messages have failed; default options and limits, the in-process worker, SMTP to the sink.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { MailTransport } from '../../src/backends/email/index.ts';
import { ARTICLE, transportFor } from './shared.ts';
import { blog, database } from './vox.ts';

export const HOSTILE = [
  '{% for i in (1..3000) %}{% for j in (1..3000) %}{% endfor %}{% endfor %}Done.',
  '{% for i in (1..3000) %}{% for j in (1..3000) %}{% if recipient.name == "x" %}x{% endif %}{% endfor %}{% endfor %}Done, {{ recipient.name }}.',
];

export async function hostileFanOut(dialect: string, count: number, port: number): Promise<Record<string, number>> {
  const { db, drop } = await database(dialect);
  const transport = transportFor('smtp', port);
  const { vox, Article } = await blog(db, transport as MailTransport, count);
  for (const content of HOSTILE) {
    await vox.templates.save({ notification: 'blog.article.created', backend: 'email-html', recipients: ['c:subscribers'], subject: 'Stats', content });
  }
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const started = performance.now();
  const ticket = await Article.notify(ARTICLE, 'created');
  const result = await ticket.settled();
  const seconds = (performance.now() - started) / 1000;
  delay.disable();
  const counts = { sent: 0, failed: 0, other: 0 };
  for (const m of result.messages) counts[m.status === 'sent' ? 'sent' : m.status === 'failed' ? 'failed' : 'other']++;
  await vox.close();
  transport.close();
  await drop();
  if (counts.sent + counts.failed !== count * (HOSTILE.length + 1) || counts.sent < count) throw new Error(`hostile: ${counts.sent} sent and ${counts.failed} failed of ${count * (HOSTILE.length + 1)}`);
  return { seconds, ...counts, loopP99: delay.percentile(99) / 1e6, loopMax: delay.max / 1e6 };
}
