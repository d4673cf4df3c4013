// What the baseline and Vox share: the newsletter, its subscribers, the transports. Imports
// nothing of Vox, so that the baseline's process loads Nodemailer alone.
import nodemailer from 'nodemailer';
import { onPostgres as runOnPostgres } from '../../test/support/databases.ts';

export const postgresUrl = process.env.VOX_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Runs one statement on PostgreSQL on a connection of its own (creating and dropping a run's schema). */
export const onPostgres = (statement: string): Promise<void> => runOnPostgres(postgresUrl, statement);

export const FROM = 'blog@example.org';

/**
 * Where messages go: `smtp`, Nodemailer's pooled SMTP transport to the sink (`pool: true,
 * maxConnections: 5`, otherwise Nodemailer's defaults); `stream`, Nodemailer's stream transport,
 * which builds each MIME source and sends nothing; `none`, a plain `sendMail` that accepts every
 * message at once (Vox then hands it the message's fields and builds no MIME source).
 */
export type Sink = 'smtp' | 'stream' | 'none';

export function transportFor(sink: Sink, port: number) {
  if (sink === 'smtp') return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: 5 });
  if (sink === 'stream') return nodemailer.createTransport({ streamTransport: true, buffer: true });
  return { sendMail: async () => ({}), close() {} };
}

export interface Subscriber {
  readonly id: number;
  readonly name: string;
  readonly email: string;
  /** A per-recipient token, as an unsubscribe or tracking link carries. */
  readonly token: string;
}
export const subscriber = (i: number): Subscriber => ({
  id: i,
  name: `Subscriber ${i}`,
  email: `s${i}@example.org`,
  token: `${(Math.imul(i + 1, 2654435761) >>> 0).toString(16).padStart(8, '0')}${i.toString(36)}`,
});

export const ARTICLE = { slug: 'spring-news', title: 'Spring news' } as const;
export const SUBJECT = 'New: {{ object.title }}';

const NOTES = ['More soon.', 'New posts.', 'Read on.', 'Tell a friend.', 'See you.', 'Stay tuned.', 'Enjoy.', 'A tip.', 'Short one.'];
/** The newsletter's paragraphs, as a user writes them: short, a few naming the article. */
const PARAGRAPHS = Array.from({ length: 60 }, (_, k) => (k % 10 === 0 ? `On {{ object.title }}, part ${k / 10 + 1}.` : NOTES[(k % 10) - 1]!));
/**
 * The newsletter's Liquid template (about 1 KB once rendered): a greeting with the recipient's
 * name, a link with the recipient's token, and 60 short paragraphs.
 */
export const NEWSLETTER = [
  '<p>Hi {{ recipient.name }},</p>',
  '<p>{{ object.title }} is out: <a href="https://blog.example/articles/{{ object.slug }}?token={{ recipient.token }}">read it on the blog</a>.</p>',
  ...PARAGRAPHS.map((p) => `<p>${p}</p>`),
].join('\n');

const fill = (text: string) => text.replaceAll('{{ object.title }}', ARTICLE.title).replaceAll('{{ object.slug }}', ARTICLE.slug);
const [html0 = '', html1 = '', html2 = ''] = fill(NEWSLETTER).split(/\{\{ recipient\.(?:name|token) \}\}/);
const textBody = PARAGRAPHS.map(fill).join('\n\n');
/**
 * The message plain Nodemailer sends subscriber `s`: the newsletter's HTML (what Vox renders), and
 * a text part written by hand, both made by string concatenation around the article's fixed text.
 */
export function plainMessage(s: Subscriber) {
  const url = `https://blog.example/articles/${ARTICLE.slug}?token=${s.token}`;
  return {
    from: FROM,
    to: [{ name: s.name, address: s.email }],
    subject: fill(SUBJECT),
    html: html0 + s.name + html1 + s.token + html2,
    text: `Hi ${s.name},\n\n${ARTICLE.title} is out: read it on the blog (${url}).\n\n${textBody}`,
  };
}
