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
 * A body that a middleware read already reaches the handler again, in the bytes Hono kept.
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
    const { body, type } = await keptBody(c);
    const headers = new Headers(raw.headers);
    headers.set('content-length', String(body.byteLength));
    if (type) headers.set('content-type', type);
    return callHandler(handler, new Request(raw.url, { method: raw.method, headers, body, signal: raw.signal }), c);
  };
}

/**
 * The body Hono kept when a middleware read it. Hono gives it again in any form; a form it only
 * kept as FormData (`await c.req.formData()`) comes back as a multipart body, so a URL-encoded form
 * is encoded as such again, and a multipart one gets the content type of its new boundary.
 */
async function keptBody<E extends Env>(c: Context<E>): Promise<{ readonly body: ArrayBuffer; readonly type?: string }> {
  const cache = c.req.bodyCache;
  const onlyForm = cache.formData !== undefined && cache.arrayBuffer === undefined && cache.text === undefined && cache.json === undefined && cache.blob === undefined;
  if (!onlyForm) return { body: await c.req.arrayBuffer() };
  const form = await c.req.formData();
  if ((c.req.header('content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    const fields = new URLSearchParams();
    form.forEach((value, name) => fields.append(name, typeof value === 'string' ? value : value.name));
    return { body: await new Response(fields).arrayBuffer() };
  }
  const multipart = new Response(form);
  return { body: await multipart.arrayBuffer(), type: multipart.headers.get('content-type') ?? undefined };
}
