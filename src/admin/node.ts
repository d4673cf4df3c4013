/** toNodeHandler: mounts a fetch(Request) handler in Node's http server or Express. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Admin } from './types.ts';

/** A Node.js request handler, usable as `http.createServer(handler)` and as Express or Connect middleware. */
export type NodeHandler = (request: IncomingMessage, response: ServerResponse, next?: (error?: unknown) => void) => void;

/** Options of {@link toNodeHandler}. */
export interface NodeHandlerOptions {
  /** Host name used to build request URLs when a request has no Host header. @default 'localhost' */
  readonly hostname?: string;
}

type Listener = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/**
 * Mounts the admin in Node's http server or in Express. The admin sees each request's full path
 * (Express's `originalUrl`), so mount it where its `basePath` says. Requests outside `basePath` go
 * to `next` when there is one, and get a 404 otherwise. It reads the request's body stream itself,
 * so in Express it must come before body parsers such as `express.json()`: prefer `toExpress` of
 * `vox/express`, which works after them and passes `{ req, res }` on to `authorize`.
 *
 * @example
 * const admin = vox.admin({ basePath: '/admin', authorize });
 * http.createServer(toNodeHandler(admin)).listen(8080);
 * expressApp.use('/admin', toNodeHandler(admin));
 */
export function toNodeHandler(admin: Admin, options: NodeHandlerOptions = {}): NodeHandler {
  let listener: Promise<Listener> | undefined;
  return (request, response, next) => {
    const url = (request as IncomingMessage & { originalUrl?: string }).originalUrl ?? request.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    if (admin.basePath !== '' && path !== admin.basePath && !path.startsWith(`${admin.basePath}/`)) {
      if (next) return next();
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found');
      return;
    }
    request.url = url;
    listener ??= import('@hono/node-server').then(({ getRequestListener }) =>
      getRequestListener((req) => admin.fetch(req), { hostname: options.hostname ?? 'localhost', overrideGlobalObjects: false }),
    );
    listener.then((listen) => listen(request, response)).catch((error: unknown) => (next ? next(error) : response.destroy(error as Error)));
  };
}
