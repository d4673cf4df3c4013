/**
 * `vox/express`: any Vox `fetch` handler (the admin, …) as Express middleware, wherever it is
 * mounted: after `express.json()` or `express.urlencoded()` (the body is made again from what they
 * parsed), under `app.use('/admin', …)` (the handler sees the full path, `originalUrl`), with
 * streamed answers streaming. The handler's second argument is `{ req, res }`, so that the admin's
 * `authorize(request, { req })` sees `req.user` or `req.session`. Express itself is not imported.
 */
import type { Request as ExpressRequest, RequestHandler, Response as ExpressResponse } from 'express';
import { basePathOf, callHandler, isUnder, type FetchHandler } from '../http/handler.ts';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import { answerNode, withParsedBody } from './node.ts';

/** What a handler mounted with {@link toExpress} gets as its second argument: Express's request and response. */
export interface ExpressContext {
  /** The request as the app's middleware left it: `req.user` (passport), `req.session` (express-session), … */
  readonly req: ExpressRequest;
  readonly res: ExpressResponse;
}

/** Options of {@link toExpress}. */
export interface ExpressAdapterOptions {
  /** Host name of request URLs when a request has no Host header. @default 'localhost' */
  readonly hostname?: string;
}

/**
 * Express middleware answering with `handler`. Requests outside the handler's `basePath` go to
 * `next()`; what the handler throws goes to `next(error)`, Express's error handlers.
 *
 * @example
 * const admin = vox.admin<ExpressContext>({
 *   basePath: '/admin',
 *   authorize: (request, context) => {
 *     const user = context?.req.session.user;
 *     return user?.staff ? { id: user.id, name: user.name, session: context?.req.sessionID } : null;
 *   },
 * });
 * app.use(express.json(), session({ … }));
 * app.use('/admin', toExpress(admin));
 */
export function toExpress(handler: FetchHandler<ExpressContext>, options: ExpressAdapterOptions = {}): RequestHandler {
  const basePath = basePathOf(handler);
  return (req, res, next) => {
    const url = req.originalUrl;
    const path = url.split('?')[0] ?? '/';
    if (basePath !== undefined) {
      if (!isUnder(path, basePath)) return next();
      if (req.baseUrl && !isUnder(basePath, req.baseUrl)) {
        return next(new VoxError(ErrorCode.configuration, `a Vox handler with basePath ${JSON.stringify(basePath)} is mounted at ${req.baseUrl}: give it basePath ${JSON.stringify(req.baseUrl)}, as it sees full paths`));
      }
    }
    // The full path, not the one under the mount point: the handler's links are built on its basePath.
    req.url = url;
    const context: ExpressContext = { req, res };
    const answer = (request: Request) => callHandler(handler, withParsedBody(request, req), context);
    const onError = (error: unknown) => {
      next(error);
      return undefined;
    };
    answerNode(req, res, answer, { ...(options.hostname ? { hostname: options.hostname } : {}), onError }).catch(next);
  };
}
