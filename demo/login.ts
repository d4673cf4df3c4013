// Logging in and out of the demo: the session cookie, wrong passwords limited per account and per
// client address (429 with Retry-After), and a `next` that can only lead back to the demo's pages.
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import ipaddr from 'ipaddr.js';
import type { Kysely } from 'kysely';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { newToken, sessionKey, verifyPassword } from './auth.ts';
import { blogData, type BlogDatabase, type User } from './blog.ts';
import type { Html } from './html.ts';
import { loginPage, type PageContext } from './pages.ts';

/** What the demo's middleware leaves on each request: the logged-in author, if any. */
export type Env = { Variables: { user: User | undefined } };

export const SESSION_COOKIE = 'vox_demo_session';

/** Login attempts per account (the email typed, known or not) in a window; the next is answered 429 until the window ends. */
const ATTEMPTS_PER_ACCOUNT = 5;
/** Login attempts per client address, over all accounts: one address guessing many accounts. */
const ATTEMPTS_PER_ADDRESS = 20;
const WINDOW_SECONDS = 15 * 60;

/**
 * Counts failed logins with rate-limiter-flexible, in memory. An attempt takes a point before the
 * password is checked, so that a burst of parallel requests cannot all pass a check made first; a
 * successful login gives its points back. A demo copied into an app that runs several processes
 * should give both limiters a shared store (RateLimiterRedis, RateLimiterPostgres, …).
 */
export class LoginLimits {
  readonly #byAccount = new RateLimiterMemory({ keyPrefix: 'login-account', points: ATTEMPTS_PER_ACCOUNT, duration: WINDOW_SECONDS });
  readonly #byAddress = new RateLimiterMemory({ keyPrefix: 'login-address', points: ATTEMPTS_PER_ADDRESS, duration: WINDOW_SECONDS });

  /** Takes an attempt; resolves to the seconds to wait when the account or the address has none left, or 0. */
  async attempt(account: string, address: string): Promise<number> {
    const taken = await Promise.allSettled([this.#byAccount.consume(account), this.#byAddress.consume(address)]);
    const waits = taken.flatMap((t) => (t.status === 'rejected' && t.reason instanceof RateLimiterRes ? [t.reason.msBeforeNext] : []));
    // Anything else (a store that failed) is not a reason to let guesses through.
    const failed = taken.find((t) => t.status === 'rejected' && !(t.reason instanceof RateLimiterRes));
    if (failed?.status === 'rejected') throw failed.reason;
    return waits.length === 0 ? 0 : Math.max(1, Math.ceil(Math.max(...waits) / 1000));
  }

  /** A successful login: the account starts afresh, and the address gets its attempt back. */
  async succeeded(account: string, address: string): Promise<void> {
    await Promise.all([this.#byAccount.delete(account), this.#byAddress.reward(address, 1)]);
  }
}

/**
 * The address limits count against: the client's IP address, or for IPv6 its /64 network, which
 * one client usually holds whole. Behind a reverse proxy every request comes from the proxy: read
 * the client's address from the header your proxy sets (X-Forwarded-For), and only from it.
 */
export function clientAddress(c: Context<Env>): string {
  const remote = getConnInfo(c).remote.address ?? 'unknown';
  if (!ipaddr.isValid(remote)) return remote;
  const parsed = ipaddr.process(remote);
  return parsed.kind() === 'ipv6' ? `${(parsed as ipaddr.IPv6).toNormalizedString().split(':').slice(0, 4).join(':')}::/64` : parsed.toString();
}

/**
 * Where to go after logging in: `next` when it resolves to a page of this origin, else the front
 * page. URL parsing is what decides, as the browser's would: it drops tabs and newlines and reads
 * `\` as `/`, so `/%09/evil.example` and `/\evil.example` are other sites, not paths. The answer is
 * the path, query and fragment as the parser wrote them (percent-encoded, so no header injection).
 */
export function localNext(next: string | undefined, origin: string): string {
  if (!next) return '/';
  let url: URL;
  try {
    url = new URL(next, origin);
  } catch {
    return '/';
  }
  const path = `${url.pathname}${url.search}${url.hash}`;
  // `/.//evil.example` parses as this origin with the path `//evil.example`, which a browser reads as another host.
  return url.origin === origin && !path.startsWith('//') ? path : '/';
}

/** What the login routes need from the blog app. */
export interface LoginDeps {
  readonly db: Kysely<BlogDatabase>;
  readonly context: (c: Context<Env>) => PageContext;
  readonly page: (c: Context<Env>, body: Html, status?: 200 | 400 | 429) => Response;
  readonly formOf: (c: Context<Env>) => Promise<Record<string, string>>;
}

/** `GET /login`, `POST /login` and `POST /logout`. */
export function loginRoutes(app: Hono<Env>, { db, context, page, formOf }: LoginDeps): void {
  const limits = new LoginLimits();
  const originOf = (c: Context<Env>) => new URL(c.req.url).origin;

  app.get('/login', (c) => {
    const next = localNext(c.req.query('next'), originOf(c));
    if (c.get('user')) return c.redirect(next, 303);
    return page(c, loginPage(context(c), { next, values: {}, problems: [] }));
  });

  app.post('/login', async (c) => {
    const form = await formOf(c);
    const next = localNext(form.next, originOf(c));
    const email = (form.email ?? '').trim().toLowerCase();
    const account = email.slice(0, 254);
    const address = clientAddress(c);
    const wait = await limits.attempt(account, address);
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      const minutes = Math.ceil(wait / 60);
      return page(c, loginPage(context(c), { next, values: { email }, problems: [`Too many failed logins. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`] }), 429);
    }
    const user = await blogData.userByEmail(db, email);
    if (!user || !(await verifyPassword(form.password ?? '', user.passwordHash))) {
      return page(c, loginPage(context(c), { next, values: { email: form.email ?? '' }, problems: ['Wrong email or password.'] }), 400);
    }
    await limits.succeeded(account, address);
    const token = newToken();
    await db.insertInto('blog_sessions').values({ key: sessionKey(token), user_id: user.id, created_at: new Date().toISOString() }).execute();
    setCookie(c, SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'Lax' });
    return c.redirect(next, 303);
  });

  app.post('/logout', async (c) => {
    const token = getCookie(c, SESSION_COOKIE);
    if (token) await db.deleteFrom('blog_sessions').where('key', '=', sessionKey(token)).execute();
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.redirect('/', 303);
  });
}
