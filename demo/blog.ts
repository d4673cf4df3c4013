import { sql, type Generated, type Kysely, type Selectable, type Transaction } from 'kysely';
import * as z from 'zod';
import type { ActivityPub } from '../src/activitypub/index.ts';
import { contact, type Vox } from '../src/index.ts';
import { newToken } from './auth.ts';
import { escapeHtml } from './html.ts';

/** The blog's own tables; they live in the same SQLite database as Vox's `vox_` tables. */
export interface BlogDatabase {
  blog_meta: { key: string; value: string };
  blog_users: { id: Generated<number>; username: string; name: string; email: string; password_hash: string };
  blog_sessions: { key: string; user_id: number; created_at: string };
  /** `confirmed_at` is null until the subscriber follows the link of the confirmation email (double opt-in). */
  blog_subscribers: { id: Generated<number>; name: string; email: string; token: string; created_at: string; confirmed_at: string | null };
  blog_articles: { slug: string; title: string; body: string; author_id: number; created_at: string };
  blog_comments: { id: Generated<number>; article_slug: string; subscriber_id: number | null; poster: string; body: string; created_at: string };
}

export type BlogDb = Kysely<BlogDatabase> | Transaction<BlogDatabase>;

export interface User {
  id: number;
  /** The fediverse handle: `author` in `@author@host`. */
  username: string;
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
  createdAt: string;
  author: User;
}
export interface Comment {
  id: number;
  poster: string;
  body: string;
  createdAt: string;
  article: Article;
}

/** The seeded author, who can post articles (and reach the admin). */
export const AUTHOR = { username: 'author', name: 'Alan Author', email: 'author@example.org', password: 'password' } as const;
export const SUBSCRIBER = { name: 'Sam Subscriber', email: 'sam@example.org' } as const;
export const SITE_CONTACT = { name: 'Site admin', email: 'admin@example.org' } as const;

