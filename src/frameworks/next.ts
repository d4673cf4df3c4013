/**
 * `vox/next`: any Vox `fetch` handler (the admin, …) as the route handlers of a Next.js App Router
 * route (`app/admin/[[...path]]/route.ts`). Next.js hands route handlers a standard `Request` (a
 * `NextRequest`) with its full URL and an unread body, so the handler answers it as it is; its
 * second argument is Next's route context (`{ params }`). Next itself is not imported.
 */
import { basePathOf, callHandler, isUnder, type FetchHandler } from '../http/handler.ts';
import { notFound } from './node.ts';

/** The second argument Next.js passes to a route handler: the route's dynamic segments (a promise since Next 15). */
export interface NextContext {
  readonly params: Promise<Record<string, string | string[] | undefined>>;
}

/** A Next.js route handler, as `app/…/route.ts` exports one per method. */
export type NextRouteHandler = (request: Request, context: NextContext) => Promise<Response>;

/** The methods a route file exports. */
export interface NextRouteHandlers {
  readonly GET: NextRouteHandler;
  readonly HEAD: NextRouteHandler;
  readonly POST: NextRouteHandler;
  readonly PUT: NextRouteHandler;
  readonly PATCH: NextRouteHandler;
  readonly DELETE: NextRouteHandler;
  readonly OPTIONS: NextRouteHandler;
}

/**
 * The route handlers of a catch-all route answering with `handler`; put the route where the
 * handler's `basePath` says.
 *
 * @example
 * // app/admin/[[...path]]/route.ts
 * import { toNext } from 'vox/next';
 * import { admin } from '@/lib/vox';   // vox.admin({ basePath: '/admin', authorize: async () => staffOf(await auth()) })
 * export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = toNext(admin);
 */
export function toNext(handler: FetchHandler<NextContext>): NextRouteHandlers {
  const basePath = basePathOf(handler);
  const route: NextRouteHandler = async (request, context) => {
    const path = new URL(request.url).pathname;
    if (basePath !== undefined && !isUnder(path, basePath)) return notFound(path, basePath);
    return callHandler(handler, request, context);
  };
  return { GET: route, HEAD: route, POST: route, PUT: route, PATCH: route, DELETE: route, OPTIONS: route };
}
