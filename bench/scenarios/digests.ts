// Digests: `count` events into DIGESTS digests. A notification with a digest (a window longer than
// the run, so that nothing closes while events arrive) goes to DIGESTS subscribers, issued
// count / DIGESTS times: every issue adds one event to each subscriber's digest. Timed: the events
// into their digests (from the first notify() until every issue is fanned out), then closing every
// digest into one message and sending it to the sink. Default options, the in-process worker.
import { sql } from 'kysely';
import type { MailTransport } from '../../src/backends/email/index.ts';
import type { Vox } from '../../src/index.ts';
import { createVox, htmlEmail } from './package.ts';
import { FROM, subscriber, transportFor, type Subscriber } from './shared.ts';
import { database } from './vox.ts';

export const DIGESTS = 1000;
const DIGEST = '<p>Hi {{ recipient.name }}, {{ digest.count }} comments on {{ object.title }}:</p><ul>{% for item in digest.items %}<li>{{ item.target.text }}</li>{% endfor %}</ul>';

export async function digestFanIn(dialect: string, count: number, port: number): Promise<Record<string, number>> {
  const { db, drop } = await database(dialect);
  const transport = transportFor('smtp', port);
  // An hour's window, closed by hand once every event is in: `maxItems` would close digests as they
  // fill, mixing the two timings.
  const window = 3_600_000;
  const vox: Vox = createVox({ database: db, backends: [htmlEmail({ transport: transport as MailTransport, from: FROM })] });
  const Subscribers = vox.model('blog.subscriber', { id: (s: Subscriber) => s.id, contacts: { email: (s) => ({ name: s.name, protocol: 'email', address: s.email }) } });
  vox.model('blog.comment', { id: (c: { id: number; text: string }) => c.id });
  const Articles = vox.model('blog.article', {
    id: (a: { slug: string; title: string }) => a.slug,
    notifications: { commented: { description: 'A comment', target: 'blog.comment', digest: { window, key: 'object' } } },
    channels: {
      subscribers: {
        recipients: Subscribers,
        async *resolve() {
          for (let i = 0; i < DIGESTS; i++) yield subscriber(i);
        },
      },
    },
  });
  await vox.migrate();
  await vox.sync();
  await vox.templates.save({ notification: 'blog.article.commented', backend: 'email-html', recipients: ['c:subscribers'], subject: 'Comments on {{ object.title }}', content: DIGEST });
  const article = { slug: 'spring', title: 'Spring news' };
  const issues = Math.ceil(count / DIGESTS);
  const started = performance.now();
  const tickets = [];
  for (let i = 0; i < issues; i++) tickets.push(await Articles.notify(article, 'commented', { target: { id: i, text: `Comment ${i}` } }));
  for (const ticket of tickets) await ticket.settled();
  const intoDigests = (performance.now() - started) / 1000;
  // Every digest due now, as if its window had ended: the worker's sweep closes them.
  await sql`update vox_digests set due_at = ${new Date().toISOString()}`.execute(db);
  const closing = performance.now();
  for (;;) {
    const sent = await vox.messages.list({ notification: 'blog.article.commented', status: 'sent', limit: DIGESTS + 1 });
    if (sent.length >= DIGESTS) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const closeSeconds = (performance.now() - closing) / 1000;
  await vox.close();
  transport.close();
  await drop();
  return { events: issues * DIGESTS, digests: DIGESTS, intoDigestsSeconds: intoDigests, eventsPerSecond: (issues * DIGESTS) / intoDigests, closeSeconds, sent: DIGESTS };
}