/** Creates the blog's tables when they are missing; safe to run at every start. */
export async function createBlogTables(db: Kysely<BlogDatabase>): Promise<void> {
  await db.schema.createTable('blog_meta').ifNotExists().addColumn('key', 'text', (c) => c.primaryKey()).addColumn('value', 'text', (c) => c.notNull()).execute();
  await db.schema
    .createTable('blog_users')
    .ifNotExists()
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .execute();
  // A database of an earlier demo has users without a username: the seeded author gets theirs, others `user<id>`.
  const userColumns = (await db.introspection.getTables()).find((t) => t.name === 'blog_users')?.columns ?? [];
  if (!userColumns.some((c) => c.name === 'username')) {
    await db.schema.alterTable('blog_users').addColumn('username', 'text').execute();
    await db.updateTable('blog_users').set({ username: sql<string>`case when email = ${AUTHOR.email} then ${AUTHOR.username} else 'user' || id end` }).execute();
    await db.schema.createIndex('blog_users_username').unique().on('blog_users').column('username').execute();
  }
  await db.schema
    .createTable('blog_sessions')
    .ifNotExists()
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('blog_users.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('blog_subscribers')
    .ifNotExists()
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('token', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('confirmed_at', 'text')
    .execute();
  // Subscribers of an earlier demo, which had no confirmation, count as confirmed when they subscribed.
  const subscriberColumns = (await db.introspection.getTables()).find((t) => t.name === 'blog_subscribers')?.columns ?? [];
  if (!subscriberColumns.some((c) => c.name === 'confirmed_at')) {
    await db.schema.alterTable('blog_subscribers').addColumn('confirmed_at', 'text').execute();
    await db.updateTable('blog_subscribers').set({ confirmed_at: sql<string>`created_at` }).execute();
  }
  await db.schema
    .createTable('blog_articles')
    .ifNotExists()
    .addColumn('slug', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('author_id', 'integer', (c) => c.notNull().references('blog_users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('blog_comments')
    .ifNotExists()
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('article_slug', 'text', (c) => c.notNull().references('blog_articles.slug').onDelete('cascade'))
    .addColumn('subscriber_id', 'integer', (c) => c.references('blog_subscribers.id').onDelete('set null'))
    .addColumn('poster', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

type UserRow = Selectable<BlogDatabase['blog_users']>;

/** Rows where one of the columns contains `query`, in any case (instr needs no escaping of % and _). */
function containing(query: string, ...columns: string[]) {
  const needle = query.trim().toLowerCase();
  return sql<boolean>`(${sql.join(columns.map((column) => sql`instr(lower(${sql.ref(column)}), ${needle}) > 0`), sql` or `)})`;
}
const toUser = (row: UserRow): User => ({ id: row.id, username: row.username, name: row.name, email: row.email, passwordHash: row.password_hash });

/** Reads and writes of the blog's data. Every method takes the database or a transaction. */
export const blogData = {
  async usersByIds(db: BlogDb, ids: readonly number[]): Promise<User[]> {
    if (ids.length === 0) return [];
    return (await db.selectFrom('blog_users').selectAll().where('id', 'in', ids).execute()).map(toUser);
  },

  async userByUsername(db: BlogDb, username: string): Promise<User | undefined> {
    const row = await db.selectFrom('blog_users').selectAll().where('username', '=', username).executeTakeFirst();
    return row && toUser(row);
  },

  async userByEmail(db: BlogDb, email: string): Promise<User | undefined> {
    const row = await db.selectFrom('blog_users').selectAll().where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
    return row && toUser(row);
  },

  async userBySession(db: BlogDb, key: string): Promise<User | undefined> {
    const row = await db.selectFrom('blog_sessions').innerJoin('blog_users', 'blog_users.id', 'blog_sessions.user_id').selectAll('blog_users').where('blog_sessions.key', '=', key).executeTakeFirst();
    return row && toUser(row);
  },

  /** Subscribers who confirmed their address: only they get articles. */
  async confirmedSubscribers(db: BlogDb): Promise<Subscriber[]> {
    return db.selectFrom('blog_subscribers').select(['id', 'name', 'email', 'token']).where('confirmed_at', 'is not', null).orderBy('id').execute();
  },

  /** Marks a subscriber confirmed; undefined when the token is unknown or was confirmed already. */
  async confirmSubscriber(db: BlogDb, token: string): Promise<Subscriber | undefined> {
    return db.updateTable('blog_subscribers').set({ confirmed_at: new Date().toISOString() }).where('token', '=', token).where('confirmed_at', 'is', null).returning(['id', 'name', 'email', 'token']).executeTakeFirst();
  },

  /** The secret that signs the preference center's links, made at the first start and kept with the data. */
  async preferenceSecret(db: BlogDb): Promise<string> {
    await db.insertInto('blog_meta').values({ key: 'preference_secret', value: newToken() }).onConflict((oc) => oc.column('key').doNothing()).execute();
    const row = await db.selectFrom('blog_meta').select('value').where('key', '=', 'preference_secret').executeTakeFirstOrThrow();
    return row.value;
  },

  async subscribersByIds(db: BlogDb, ids: readonly number[]): Promise<Subscriber[]> {
    if (ids.length === 0) return [];
    return db.selectFrom('blog_subscribers').select(['id', 'name', 'email', 'token']).where('id', 'in', ids).execute();
  },

  /** Up to 50 subscribers whose name or email contains `query` (any case), newest first: the admin's search. */
  async searchSubscribers(db: BlogDb, query: string): Promise<Subscriber[]> {
    return db.selectFrom('blog_subscribers').select(['id', 'name', 'email', 'token']).where(containing(query, 'name', 'email')).orderBy('id', 'desc').limit(50).execute();
  },

  async searchUsers(db: BlogDb, query: string): Promise<User[]> {
    return (await db.selectFrom('blog_users').selectAll().where(containing(query, 'name', 'email')).orderBy('id').limit(50).execute()).map(toUser);
  },

  async searchArticles(db: BlogDb, query: string): Promise<Article[]> {
    const rows = await db.selectFrom('blog_articles').select('slug').where(containing(query, 'title', 'body')).orderBy('created_at', 'desc').limit(50).execute();
    return this.articlesBySlugs(db, rows.map((r) => r.slug));
  },

  async searchComments(db: BlogDb, query: string): Promise<Comment[]> {
    return this.comments(db, await db.selectFrom('blog_comments').selectAll().where(containing(query, 'poster', 'body')).orderBy('id', 'desc').limit(50).execute());
  },

  async subscriberByToken(db: BlogDb, token: string): Promise<Subscriber | undefined> {
    return db.selectFrom('blog_subscribers').select(['id', 'name', 'email', 'token']).where('token', '=', token).executeTakeFirst();
  },

  async articlesBySlugs(db: BlogDb, slugs?: readonly string[]): Promise<Article[]> {
    if (slugs?.length === 0) return [];
    let query = db.selectFrom('blog_articles').selectAll().orderBy('created_at', 'desc').orderBy('slug');
    if (slugs) query = query.where('slug', 'in', slugs);
    const rows = await query.execute();
    const authors = new Map((await this.usersByIds(db, [...new Set(rows.map((r) => r.author_id))])).map((u) => [u.id, u]));
    return rows.flatMap((r) => {
      const author = authors.get(r.author_id);
      return author ? [{ slug: r.slug, title: r.title, body: r.body, createdAt: r.created_at, author }] : [];
    });
  },

  async commentsByIds(db: BlogDb, ids: readonly number[]): Promise<Comment[]> {
    if (ids.length === 0) return [];
    return this.comments(db, await db.selectFrom('blog_comments').selectAll().where('id', 'in', ids).execute());
  },

  async commentsOn(db: BlogDb, article: Article): Promise<Comment[]> {
    const rows = await db.selectFrom('blog_comments').selectAll().where('article_slug', '=', article.slug).orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, poster: r.poster, body: r.body, createdAt: r.created_at, article }));
  },

  async commentCounts(db: BlogDb): Promise<Map<string, number>> {
    const rows = await db.selectFrom('blog_comments').select(['article_slug', db.fn.countAll<number>().as('count')]).groupBy('article_slug').execute();
    return new Map(rows.map((r) => [r.article_slug, Number(r.count)]));
  },

  async comments(db: BlogDb, rows: readonly Selectable<BlogDatabase['blog_comments']>[]): Promise<Comment[]> {
    const articles = new Map((await this.articlesBySlugs(db, [...new Set(rows.map((r) => r.article_slug))])).map((a) => [a.slug, a]));
    return rows.flatMap((r) => {
      const article = articles.get(r.article_slug);
      return article ? [{ id: r.id, poster: r.poster, body: r.body, createdAt: r.created_at, article }] : [];
    });
  },

  /** A URL-friendly slug from the title, unique among the articles (and never `new`, a page of its own). */
  async freeSlug(db: BlogDb, title: string): Promise<string> {
    const base =
      title
        // Markup typed into a title is not part of its words: `<b>Bold</b> news` is bold-news.
        .replace(/<\/?[a-z][^<>]*>/gi, ' ')
        .normalize('NFKD')
        .replace(/[\u0300-\u036f]/g, '')
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 60)
        .replace(/-+$/, '') || 'article';
    const taken = new Set((await db.selectFrom('blog_articles').select('slug').where('slug', 'like', `${base}%`).execute()).map((r) => r.slug));
    taken.add('new');
    let slug = base;
    for (let n = 2; taken.has(slug); n++) slug = `${base}-${n}`;
    return slug;
  },
};

/** The author's contact card, attached to "new article" emails. */
export function vcardOf(user: User): string {
  const text = (value: string) => value.replace(/[\\,;]/g, (c) => `\\${c}`).replace(/\r?\n/g, '\\n');
  return ['BEGIN:VCARD', 'VERSION:4.0', `FN:${text(user.name)}`, `EMAIL:${text(user.email)}`, 'END:VCARD', ''].join('\r\n');
}

const userSchema = z.object({ id: z.number(), username: z.string(), name: z.string(), email: z.string() });
const subscriberSchema = z.object({ id: z.number(), name: z.string(), email: z.string(), token: z.string() });
const articleSchema = z.object({ slug: z.string(), title: z.string(), body: z.string(), createdAt: z.string(), author: userSchema });
const commentSchema = z.object({ id: z.number(), poster: z.string(), body: z.string(), createdAt: z.string(), article: articleSchema });

/**
 * Declares the blog's notifications, channels, contacts and attachments, as the seed's demo does:
 * a new article goes to every subscriber, a comment to the article's author (not the commenter),
 * a new subscriber to the site contacts. Users are ActivityPub actors (`/users/1`, handle
 * `@author`), so a comment also lands in the author's in-app inbox and, as the author's post, with
 * the author's followers.
 */
export function registerBlogModels(vox: Vox, db: Kysely<BlogDatabase>, ap: ActivityPub, options: { readonly commentDigestMs: number }) {
  const ids = (keys: readonly string[]) => keys.map(Number);

  const User = vox.model('auth.user', {
    label: 'User',
    id: (u: User) => u.id,
    load: (keys) => blogData.usersByIds(db, ids(keys)),
    search: (query) => blogData.searchUsers(db, query),
    display: (u) => `${u.name} <${u.email}>`,
    schema: userSchema, // templates never see passwordHash
    // The profile page, at the actor's IRI: browsers get the page, ActivityPub clients the actor.
    url: (u) => `/users/${u.id}`,
    // The seed's actors[User].set_regex(r'^users/(?P<username>[0-9]+)/$'), as a URI template: the
    // IRI keeps the id, which never changes; people find the author by the username.
    actor: {
      path: '/users/{identifier}',
      identifier: (u) => String(u.id),
      find: async (identifier) => (/^\d+$/.test(identifier) ? (await blogData.usersByIds(db, [Number(identifier)]))[0] : undefined),
      handle: (u) => u.username,
      findByHandle: (username) => blogData.userByUsername(db, username),
      name: (u) => u.name,
      summary: (u) => `<p>${escapeHtml(u.name)} writes the Vox demo blog.</p>`,
    },
    channels: { self: true },
    contacts: { email: (u) => contact(u.name, 'email', u.email), activity: (u) => ap.contact('auth.user', u), 'in-app': (u) => contact(u.name, 'in-app', `user:${u.id}`) },
    attachments: { vcard: { label: 'Contact info', mime: 'text/vcard', data: (u) => vcardOf(u) } },
  });

  const Subscriber = vox.model('blog.subscriber', {
    id: (s: Subscriber) => s.id,
    load: (keys) => blogData.subscribersByIds(db, ids(keys)),
    search: (query) => blogData.searchSubscribers(db, query),
    display: (s) => `${s.name} <${s.email}>`,
    schema: subscriberSchema,
    notifications: {
      created: 'Somebody subscribed to the blog',
      // Double opt-in: sent to the new address itself, which nobody can opt out of.
      confirm: { description: 'Confirm a new subscription', required: true, category: { key: 'subscription', label: 'Your subscription' } },
    },
    channels: { self: true },
    contacts: { email: (s) => contact(s.name, 'email', s.email) },
  });

  const Article = vox.model('blog.article', {
    id: (a: Article) => a.slug,
    url: (a) => `/articles/${encodeURIComponent(a.slug)}`,
    load: (keys) => blogData.articlesBySlugs(db, keys),
    search: (query) => blogData.searchArticles(db, query),
    display: (a) => a.title,
    schema: articleSchema,
    notifications: { created: { description: 'A new article was published', actor: User, category: { key: 'newsletter', label: 'New articles' } } },
    channels: {
      subscribers: { label: 'Subscribers', recipients: Subscriber, resolve: () => blogData.confirmedSubscribers(db) },
      author: { label: 'Author', recipients: User, resolve: (a) => [a.author] },
    },
    relations: { author: User },
  });

  const Comment = vox.model('blog.comment', {
    id: (c: Comment) => c.id,
    url: (c) => `/articles/${encodeURIComponent(c.article.slug)}#comment-${c.id}`,
    // Activities about a comment carry it as a Note, which is what Mastodon shows.
    toActivity: (c) => ({ type: 'Note', name: `${c.poster} on ${c.article.title}`, content: escapeHtml(c.body), published: c.createdAt }),
    load: (keys) => blogData.commentsByIds(db, ids(keys)),
    search: (query) => blogData.searchComments(db, query),
    display: (c) => `${c.poster} on ${c.article.title}`,
    schema: commentSchema,
    // Comments are public on the blog: the author's post about one is too, but kept out of public timelines.
    // Comments on one article within the window reach its author as one digest email (the in-app and
    // activity templates turn the digest off for themselves: they show each comment at once).
    notifications: {
      posted: {
        description: 'A comment was posted on an article',
        activityVisibility: 'unlisted',
        ...(options.commentDigestMs > 0 ? { digest: { window: options.commentDigestMs, key: ({ object }: { object: unknown }) => (object as Comment).article.slug, items: { keep: 'first' as const, count: 5 } } } : {}),
      },
    },
    channels: {
      articleAuthor: { label: 'Article author', recipients: User, resolve: (c) => [c.article.author] },
    },
    relations: { article: Article },
  });

  return { User, Subscriber, Article, Comment };
}

export type BlogModels = ReturnType<typeof registerBlogModels>;
