/** The admin's public options and types: AdminOptions, StaffUser, Admin. */
import type { Awaitable } from '../vocabulary/model.ts';
import type { Contact } from '../vocabulary/contact.ts';

/** The signed-in staff member, as the host application's `authorize` hook returns them. */
export interface StaffUser {
  /** Stable id; the CSRF token is bound to it. */
  readonly id: string | number;
  /** Shown in the admin's header. */
  readonly name: string;
  /** Where "Send test" goes for email backends. */
  readonly email?: string;
  /** Where "Send test" goes for other protocols (`sms`, `xmpp`, …); an `email` contact wins over `email`. */
  readonly contacts?: readonly Contact[];
}

/** Options of {@link Vox.admin}. */
export interface AdminOptions {
  /**
   * The host application's access check, called for every page and API request: return the staff
   * user, or null to refuse (401). Assets (scripts, styles) are served to anybody.
   *
   * @example
   * authorize: async (request) => {
   *   const user = await sessions.userOf(request.headers.get('cookie'));
   *   return user?.isStaff ? { id: user.id, name: user.name, email: user.email } : null;
   * }
   */
  readonly authorize: (request: Request) => Awaitable<StaffUser | null | undefined>;
  /** Where the admin is mounted; requests reach it with their full path. @default '' (the root) */
  readonly basePath?: string;
  /**
   * Key of the CSRF tokens (an HMAC of the staff user's id). Give the same secret to every process
   * that serves the admin. @default random bytes per process (tokens change with each restart)
   */
  readonly secret?: string | Uint8Array;
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

/** The admin: a `fetch` handler, mountable in any server that speaks Request and Response. */
export interface Admin {
  /** Where it is mounted, without a trailing slash (`''` for the root). */
  readonly basePath: string;
  /** Answers one request whose path starts with {@link Admin.basePath}. */
  fetch(request: Request): Promise<Response>;
}
