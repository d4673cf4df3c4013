// A small blog for the unsubscribe tests: subscribers get articles (category `newsletter`) and
// security notices (required), by HTML email through a real SMTP server, and the preference
// center is served by a real HTTP server on 127.0.0.1.
import { createServer, type RequestListener, type Server } from 'node:http';
import { contact, createVox, toNodeHandler, type Backend, type DatabaseOptions, type PreferenceCenter, type PreferenceCenterOptions, type Vox } from '../../src/index.ts';

export interface Subscriber {
  readonly id: string;
  readonly name: string;
  readonly email: string;
}

export const SECRET = 'the blog secret of the unsubscribe tests, 32+ bytes';

/** The blog, its models, its preference center and where it listens. */
export interface UnsubscribeApp {
  readonly vox: Vox;
  readonly Article: ReturnType<typeof models>['Article'];
  readonly Subscriber: ReturnType<typeof models>['Subscriber'];
  readonly subscribers: Subscriber[];
  readonly center: PreferenceCenter;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  close(): Promise<void>;
}

function models(vox: Vox, subscribers: () => Subscriber[]) {
  const Subscriber = vox.model('blog.subscriber', { id: (s: Subscriber) => s.id, contacts: { email: (s) => contact(s.name, 'email', s.email) } });
  const Article = vox.model('blog.article', {
    id: (a: { id: number; title: string }) => a.id,
    notifications: {
      created: { description: 'A new article', category: { key: 'newsletter', label: 'The newsletter' } },
      security: { description: 'A security notice', category: 'security', required: true },
    },
    channels: { subscribers: { recipients: Subscriber, resolve: () => subscribers() } },
  });
  return { Subscriber, Article };
}

export async function unsubscribeApp(
  database: DatabaseOptions,
  backend: (origin: string) => Backend,
  options: { readonly secrets?: readonly string[]; readonly mailto?: string; readonly center?: PreferenceCenterOptions } = {},
): Promise<UnsubscribeApp> {
  // The server listens first, so that the site's base URL (and so the links) can name its port.
  const mounted: { handler?: RequestListener } = {};
  const server: Server = createServer((req, res) => (mounted.handler ? mounted.handler(req, res) : res.writeHead(503).end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const subscribers: Subscriber[] = [{ id: 's1', name: 'Ann', email: 'ann@example.org' }];
  const vox = createVox({
    database,
    backends: [backend(origin)],
    site: { baseUrl: origin, name: 'The blog' },
    preferenceCenter: { secrets: options.secrets ?? [SECRET], ...(options.mailto ? { mailto: options.mailto } : {}) },
  });
  const { Subscriber, Article } = models(vox, () => subscribers);
  await vox.migrate();
  await vox.sync();
  const footer = '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a> · <a href="{{ preferences_url }}">Preferences</a></p>';
  for (const codename of ['created', 'security']) {
    await vox.templates.ensure({
      key: `${codename}-email`,
      notification: `blog.article.${codename}`,
      backend: 'email-html',
      recipients: ['c:subscribers'],
      subject: '{{ object.title }}',
      content: `<p>Hello {{ recipient.name }}, {{ object.title }}.</p>${footer}`,
    });
  }
  const center = vox.preferenceCenter(options.center);
  mounted.handler = toNodeHandler(center, { hostname: '127.0.0.1' });
  return {
    vox,
    Article,
    Subscriber,
    subscribers,
    center,
    origin,
    async close() {
      await vox.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A header of a message's source, unfolded, or undefined. */
export function headerOf(raw: Buffer, name: string): string | undefined {
  const head = raw.toString('utf8').split(/\r?\n\r?\n/)[0] ?? '';
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const line = unfolded.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}
