/**
 * `vox/hono`: any Vox `fetch` handler (the admin, …) as a Hono handler. The handler gets the
 * request as it came (`c.req.raw`, with its full path), or, when a middleware has already read the
 * body (`await c.req.json()`), the same request with the body Hono kept; its second argument is
 * Hono's `Context`, so that the admin's `authorize(request, c)` can read `c.get('user')`.
 */
import type { Context, Env, Handler } from 'hono';
import { basePathOf, callHandler, isUnder, type FetchHandler } from '../http/handler.ts';
import { notFound } from './node.ts';

/**
 * A Hono handler answering with `handler`. Mount it with a wildcard under the handler's `basePath`.
 *
 * @example
 * const admin = vox.admin<Context<AppEnv>>({ basePath: '/admin', authorize: (request, c) => staffOf(c?.get('user')) });
 * app.all('/admin/*', toHono(admin));
 */
export function toHono<E extends Env = Env>(handler: FetchHandler<Context<E>>): Handler<E> {
  const basePath = basePathOf(handler);
  return async (c) => {
    if (basePath !== undefined && !isUnder(c.req.path, basePath)) return notFound(c.req.path, basePath);
    const raw = c.req.raw;
    if (!raw.bodyUsed) return callHandler(handler, raw, c);
    // Hono keeps the body it read and gives it again in any form.
    const body = await c.req.arrayBuffer();
    const headers = new Headers(raw.headers);
    headers.set('content-length', String(body.byteLength));
    return callHandler(handler, new Request(raw.url, { method: raw.method, headers, body, signal: raw.signal }), c);
  };
}
