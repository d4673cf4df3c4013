/**
 * `vox.inboxHandler()`: the in-app inbox over HTTP, a `fetch(Request)` handler like the admin. JSON
 * endpoints to list, count and mark a recipient's items, a Server-Sent Events stream of changes,
 * and the `<vox-inbox>` element's script. Recipients sign in through the host app's session
 * (`authenticate`) or with a short-lived recipient token (front ends on other origins, over CORS).
 */
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import { INBOX_FILTERS, INBOX_MARKS, type InboxFilter, type InboxMark } from '../vocabulary/inbox.ts';
import type { Awaitable, ModelReference } from '../vocabulary/model.ts';
import { maxBodyBytesOption, withBodyLimit } from '../http/body-limit.ts';
import { crossOriginRefusal, originsOf } from '../http/same-origin.ts';
import { elementScript } from './element.ts';
import type { Inboxes } from './inbox.ts';
import { openStream } from './stream.ts';
import { checkedSecrets, signToken, verifyToken } from './tokens.ts';

/** Options of `vox.inboxHandler()`. */
export interface InboxHandlerOptions<T, Context = unknown> {
  /** Where the handler is mounted, without a trailing slash, e.g. `/inbox`. @default '' */
  readonly basePath?: string;
  /** The model of the recipients: `authenticate` returns its objects, `token()` takes them. */
  readonly model: ModelReference<T>;
  /**
   * The signed-in recipient of a request, from the host app's session (a cookie), or null when
   * nobody is signed in. Requests that carry a recipient token do not call it. `context` is what a
   * framework adapter (`vox/express`, …) passes along: the framework's request, with `req.user`.
   */
  readonly authenticate?: (request: Request, context: Context | undefined) => Awaitable<T | null | undefined>;
  /** Recipient tokens, for a front end on another origin. */
  readonly tokens?: {
    /** HMAC secrets of at least 32 characters; the first signs, all verify (rotate by prepending). */
    readonly secrets: readonly string[];
    /** How long a token is good for. @default 900 (15 minutes) */
    readonly ttlSeconds?: number;
  };
  /** Origins of front ends on other sites allowed to call with tokens (CORS); no other origin is. @default [] */
  readonly corsOrigins?: readonly string[];
  /** Origins besides the request's own that cookie-authenticated writes may come from (a proxy's public one). @default [] */
  readonly trustedOrigins?: readonly string[];
  /** Most bytes of a request body. @default 1048576 */
  readonly maxBodyBytes?: number;
  /** Milliseconds between two heartbeats on an event stream. @default 15000 */
  readonly heartbeatMs?: number;
  /** Milliseconds a disconnected client waits before reconnecting (SSE `retry`). @default 3000 */
  readonly retryMs?: number;
  /**
   * Most bytes an event stream may hold for a client that does not read them (a stalled
   * connection): past this, the stream is closed, and the client reconnects with `Last-Event-ID`
   * and catches up. @default 1048576
   */
  readonly maxBacklogBytes?: number;
}

/** The mounted handler. */
export interface InboxHandler<T, Context = unknown> {
  /** Where it is mounted (`''` for the root). */
  readonly basePath: string;
  /** Answers one request whose path starts with {@link InboxHandler.basePath}; a framework adapter passes its request as `context`. */
  readonly fetch: (request: Request, context?: Context) => Promise<Response>;
  /** A recipient token for a front end on another origin (needs `tokens`). */
  token(recipient: T, options?: { readonly ttlSeconds?: number }): Promise<string>;
  /** Event streams open in this process. */
  readonly openStreams: number;
}

const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
const MARK_ROUTE = /^\/items\/(\d{1,15})\/([a-z]+)$/;
const ITEM_ROUTE = /^\/items\/(\d{1,15})$/;

