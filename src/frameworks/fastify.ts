/**
 * `vox/fastify`: any Vox `fetch` handler (the admin, …) as a Fastify plugin, registered under a
 * prefix. Inside the plugin's own scope (Fastify's encapsulation; the host's routes are untouched)
 * request bodies are left unparsed, so the handler reads them itself, under its own body limit.
 * Answers stream. The handler's second argument is `{ request, reply }`, Fastify's, so that the
 * admin's `authorize(request, { request })` sees what the app's hooks decorated it with.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { basePathOf, callHandler, isUnder, type FetchHandler } from '../http/handler.ts';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import { answerNode } from './node.ts';

/** What a handler registered with {@link toFastify} gets as its second argument: Fastify's request and reply. */
export interface FastifyContext {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

/** Options of {@link toFastify}. */
export interface FastifyAdapterOptions {
  /** Host name of request URLs when a request has no Host header. @default 'localhost' */
  readonly hostname?: string;
}

/**
 * A Fastify plugin answering every method and path under its prefix with `handler`. Register it
 * with the handler's `basePath` as `prefix` (the handler sees full paths); another prefix throws
 * VOX_CONFIGURATION when Fastify loads the plugin.
 *
 * @example
 * const admin = vox.admin<FastifyContext>({ basePath: '/admin', authorize: (request, context) => staffOf(context?.request.user) });
 * await app.register(toFastify(admin), { prefix: '/admin' });
 */
export function toFastify(handler: FetchHandler<FastifyContext>, options: FastifyAdapterOptions = {}): FastifyPluginAsync {
  const basePath = basePathOf(handler);
  return async (instance) => {
    if (basePath !== undefined && !isUnder(basePath, instance.prefix)) {
      throw new VoxError(ErrorCode.configuration, `a Vox handler with basePath ${JSON.stringify(basePath)} is registered with prefix ${JSON.stringify(instance.prefix)}: give it basePath ${JSON.stringify(instance.prefix)}, as it sees full paths`);
    }
    // Leave every body unread: the handler streams it under its own limit.
    instance.removeAllContentTypeParsers();
    instance.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    const route = async (request: FastifyRequest, reply: FastifyReply) => {
      const path = request.url.split('?')[0] ?? '/';
      if (basePath !== undefined && !isUnder(path, basePath)) return reply.callNotFound();
      reply.hijack();
      const context: FastifyContext = { request, reply };
      const onError = (error: unknown) => {
        request.log.error(error);
        // The reply is hijacked, so Fastify's error handler cannot answer: a 500 that says nothing more.
        return new Response('internal server error', { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' } });
      };
      await answerNode(request.raw, reply.raw, (fetchRequest) => callHandler(handler, fetchRequest, context), { ...(options.hostname ? { hostname: options.hostname } : {}), onError });
    };
    instance.all('/', route);
    instance.all('/*', route);
  };
}
