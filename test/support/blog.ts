import * as z from 'zod';
import { contact, createVox, type DatabaseOptions, type Vox } from '../../src/index.ts';
import { htmlEmail, markdownEmail, templateEmail, type MailTransport } from '../../src/backends/email/index.ts';

/** The seed's demo blog, as plain data, registered with Vox through the public API. */
export interface User {
  id: number;
  name: string;
  email: string;
  passwordHash: string;
}
export interface Subscriber {
  id: number;
  name: string;
  email: string;
  token: string;
}
export interface Article {
  slug: string;
  title: string;
  body: string;
  author: User;
}
export interface Comment {
  id: number;
  article: Article;
  poster: string;
  body: string;
}

const userSchema = z.object({ id: z.number(), name: z.string(), email: z.string() });
const subscriberSchema = z.object({ id: z.number(), name: z.string(), email: z.string(), token: z.string() });
const articleSchema = z.object({ slug: z.string(), title: z.string(), body: z.string(), author: userSchema });
const commentSchema = z.object({ id: z.number(), poster: z.string(), body: z.string(), article: articleSchema });

export function vcardOf(user: User): string {
  return ['BEGIN:VCARD', 'VERSION:4.0', `FN:${user.name}`, `EMAIL:${user.email}`, 'END:VCARD', ''].join('\r\n');
}

export function createBlog<DB>(database: DatabaseOptions<DB>, transport: MailTransport) {
  const data = {
    users: [{ id: 1, name: 'Alan Author', email: 'author@example.org', passwordHash: 'secret-hash' }] as User[],
    subscribers: [] as Subscriber[],
    articles: [] as Article[],
    comments: [] as Comment[],
  };
  const vox: Vox = createVox({
    database,
    backends: [
      htmlEmail({ transport, from: '"Vox Blog" <blog@example.org>' }),
      markdownEmail({ transport, from: 'blog@example.org' }),
      templateEmail({ transport, from: 'blog@example.org' }),
    ],
    site: { baseUrl: 'http://blog.test', name: 'Vox Blog' },
  });

  const User = vox.model('auth.user', {
    label: 'User',
    id: (u: User) => u.id,
    load: (ids) => data.users.filter((u) => ids.includes(String(u.id))),
    search: (query) => data.users.filter((u) => u.name.toLowerCase().includes(query.toLowerCase())),
    display: (u) => u.name,
    schema: userSchema,
    channels: { self: true },
    contacts: { email: (u) => contact(u.name, 'email', u.email) },
    attachments: { vcard: { label: 'Contact info', mime: 'text/vcard', data: (u) => vcardOf(u) } },
  });

  const Subscriber = vox.model('blog.subscriber', {
    id: (s: Subscriber) => s.id,
    load: (ids) => data.subscribers.filter((s) => ids.includes(String(s.id))),
    search: (query) => data.subscribers.filter((s) => `${s.name} ${s.email}`.toLowerCase().includes(query.toLowerCase())),
    display: (s) => `${s.name} <${s.email}>`,
    schema: subscriberSchema,
    notifications: { created: 'Somebody subscribed to the blog' },
    channels: { self: true },
    contacts: { email: (s) => contact(s.name, 'email', s.email) },
  });

  const Article = vox.model('blog.article', {
    id: (a: Article) => a.slug,
    load: (ids) => data.articles.filter((a) => ids.includes(a.slug)),
    search: (query) => data.articles.filter((a) => a.title.toLowerCase().includes(query.toLowerCase())),
    display: (a) => a.title,
    schema: articleSchema,
    notifications: {
      created: { description: 'A new article was published', actor: User, category: { key: 'newsletter', label: 'Newsletter' }, defaults: { email: true } },
    },
    channels: {
      subscribers: { label: 'Subscribers', recipients: Subscriber, resolve: () => data.subscribers },
      author: { label: 'Author', recipients: User, resolve: (a) => [a.author] },
    },
    relations: { author: User },
  });

  const Comment = vox.model('blog.comment', {
    id: (c: Comment) => c.id,
    load: (ids) => data.comments.filter((c) => ids.includes(String(c.id))),
    schema: commentSchema,
    notifications: { posted: 'A comment was posted on an article' },
    channels: {
      articleAuthor: { label: 'Article author', recipients: User, resolve: (c) => [c.article.author] },
    },
    relations: { article: Article },
  });

  return { vox, data, models: { User, Subscriber, Article, Comment } };
}

/** The seed's templates and site contact. */
export async function seedBlog(vox: Vox): Promise<void> {
  await vox.templates.save({
    notification: 'blog.article.created',
    backend: 'email-html',
    recipients: ['c:subscribers'],
    subject: 'New article: {{ object.title }}',
    content:
      '<p>Hi {{ recipient.name }},</p>\n<p>{{ actor.name }} has posted <a href="{{ site.baseUrl }}/articles/{{ object.slug }}?token={{ recipient.token }}">{{ object.title }}</a>.</p>',
    attachments: ['object.author.vcard'],
  });
  await vox.templates.save({
    notification: 'blog.comment.posted',
    backend: 'email-html',
    recipients: ['c:articleAuthor'],
    subject: 'New comment on {{ object.article.title }}',
    content: '<p>Hi {{ recipient.name }},</p>\n<p>{{ object.poster }} has posted a comment on your article {{ object.article.title }}:</p>\n<blockquote>{{ object.body }}</blockquote>',
  });
  await vox.templates.save({
    notification: 'blog.subscriber.created',
    backend: 'email-html',
    recipients: ['si'],
    subject: 'New subscriber: {{ object.name }}',
    content: '<p>Dear {{ recipient.name }},</p>\n<p>{{ object.name }} ({{ object.email }}) subscribed to {{ site.name }}.</p>',
  });
  await vox.siteContacts.save({ name: 'Site admin', protocol: 'email', address: 'admin@example.org' });
}
