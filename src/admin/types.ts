/** The admin's public options and types: AdminOptions, StaffUser, Admin. */
import type { Awaitable } from '../vocabulary/model.ts';
import type { Contact } from '../vocabulary/contact.ts';

/** The signed-in staff member, as the host application's `authorize` hook returns them. */
export interface StaffUser {
  /** Stable id; the CSRF token is bound to it. */
  readonly id: string | number;
  /**
   * What identifies this sign-in in the host app: its session id, or the value of its session
   * cookie. The CSRF token is bound to it, so a new sign-in gets new tokens, and tokens from before
   * a sign-out or from another session are refused. It must change at every sign-in. Vox never
   * stores, logs or shows it; it only enters an HMAC. Without it, a token is bound to the user
   * alone and lives until `csrfMaxAgeMs` has passed, sign-outs notwithstanding.
   */
  readonly session?: string;
  /** Shown in the admin's header. */
  readonly name: string;
  /** Where "Send test" goes for email backends. */
  readonly email?: string;
  /** Where "Send test" goes for other protocols (`sms`, `xmpp`, …); an `email` contact wins over `email`. */
  readonly contacts?: readonly Contact[];
}

/**
 * Options of {@link Vox.admin}. `Context` is what a framework adapter passes along with each request
 * (`ExpressContext` of `vox/express`, a Hono `Context`, …), handed to `authorize` as its second argument.
 */
export interface AdminOptions<Context = unknown> {
  /**
   * The host application's access check, called for every page and API request: return the staff
   * user, or null to refuse (401). Assets (scripts, styles) are served to anybody.
   *
   * @example
   * authorize: async (request) => {
   *   const session = await sessions.of(request.headers.get('cookie'));
   *   const user = session?.user;
   *   return user?.isStaff ? { id: user.id, name: user.name, email: user.email, session: session.id } : null;
   * }
   *
   * @example
   * // Mounted with vox/express: the second argument holds Express's req, with express-session's session.
   * vox.admin<ExpressContext>({ authorize: (request, context) => staffOf(context?.req.session.user) })
   */
  readonly authorize: (request: Request, context: Context | undefined) => Awaitable<StaffUser | null | undefined>;
  /** Where the admin is mounted; requests reach it with their full path. @default '' (the root) */
  readonly basePath?: string;
  /**
   * Key of the CSRF tokens (an HMAC of the staff user's id, their session and the time). Give the
   * same secret to every process that serves the admin. @default random bytes per process (the
   * browser app fetches a new token after a restart)
   */
  readonly secret?: string | Uint8Array;
  /** How long a CSRF token is accepted after it was made; the browser app fetches a new one when its token has expired. @default 43200000 (12 hours) */
  readonly csrfMaxAgeMs?: number;
  /**
   * Origins, besides the admin's own, whose pages may send it state-changing requests. The admin's
   * own is the origin of the request's URL, and that of `site.baseUrl`. Behind a proxy that
   * terminates TLS, the URL the admin sees is `http://…` while the browser says `https://…`: give
   * the public origin here (or as `site.baseUrl`).
   * @example ['https://admin.example.org']
   */
  readonly trustedOrigins?: readonly string[];
  /** Where a signed-out visitor of a page is sent, with `?next=<path>`; without it they get a 401 page. */
  readonly loginUrl?: string;
  /**
   * The largest request body accepted, in bytes. A larger one is answered 413 `VOX_BODY_TOO_LARGE`:
   * at once when its Content-Length says so, and as soon as it passes the limit when it streams
   * without one. Templates are text, far below the default. @default 1048576 (1 MiB)
   */
  readonly maxBodyBytes?: number;
  /** The title in the admin's header. @default 'Vox admin' */
  readonly title?: string;
  /** Receives unexpected errors (a 500 answer); Vox's own input errors are answered, not reported. @default console.error */
  readonly onError?: (error: unknown, request: Request) => void;
}

/**
 * The admin: a `fetch` handler, mountable in any server that speaks Request and Response, and in
 * Express, Fastify, Hono and Next.js through `vox/express`, `vox/fastify`, `vox/hono`, `vox/next`.
 */
export interface Admin<Context = unknown> {
  /** Where it is mounted, without a trailing slash (`''` for the root). */
  readonly basePath: string;
  /**
   * Answers one request whose path starts with {@link Admin.basePath}. `context` (the framework's
   * request, from an adapter) is passed on to `authorize`.
   */
  readonly fetch: (request: Request, context?: Context) => Promise<Response>;
}
