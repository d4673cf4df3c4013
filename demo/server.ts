import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { Kysely } from 'kysely';
import { activity, type ActivityPub } from '../src/activitypub/index.ts';
// The blog keeps its tables next to Vox's in one SQLite database, so that notify() can join the
// blog's transactions; nodeSqliteDialect is the node:sqlite dialect Vox uses for { dialect: 'sqlite' }.
import { createVox, nodeSqliteDialect, type PreferenceCenter, type StaffUser, type Vox } from '../src/index.ts';
import { htmlEmail, markdownEmail, templateEmail } from '../src/backends/email/index.ts';
import { inApp } from '../src/backends/in-app.ts';

import { fediverseView, isLoopback } from './addresses.ts';
import { sessionKey } from './auth.ts';
import { blogData, createBlogTables, registerBlogModels, type BlogDatabase, type BlogModels } from './blog.ts';
import { ensureBlogTemplates, seedBlog } from './seed.ts';
import { loginRoutes, SESSION_COOKIE, type Env } from './login.ts';
import type { Html } from './html.ts';
import { Mailbox } from './mailbox.ts';
import { articlePage, indexPage, type InboxView, mailPage, messagePage, newArticlePage, profilePage, SITE_NAME, type FormValues, type MailView, type PageContext } from './pages.ts';
import { FAVICON, STYLESHEET } from './styles.ts';
import { subscriptionRoutes } from './subscriptions.ts';

/** Vox's admin UI, or anything else that answers fetch requests under /admin. */
export interface DemoAdmin {
  fetch(request: Request): Response | Promise<Response>;
}

export interface DemoOptions {
  /** A SQLite file that keeps the blog and Vox's data across restarts. @default ':memory:' */
  readonly db?: string;
  /** 0 picks a free port. @default 8000 */
  readonly port?: number;
  /** A loopback address unless `public` is set. @default '127.0.0.1' */
  readonly host?: string;
  /**
   * Allow a `host` that other machines can reach. The mail viewer shows every email, subscribers'
   * comment tokens included, to anybody who reaches it. @default false
   */
  readonly public?: boolean;
  /**
   * The blog's public address, when a proxy serves it there (links, actor IRIs and handles use it):
   * an https URL with a public host name is what a Mastodon server can follow. Needs `public`
   * unless its host is a loopback address. @default the address it listens on
   */
  readonly baseUrl?: string;
  /**
   * Comments reach the article's author as one digest email per article within this many
   * milliseconds of the first; 0 sends each comment at once. @default 30_000
   */
  readonly commentDigestMs?: number;
  /** Where the demo prints one line per email. @default console.log */
  readonly log?: (line: string) => void;
  /**
   * Mounts an admin at /admin, reachable by the logged-in author. Requests reach it unchanged
   * (their paths start with `basePath`); `staffOf(request)` is the logged-in author of a request,
   * or null, for the admin's `authorize`. Without it the demo shows no admin link.
   */
  readonly admin?: (context: { readonly vox: Vox; readonly basePath: '/admin'; readonly staffOf: (request: Request) => Promise<StaffUser | null> }) => DemoAdmin;
}

/** A running demo. */
export interface Demo {
  /** The blog's address, e.g. `http://127.0.0.1:8000`, without a trailing slash: `baseUrl` when given. */
  readonly url: string;
  /** Where the server listens, e.g. `http://127.0.0.1:8000`. */
  readonly listening: string;
  /** Every email sent since the demo started. */
  readonly mails: Mailbox;
  readonly vox: Vox;
  /** Stops the server and Vox's worker, and closes the database. */
  close(): Promise<void>;
}

