/**
 * The shape of every HTTP surface Vox mounts (the admin; the preference centre, webhooks and inbox
 * are the same): an object with `fetch`, or a plain function, that answers a `Request` with a
 * `Response`. A framework adapter (`vox/express`, `vox/fastify`, `vox/hono`, `vox/next`) passes the
 * framework's own request as the second argument, its `Context`, so that a hook such as the admin's
 * `authorize(request, context)` can see what the host's middleware found (`req.user`, `req.session`).
 */

/** A handler as a function: `(request, context) => Response`. */
export type FetchFunction<Context> = (request: Request, context: Context) => Response | Promise<Response>;

/** A handler as an object, such as the admin: its `fetch`, and where it is mounted when it says. */
export interface FetchHandlerObject<Context> {
  /** A property, not a method, so that a handler typed for another framework's context does not fit. */
  readonly fetch: FetchFunction<Context>;
  /** Where the handler is mounted (`/admin`), without a trailing slash; it sees requests with their full path. */
  readonly basePath?: string;
}

/** Any Vox `fetch` handler, as an object or a function, taking `Context` as its second argument. */
export type FetchHandler<Context> = FetchHandlerObject<Context> | FetchFunction<Context>;

/** Calls `handler` as an object (keeping its `this`) or as a function. */
export function callHandler<Context>(handler: FetchHandler<Context>, request: Request, context: Context): Promise<Response> {
  return Promise.resolve(typeof handler === 'function' ? handler(request, context) : handler.fetch(request, context));
}

/** The handler's `basePath`, when it has one: `''` for the root. */
export function basePathOf(handler: FetchHandler<never>): string | undefined {
  return typeof handler === 'function' || typeof handler.basePath !== 'string' ? undefined : handler.basePath;
}

/** Whether `path` (`/admin/api/x`) lies under `basePath` (`/admin`); everything lies under `''`. */
export function isUnder(path: string, basePath: string): boolean {
  return basePath === '' || path === basePath || path.startsWith(`${basePath}/`);
}
