import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler, type Admin, type AdminOptions, type DatabaseOptions } from '../../src/index.ts';
import type { MailTransport } from '../../src/backends/email/index.ts';
import { afterEach, before } from 'node:test';
import { ensureAdminUi } from '../../admin-ui/build.ts';
import { createBlog, seedBlog } from './blog.ts';
import { smtpForSuite } from './smtp.ts';

/** A host application for the admin: the blog, a login form, sessions in a cookie, the admin at /admin. */
export interface AdminApp {
  readonly url: string;
  readonly admin: Admin;
  readonly blog: ReturnType<typeof createBlog>;
  /**
   * A session cookie value for a staff user (the author by default), as the login form would set
   * it; `session` reuses a value, as another process of the same host app would know it.
   */
  signIn(userId?: number, session?: string): string;
  close(): Promise<void>;
}

export const STAFF = { id: 1, name: 'Alan Author', email: 'author@example.org', password: 'password' } as const;

/**
 * Starts the host app; `adminOptions` replace the admin's defaults here, as another host's
 * configuration would. Its `authorize` names the session (the cookie's value) for the CSRF token,
 * and `POST /logout` ends the session of the request's cookie.
 */
export async function startAdminApp(transport: MailTransport, database: DatabaseOptions = { dialect: 'sqlite', path: ':memory:' }, adminOptions: Partial<AdminOptions> = {}): Promise<AdminApp> {
  const blog = createBlog(database, transport);
  const { vox, data } = blog;
  await vox.migrate();
  await vox.sync();
  await seedBlog(vox);
  data.subscribers.push({ id: 1, name: 'Sam Subscriber', email: 'sam@example.org', token: 'sam-token' }, { id: 2, name: 'Nina New', email: 'nina@example.org', token: 'nina-token' });
  data.articles.push({ slug: 'welcome', title: 'Welcome to Vox', body: 'Templates are data.', author: data.users[0]! });

  const sessions = new Map<string, number>();
  const sessionOf = (cookie: string | null | undefined) => /(?:^|;\s*)session=([^;]+)/.exec(cookie ?? '')?.[1];
  const admin = vox.admin({
    basePath: '/admin',
    secret: 'test secret, at least 16 bytes',
    loginUrl: '/login',
    authorize: (request) => {
      const userId = sessions.get(sessionOf(request.headers.get('cookie')) ?? '');
      const user = data.users.find((u) => u.id === userId);
      const session = sessionOf(request.headers.get('cookie'));
      return user && session ? { id: user.id, name: user.name, email: user.email, session } : null;
    },
    ...adminOptions,
  });
  const adminHandler = toNodeHandler(admin);
  const newSession = (userId: number = STAFF.id, token = randomBytes(12).toString('base64url')) => {
    sessions.set(token, userId);
    return token;
  };

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/login' && request.method === 'GET') {
      const next = url.searchParams.get('next') ?? '/admin/';
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(
        `<!doctype html><title>Log in</title><form method="post" action="/login"><input type="hidden" name="next" value="${next.replace(/[^\w/.-]/g, '')}">` +
          '<label>Email <input name="email"></label><label>Password <input name="password" type="password"></label><button>Log in</button></form>',
      );
      return;
    }
    if (url.pathname === '/login' && request.method === 'POST') {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const form = new URLSearchParams(body);
        if (form.get('email') !== STAFF.email || form.get('password') !== STAFF.password) {
          response.writeHead(400, { 'Content-Type': 'text/plain' }).end('Wrong email or password.');
          return;
        }
        const next = form.get('next') ?? '/admin/';
        response.writeHead(303, { Location: next.startsWith('/') ? next : '/admin/', 'Set-Cookie': `session=${newSession()}; Path=/; HttpOnly; SameSite=Lax` }).end();
      });
      return;
    }
    if (url.pathname === '/logout' && request.method === 'POST') {
      sessions.delete(sessionOf(request.headers.cookie) ?? '');
      response.writeHead(303, { Location: '/login', 'Set-Cookie': 'session=; Path=/; Max-Age=0' }).end();
      return;
    }
    adminHandler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    admin,
    blog,
    signIn: newSession,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await vox.close();
    },
  };
}

/**
 * Admin apps for the tests of one describe(): a test SMTP server for them, the admin's browser
 * app built once, and every app started by the returned function closed after each test.
 */
export function adminAppsForSuite(): (adminOptions?: Partial<AdminOptions>) => Promise<AdminApp> {
  const smtp = smtpForSuite();
  const apps: AdminApp[] = [];
  before(() => ensureAdminUi());
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });
  return async (adminOptions = {}) => {
    const app = await startAdminApp(smtp().transport, undefined, adminOptions);
    apps.push(app);
    return app;
  };
}
