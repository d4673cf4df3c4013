/**
 * Answering Node's requests (`IncomingMessage`, `ServerResponse`) with a Vox `fetch` handler, for the
 * Express and Fastify adapters: @hono/node-server (a dependency of Vox's admin already) makes the
 * `Request` and writes the `Response` chunk by chunk, so streamed answers (Server-Sent Events) stream.
 * A body that the host's body parser has already read is made again from what it parsed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { getRequestListener as GetRequestListener } from '@hono/node-server';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';

/** Options of {@link answerNode}. */
export interface AnswerNodeOptions {
  /** Host name of request URLs when a request has no Host header. @default 'localhost' */
  readonly hostname?: string;
  /** Receives what the answer throws; without it, the response is a 500. Returning nothing leaves the response to the caller. */
  readonly onError?: (error: unknown) => Response | undefined;
}

let loaded: Promise<typeof GetRequestListener> | undefined;

/** Answers one Node request with `answer`, given it as a `Request`; @hono/node-server loads with the first request. */
export async function answerNode(incoming: IncomingMessage, outgoing: ServerResponse, answer: (request: Request) => Promise<Response>, options: AnswerNodeOptions = {}): Promise<void> {
  loaded ??= import('@hono/node-server').then((module) => module.getRequestListener);
  const getRequestListener = await loaded;
  const { onError } = options;
  const listener = getRequestListener(answer, {
    hostname: options.hostname ?? 'localhost',
    overrideGlobalObjects: false,
    ...(onError ? { errorHandler: onError } : {}),
  });
  return listener(incoming, outgoing);
}

/** A Node request as body parsers leave it: `body` (express.json(), express.urlencoded(), …), perhaps `rawBody`. */
type ParsedIncoming = IncomingMessage & { readonly body?: unknown; readonly rawBody?: unknown };

/**
 * The request with its body made again when the host's body parser has read the stream: the raw
 * bytes when the app kept them as `req.rawBody`, else `req.body` as the request's content type says
 * (JSON, URL-encoded form, text, bytes). The handler's body limit then applies to it as to any
 * body. Throws VOX_CONFIGURATION for a body read by a parser whose result cannot be made into bytes
 * again (a multipart form): the handler must then be mounted before that parser.
 */
export function withParsedBody(request: Request, incoming: ParsedIncoming): Request {
  if (!incoming.readableEnded || request.method === 'GET' || request.method === 'HEAD') return request;
  const body = bytesOf(incoming);
  const headers = new Headers(request.headers);
  // The parser has decoded the transfer and content encodings: the bytes are plain now.
  headers.delete('transfer-encoding');
  headers.delete('content-encoding');
  headers.set('content-length', String(Buffer.byteLength(body)));
  return new Request(request.url, { method: request.method, headers, body, signal: request.signal });
}

function bytesOf(incoming: ParsedIncoming): Uint8Array<ArrayBuffer> | string {
  const { rawBody, body } = incoming;
  if (rawBody instanceof Uint8Array) return new Uint8Array(rawBody);
  if (typeof rawBody === 'string') return rawBody;
  if (body instanceof Uint8Array) return new Uint8Array(body);
  if (typeof body === 'string') return body;
  const type = (incoming.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (body === undefined && Number(incoming.headers['content-length'] ?? 0) === 0) return '';
  if (body !== undefined && (type === 'application/json' || type.endsWith('+json'))) return JSON.stringify(body);
  if (typeof body === 'object' && body !== null && type === 'application/x-www-form-urlencoded') return formEncoded(body).toString();
  throw new VoxError(
    ErrorCode.configuration,
    `the request body (${type || 'no content type'}) was read by a middleware before Vox's handler and cannot be made again from what it left; mount the handler before that middleware`,
  );
}

/** A parsed form (flat, or nested as `qs` parses `a[b]=c`) as URL-encoded fields again. */
function formEncoded(value: object, prefix = '', into = new URLSearchParams()): URLSearchParams {
  for (const [key, field] of Object.entries(value)) {
    const name = prefix ? `${prefix}[${key}]` : key;
    if (Array.isArray(field)) for (const item of field) into.append(name, String(item));
    else if (typeof field === 'object' && field !== null) formEncoded(field as object, name, into);
    else into.append(name, String(field));
  }
  return into;
}

/** The coded JSON answer of an adapter that cannot hand a request on: 404 outside the handler's basePath. */
export function notFound(path: string, basePath: string): Response {
  return Response.json({ error: { code: ErrorCode.notFound, message: `${path} is outside ${basePath}, where this handler is mounted` } }, { status: 404 });
}