/** A failure answered as `{ "error": { "code", "message" } }`. */
class HttpError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  constructor(status: number, code: ErrorCode, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function createInboxHandler<T, Context = unknown>(inboxes: Inboxes, options: InboxHandlerOptions<T, Context>): InboxHandler<T, Context> {
  if (!options?.model?.name) throw new VoxError(ErrorCode.configuration, 'inboxHandler needs model: the model of the recipients (a handle from vox.model())');
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  if (basePath !== '' && !basePath.startsWith('/')) throw new VoxError(ErrorCode.configuration, `inboxHandler: basePath must start with / (not ${JSON.stringify(basePath)})`);
  const secrets = checkedSecrets(options.tokens?.secrets);
  if (!options.authenticate && secrets.length === 0) throw new VoxError(ErrorCode.configuration, 'inboxHandler needs authenticate (the host app\'s session), tokens, or both');
  const ttlSeconds = options.tokens?.ttlSeconds ?? 900;
  const cors = new Set(originsOf(options.corsOrigins ?? [], 'inboxHandler corsOrigins'));
  const trusted = new Set(originsOf(options.trustedOrigins ?? [], 'inboxHandler trustedOrigins'));
  const maxBodyBytes = maxBodyBytesOption(options.maxBodyBytes, 'inboxHandler');
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const retryMs = options.retryMs ?? 3000;
  const maxBacklogBytes = options.maxBacklogBytes ?? 1024 * 1024;
  if (!Number.isSafeInteger(maxBacklogBytes) || maxBacklogBytes < 1024) throw new VoxError(ErrorCode.configuration, `inboxHandler maxBacklogBytes must be a whole number of bytes, 1024 or more, not ${String(options.maxBacklogBytes)}`);
  let streams = 0;

  /** The recipient's key, and whether the request used the cookie session (so its writes must be same-origin). */
  const recipientOf = async (request: Request, url: URL, context: Context | undefined): Promise<{ key: string; session: boolean; expires?: number }> => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
    const token = bearer ?? url.searchParams.get('token') ?? undefined;
    if (token !== undefined) {
      const claims = secrets.length > 0 ? verifyToken(secrets, token) : undefined;
      if (!claims) throw new HttpError(401, ErrorCode.unauthorized, 'the recipient token is not valid or has expired');
      return { key: claims.recipient, session: false, expires: claims.expires * 1000 };
    }
    const recipient = await options.authenticate?.(request, context);
    if (recipient === null || recipient === undefined) throw new HttpError(401, ErrorCode.unauthorized, 'sign in first, or send a recipient token');
    return { key: await inboxes.keyOf(options.model, recipient), session: true };
  };

  const route = async (request: Request, url: URL, path: string, context: Context | undefined): Promise<Response> => {
    if (path === '/vox-inbox.js' && (request.method === 'GET' || request.method === 'HEAD')) return elementScript();
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    const { key, session, expires } = await recipientOf(request, url, context);
    if (method === 'POST' && session) {
      const refusal = crossOriginRefusal(request, trusted);
      if (refusal) throw new HttpError(403, ErrorCode.csrf, refusal);
    }
    const inbox = inboxes.of(key);
    const counts = () => inbox.counts();
    if (request.method === 'GET' && path === '/stream') {
      const lastEventId = request.headers.get('last-event-id') ?? url.searchParams.get('lastEventId');
      if (lastEventId !== null && !/^\d{1,15}$/.test(lastEventId)) throw new HttpError(400, ErrorCode.invalidInput, 'Last-Event-ID must be an item id');
      streams++;
      return openStream(inboxes, key, { lastEventId: lastEventId === null ? undefined : Number(lastEventId), heartbeatMs, retryMs, maxBacklogBytes, request, onClose: () => streams--, ...(expires === undefined ? {} : { endsAt: expires }) });
    }
    if (method === 'GET' && path === '/items') {
      const filter = url.searchParams.get('filter') ?? 'all';
      if (!INBOX_FILTERS.includes(filter as InboxFilter)) throw new HttpError(400, ErrorCode.invalidInput, `filter must be one of ${INBOX_FILTERS.join(', ')}`);
      const limit = url.searchParams.get('limit');
      if (limit !== null && !/^\d{1,3}$/.test(limit)) throw new HttpError(400, ErrorCode.invalidInput, 'limit must be a whole number from 1 to 100');
      const cursor = url.searchParams.get('cursor');
      const page = await inbox.list({ filter: filter as InboxFilter, ...(limit === null ? {} : { limit: Number(limit) }), ...(cursor === null ? {} : { cursor }) });
      return json({ ...page, counts: await counts() });
    }
    if (method === 'GET' && path === '/counts') return json(await counts());
    if (method === 'GET' && path === '/changes') {
      const after = url.searchParams.get('after') ?? '0';
      if (!/^\d{1,15}$/.test(after)) throw new HttpError(400, ErrorCode.invalidInput, 'after must be an item id');
      const items = (await inboxes.rows.after([key], Number(after), 100)).map((row) => row.item);
      return json({ items, counts: await counts(), lastId: items.at(-1)?.id ?? Number(after) });
    }
    const item = ITEM_ROUTE.exec(path);
    if (method === 'GET' && item) {
      const found = await inbox.get(Number(item[1]));
      if (!found) throw new HttpError(404, ErrorCode.notFound, 'no such item');
      return json({ item: found });
    }
    const mark = MARK_ROUTE.exec(path);
    if (method === 'POST' && mark) {
      if (!INBOX_MARKS.includes(mark[2] as InboxMark)) throw new HttpError(404, ErrorCode.notFound, `no such action: use one of ${INBOX_MARKS.join(', ')}`);
      const marked = await inbox.mark(Number(mark[1]), mark[2] as InboxMark);
      return json({ marked, counts: await counts() });
    }
    if (method === 'POST' && path === '/mark') {
      if (!/^application\/json\b/i.test(request.headers.get('content-type') ?? '')) throw new HttpError(415, ErrorCode.invalidInput, 'send JSON: { "as": "read", "ids": [1, 2] } or { "as": "read", "all": true }');
      const body = (await request.json().catch((error: unknown) => {
        if (error instanceof VoxError) throw error;
        throw new HttpError(400, ErrorCode.invalidInput, 'the body is not JSON');
      })) as { as?: unknown; ids?: unknown; all?: unknown } | null;
      const as = body?.as;
      if (typeof as !== 'string' || !INBOX_MARKS.includes(as as InboxMark)) throw new HttpError(400, ErrorCode.invalidInput, `"as" must be one of ${INBOX_MARKS.join(', ')}`);
      if (body?.all !== true && !Array.isArray(body?.ids)) throw new HttpError(400, ErrorCode.invalidInput, 'send "ids": [1, 2] or "all": true');
      const marked = await inbox.mark(body?.all === true ? 'all' : (body?.ids as number[]), as as InboxMark);
      return json({ marked, counts: await counts() });
    }
    const known = ['/stream', '/items', '/counts', '/changes', '/mark'].includes(path) || ITEM_ROUTE.test(path) || MARK_ROUTE.test(path);
    throw new HttpError(known ? 405 : 404, known ? ErrorCode.invalidInput : ErrorCode.notFound, known ? `${request.method} is not allowed here` : 'not found');
  };

  return {
    basePath,
    get openStreams() {
      return streams;
    },
    async token(recipient, tokenOptions = {}) {
      const ttl = tokenOptions.ttlSeconds ?? ttlSeconds;
      if (!Number.isSafeInteger(ttl) || ttl < 1) throw new VoxError(ErrorCode.invalidInput, `ttlSeconds must be a whole number above 0, not ${String(ttl)}`);
      return signToken(secrets, await inboxes.keyOf(options.model, recipient), ttl);
    },
    async fetch(request, context) {
      const url = new URL(request.url);
      const origin = request.headers.get('origin');
      const corsHeaders: Record<string, string> = origin !== null && cors.has(origin) ? { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' } : { Vary: 'Origin' };
      if (basePath !== '' && url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) return withHeaders(errorResponse(404, ErrorCode.notFound, 'not found'), corsHeaders);
      const path = url.pathname.slice(basePath.length) || '/';
      if (request.method === 'OPTIONS') {
        if (!corsHeaders['Access-Control-Allow-Origin']) return withHeaders(errorResponse(403, ErrorCode.csrf, `${origin ?? 'this origin'} is not one of the inbox's CORS origins`), corsHeaders);
        return new Response(null, {
          status: 204,
          headers: { ...corsHeaders, 'Access-Control-Allow-Methods': 'GET, POST', 'Access-Control-Allow-Headers': 'Authorization, Content-Type, Last-Event-ID', 'Access-Control-Max-Age': '600' },
        });
      }
      const response = await withBodyLimit(request, maxBodyBytes, (limited) =>
        route(limited, url, path, context).catch((error: unknown) => {
          if (error instanceof HttpError) return errorResponse(error.status, error.code, error.message);
          if (error instanceof VoxError && error.code === ErrorCode.bodyTooLarge) throw error;
          // The request's fault (404, 400), or the app's set-up (a model without in-app contacts: 500).
          if (error instanceof VoxError) return errorResponse(error.code === ErrorCode.notFound ? 404 : error.code === ErrorCode.invalidInput ? 400 : 500, error.code, error.message);
          throw error;
        }),
      );
      return withHeaders(response, corsHeaders);
    },
  };
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });
}

function errorResponse(status: number, code: ErrorCode, message: string): Response {
  return json({ error: { code, message } }, status);
}

function withHeaders(response: Response, headers: Record<string, string>): Response {
  for (const [name, value] of Object.entries(headers)) if (!response.headers.has(name)) response.headers.set(name, value);
  return response;
}