/**
 * Starts the demo blog: the web server, the embedded SQLite database (seeded on first use), Vox with
 * its in-process worker, and a mailbox that captures every email.
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const host = options.host ?? '127.0.0.1';
  // Served at a public base URL, the demo is as reachable as when it listens on a public address.
  const reachableAt = options.baseUrl === undefined || isLoopback(new URL(options.baseUrl).hostname) ? host : options.baseUrl;
  if ((!isLoopback(host) || reachableAt !== host) && !options.public) {
    throw new Error(
      `refusing to listen on ${reachableAt}: the demo's mail viewer at /mail shows every email, with each subscriber's comment token, to anybody who can reach it. ` +
        'Listen on a loopback address (127.0.0.1, ::1, localhost), or pass --public (public: true) if everyone on that network may read them.',
    );
  }
  const log = options.log ?? ((line: string) => console.log(line));
  // Links in emails need the real address, known only once the server listens (port 0 picks one);
  // requests that come in before the blog is ready wait for it.
  let ready!: (app: Hono<Env>) => void;
  let failed!: (error: unknown) => void;
  const appReady = new Promise<Hono<Env>>((resolve, reject) => {
    ready = resolve;
    failed = reject;
  });
  appReady.catch(() => {});
  // The Node request rides along (Hono's env), for the client's address the login limits count by.
  const server = createAdaptorServer({ fetch: async (request, env) => (await appReady).fetch(request, env), hostname: host }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8000, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const listening = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const url = options.baseUrl?.replace(/\/+$/, '') ?? listening;
  const stopServer = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });

  const db = new Kysely<BlogDatabase>({ dialect: nodeSqliteDialect(options.db ?? ':memory:') });
  const mails = new Mailbox(log);
  const from = `"${SITE_NAME}" <blog@example.org>`;
  // ActivityPub: users are actors at /users/<id>, and the feed API serves the logged-in user's inbox.
  const ap = activity({
    authorize: async (request) => {
      const token = cookieOf(request, SESSION_COOKIE);
      const user = token ? await blogData.userBySession(db, sessionKey(token)) : undefined;
      return user && String(user.id);
    },
    onError: (error, where) => log(`activity ${where} error: ${error instanceof Error ? error.message : String(error)}`),
  });
  // The blog's tables first: they keep the secret that signs the links of the preference center.
  await createBlogTables(db);
  const vox = createVox({
    database: db,
    backends: [htmlEmail({ transport: mails.transport, from }), markdownEmail({ transport: mails.transport, from }), templateEmail({ transport: mails.transport, from }), ap.backend, inApp()],
    site: { baseUrl: url, name: SITE_NAME },
    // Unsubscribe links and the page where subscribers choose what they get, at /notifications.
    preferenceCenter: { secrets: [await blogData.preferenceSecret(db)], path: '/notifications' },
  });
  try {
    const models = registerBlogModels(vox, db, ap, { commentDigestMs: options.commentDigestMs ?? 30_000 });
    await vox.migrate();
    await vox.sync();
    await seedBlog(vox, db);
    await ensureBlogTemplates(vox);
    // Deliver what an earlier run (with --db) issued but did not finish.
    vox.start();
    const staffOf = async (request: Request): Promise<StaffUser | null> => {
      const token = /(?:^|;\s*)vox_demo_session=([^;]+)/.exec(request.headers.get('cookie') ?? '')?.[1];
      const key = token ? sessionKey(decodeURIComponent(token)) : undefined;
      const user = key ? await blogData.userBySession(db, key) : undefined;
      // The session binds the admin's CSRF token to this login: a new login gets new tokens, a logout ends them.
      return user && key ? { id: user.id, name: user.name, email: user.email, session: key } : null;
    };
    // The logged-in author manages their own notifications at /notifications/, without a link.
    const preferences = vox.preferenceCenter({
      authenticate: async (request) => {
        const token = cookieOf(request, SESSION_COOKIE);
        const user = token ? await blogData.userBySession(db, sessionKey(token)) : undefined;
        return user ? { model: 'auth.user', id: user.id } : null;
      },
    });
    ready(blogApp({ db, vox, ap, models, mails, log, baseUrl: url, preferences, admin: options.admin?.({ vox, basePath: '/admin', staffOf }) }));
  } catch (error) {
    failed(error);
    await stopServer();
    await vox.close();
    await db.destroy();
    throw error;
  }
  return {
    url,
    listening,
    mails,
    vox,
    async close() {
      await stopServer();
      await vox.close();
      await db.destroy();
    },
  };
}

function blogApp(deps: { db: Kysely<BlogDatabase>; vox: Vox; ap: ActivityPub; models: BlogModels; mails: Mailbox; log: (line: string) => void; baseUrl: string; preferences: PreferenceCenter; admin: DemoAdmin | undefined }): Hono<Env> {
  const { db, ap, models, mails, admin, preferences } = deps;
  const app = new Hono<Env>();

  const context = (c: Context<Env>): PageContext => ({ user: c.get('user'), mailCount: mails.size, admin: admin !== undefined });
  const page = (c: Context<Env>, body: Html, status: 200 | 400 | 403 | 404 | 429 | 500 = 200) => c.html(body.text, status);
  const notFound = (c: Context<Env>, what = 'There is no page here.') => page(c, messagePage(context(c), 404, 'Not found', what), 404);
  const formOf = async (c: Context<Env>): Promise<Record<string, string>> => {
    const body = await c.req.parseBody();
    return Object.fromEntries(Object.entries(body).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])));
  };
  const loginRedirect = (c: Context<Env>, next: string) => c.redirect(`/login?next=${encodeURIComponent(next)}`, 303);

  app.use(async (c, next) => {
    await next();
    // Article URLs can carry a subscriber's token: never send them to other sites as a referrer.
    c.header('Referrer-Policy', 'same-origin');
    c.header('X-Content-Type-Options', 'nosniff');
  });
  // The preference center comes before Hono's CSRF check: mail providers post one-click
  // unsubscribes without an Origin header. It checks its own tokens, origins and body sizes.
  app.use((c, next) => (c.req.path === preferences.basePath || c.req.path.startsWith(`${preferences.basePath}/`) ? preferences.fetch(c.req.raw) : next()));
  app.use(bodyLimit({ maxSize: 64 * 1024 }));
  app.use(csrf());
  // ActivityPub (actors, WebFinger, inboxes) and the inbox feed API; everything else goes on to the blog.
  app.use((c, next) =>
    ap.fetch(c.req.raw, async () => {
      await next();
      return c.res;
    }),
  );
  app.use(async (c, next) => {
    const token = getCookie(c, SESSION_COOKIE);
    c.set('user', token ? await blogData.userBySession(db, sessionKey(token)) : undefined);
    await next();
  });

  // Browsers ask for an icon on every page; without one each page logs a 404.
  const icon = (c: Context<Env>) => c.body(FAVICON, 200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'max-age=86400' });
  app.get('/favicon.svg', icon);
  app.get('/favicon.ico', icon);
  app.get('/style.css', (c) => c.body(STYLESHEET, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'max-age=300' }));

  const inboxOf = async (c: Context<Env>): Promise<InboxView | undefined> => {
    const user = c.get('user');
    if (!user) return undefined;
    return { fediverse: fediverseView(deps.baseUrl, user) };
  };

  app.get('/', async (c) => {
    const [articles, commentCounts, inbox] = await Promise.all([blogData.articlesBySlugs(db), blogData.commentCounts(db), inboxOf(c)]);
    return page(c, indexPage(context(c), { articles, commentCounts, inbox, done: c.req.query('done') }));
  });

  const frontPage = async (c: Context<Env>, subscribe: { values: FormValues; problems: readonly string[] }, status: 400 | 429) => {
    const [articles, commentCounts, inbox] = await Promise.all([blogData.articlesBySlugs(db), blogData.commentCounts(db), inboxOf(c)]);
    return page(c, indexPage(context(c), { articles, commentCounts, inbox, subscribe }), status);
  };
  subscriptionRoutes(app, { db, models, context, page, formOf, frontPage });
  loginRoutes(app, { db, context, page, formOf });

  app.get('/articles/new', (c) => {
    if (!c.get('user')) return loginRedirect(c, '/articles/new');
    return page(c, newArticlePage(context(c), { values: {}, problems: [] }));
  });

  app.post('/articles', async (c) => {
    const author = c.get('user');
    if (!author) return loginRedirect(c, '/articles/new');
    const form = await formOf(c);
    const values = { title: (form.title ?? '').trim(), body: (form.body ?? '').trim() };
    const problems: string[] = [];
    if (!values.title) problems.push('The article needs a title.');
    if (values.title.length > 200) problems.push('The title is too long (200 characters at most).');
    if (!values.body) problems.push('The article needs some text.');
    if (values.body.length > 20_000) problems.push('The text is too long (20,000 characters at most).');
    if (problems.length > 0) return page(c, newArticlePage(context(c), { values, problems }), 400);
    const slug = await db.transaction().execute(async (trx) => {
      const article = { slug: await blogData.freeSlug(trx, values.title), ...values, createdAt: new Date().toISOString(), author };
      await trx.insertInto('blog_articles').values({ slug: article.slug, title: article.title, body: article.body, author_id: author.id, created_at: article.createdAt }).execute();
      await models.Article.notify(article, 'created', { actor: author, trx });
      return article.slug;
    });
    return c.redirect(`/articles/${encodeURIComponent(slug)}?done=published`, 303);
  });

  const articleView = async (c: Context<Env>, slug: string, token: string | undefined, extra: { done?: string | undefined; comment?: { values: FormValues; problems: readonly string[] } } = {}) => {
    const [article] = await blogData.articlesBySlugs(db, [slug]);
    if (!article) return undefined;
    const [comments, commenter] = await Promise.all([blogData.commentsOn(db, article), token ? blogData.subscriberByToken(db, token) : undefined]);
    return articlePage(context(c), { article, comments, commenter, token, ...extra });
  };

  app.get('/articles/:slug', async (c) => {
    const view = await articleView(c, c.req.param('slug'), c.req.query('token'), { done: c.req.query('done') });
    return view ? page(c, view) : notFound(c, 'There is no such article.');
  });

  app.post('/articles/:slug/comments', async (c) => {
    const slug = c.req.param('slug');
    const form = await formOf(c);
    const token = form.token ?? '';
    const [article] = await blogData.articlesBySlugs(db, [slug]);
    if (!article) return notFound(c, 'There is no such article.');
    const commenter = token ? await blogData.subscriberByToken(db, token) : undefined;
    if (!commenter) return page(c, messagePage(context(c), 403, 'Cannot comment', 'Subscribers comment through the personal link in their email, and this link is not valid.'), 403);
    const body = (form.body ?? '').trim();
    const problems = [...(body ? [] : ['The comment is empty.']), ...(body.length > 5000 ? ['The comment is too long (5,000 characters at most).'] : [])];
    if (problems.length > 0) {
      const view = await articleView(c, slug, token, { comment: { values: { body }, problems } });
      return view ? page(c, view, 400) : notFound(c);
    }
    const commentId = await db.transaction().execute(async (trx) => {
      const createdAt = new Date().toISOString();
      const { id } = await trx.insertInto('blog_comments').values({ article_slug: slug, subscriber_id: commenter.id, poster: commenter.name, body, created_at: createdAt }).returning('id').executeTakeFirstOrThrow();
      // The article's author is told, not the commenter (the original demo got this wrong).
      await models.Comment.notify({ id, poster: commenter.name, body, createdAt, article }, 'posted', { trx });
      return id;
    });
    return c.redirect(`/articles/${encodeURIComponent(slug)}?token=${encodeURIComponent(token)}&done=commented#comment-${commentId}`, 303);
  });

  // A user's profile: the page an actor's `url` names, at its IRI (ActivityPub clients get the actor there).
  app.get('/users/:id{[0-9]+}', async (c) => {
    const [user] = await blogData.usersByIds(db, [Number(c.req.param('id'))]);
    if (!user) return notFound(c, 'There is no such user.');
    const articles = (await blogData.articlesBySlugs(db)).filter((a) => a.author.id === user.id);
    return page(c, profilePage(context(c), { user, articles, fediverse: fediverseView(deps.baseUrl, user) }));
  });

  app.get('/mail', (c) => page(c, mailPage(context(c), { mails: mails.list(), selected: undefined, view: 'html' })));
  app.get('/mail/count', (c) => c.json({ count: mails.size }, 200, { 'Cache-Control': 'no-store' }));
  const mailOf = (c: Context<Env>) => mails.get(Number(c.req.param('id')));
  app.get('/mail/:id{[0-9]+}', (c) => {
    const mail = mailOf(c);
    if (!mail) return notFound(c, 'There is no such mail. Mail is kept in memory only, so a restart empties the mail viewer.');
    const view = c.req.query('view');
    return page(c, mailPage(context(c), { mails: mails.list(), selected: mail, view: view === 'text' || view === 'headers' ? (view satisfies MailView) : 'html' }));
  });
  app.get('/mail/:id{[0-9]+}/html', (c) => {
    const mail = mailOf(c);
    if (!mail?.html) return notFound(c);
    // Links in the email open in the whole window, like in a mail client.
    const withBase = /<head[^>]*>/i.test(mail.html) ? mail.html.replace(/<head[^>]*>/i, (head) => `${head}<base target="_top">`) : `<base target="_top">${mail.html}`;
    return c.body(withBase, 200, {
      'Content-Type': 'text/html; charset=utf-8',
      // The mail's HTML runs no script and cannot reach the demo, even when opened on its own.
      'Content-Security-Policy': "sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation; default-src 'none'; img-src data: http: https:; style-src 'unsafe-inline'",
    });
  });
  app.get('/mail/:id{[0-9]+}/source', (c) => {
    const mail = mailOf(c);
    if (!mail) return notFound(c);
    return c.body(mail.source.toString('utf8'), 200, { 'Content-Type': 'text/plain; charset=utf-8' });
  });
  app.get('/mail/:id{[0-9]+}/attachments/:n{[0-9]+}', (c) => {
    const attachment = mailOf(c)?.attachments[Number(c.req.param('n')) - 1];
    if (!attachment) return notFound(c);
    return c.body(new Uint8Array(attachment.content), 200, {
      'Content-Type': attachment.contentType,
      'Content-Disposition': `attachment; filename="${attachment.filename.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(attachment.filename)}`,
    });
  });

  const adminRoute = async (c: Context<Env>) => {
    if (!admin) return notFound(c, 'The admin is not part of this version of Vox yet.');
    // The admin authorizes by itself, as docs/admin.md says: a page sends a signed-out visitor to
    // the login page, an API call gets 401, and the built app's assets are public.
    return admin.fetch(c.req.raw);
  };
  app.all('/admin', adminRoute);
  app.all('/admin/*', adminRoute);

  // The in-app inbox (JSON, Server-Sent Events, the <vox-inbox> script) for the logged-in author.
  const inbox = deps.vox.inboxHandler({
    basePath: '/inbox',
    model: models.User,
    authenticate: async (request) => {
      const token = cookieOf(request, SESSION_COOKIE);
      return token ? blogData.userBySession(db, sessionKey(token)) : undefined;
    },
  });
  app.all('/inbox', (c) => inbox.fetch(c.req.raw));
  app.all('/inbox/*', (c) => inbox.fetch(c.req.raw));

  app.notFound((c) => notFound(c));
  app.onError((error, c) => {
    // Refused requests (a cross-site form post, a body too large) answer as Hono built them.
    if (error instanceof HTTPException) return error.getResponse();
    deps.log(`error on ${c.req.method} ${c.req.path}: ${error.stack ?? error.message}`);
    return page(c, messagePage(context(c), 500, 'Something went wrong', 'The demo hit an error; the console says more.'), 500);
  });
  return app;
}

/** A cookie of a plain Request (the feed API's authorize hook sees no Hono context). */
function cookieOf(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}
