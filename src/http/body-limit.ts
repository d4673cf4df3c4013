/**
 * Bounded request bodies, for every `fetch(Request)` handler Vox mounts (the admin, the ActivityPub
 * endpoints): a body is refused by its Content-Length before a byte of it is read, and while it
 * streams once it grows past the limit, so an oversized request never sits in memory.
 */
import { BodyTooLargeError, ErrorCode, VoxError } from '../vocabulary/errors.ts';

/** The default limit, 1 MiB: about what Mastodon accepts for an activity, and far above any template. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Checks a `maxBodyBytes` option where a handler is set up, so that a wrong one fails at start-up. */
export function maxBodyBytesOption(value: number | undefined, where: string): number {
  if (value === undefined) return DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(value) || value < 1) throw new VoxError(ErrorCode.configuration, `${where}: maxBodyBytes must be a whole number of bytes above 0, not ${String(value)}`);
  return value;
}

/** The 413 answer: `{ "error": { "code": "VOX_BODY_TOO_LARGE", "message": … } }`, and the connection closes. */
export function bodyTooLargeResponse(maxBytes: number): Response {
  const error = new BodyTooLargeError(maxBytes);
  return Response.json({ error: { code: error.code, message: error.message } }, { status: 413, headers: { Connection: 'close', 'Cache-Control': 'no-store' } });
}

/**
 * Answers `request` with `handler`, which is handed a copy of it whose body stops at `maxBytes`:
 * reading it fails with {@link BodyTooLargeError} at once when the Content-Length says more, or as
 * soon as the bytes streamed pass the limit, and the answer is then 413, whatever the handler made
 * of the failure. Nothing is read before the handler reads, so a request the handler passes on
 * (to a host's `next`) keeps its own body untouched.
 */
export async function withBodyLimit(request: Request, maxBytes: number, handler: (request: Request) => Promise<Response>): Promise<Response> {
  if (request.method === 'GET' || request.method === 'HEAD') return handler(request);
  let exceeded = false;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let size = 0;
  // The rest of an oversized body is left unread, not cancelled: cancelling Node's request stream
  // destroys the socket before the 413 is written. The server drains or closes it after answering.
  const refuse = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    exceeded = true;
    controller.error(new BodyTooLargeError(maxBytes));
  };
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!reader) {
          if (Number(request.headers.get('content-length')) > maxBytes) return refuse(controller);
          if (!request.body) return controller.close();
          reader = request.body.getReader();
        }
        const { done, value } = await reader.read();
        if (done) return controller.close();
        size += value.byteLength;
        if (size > maxBytes) return refuse(controller);
        controller.enqueue(value);
      },
    },
    // Pull nothing until the handler reads.
    { highWaterMark: 0 },
  );
  // A streamed body needs `duplex: 'half'`, which the DOM typings of RequestInit do not know yet.
  const init: RequestInit & { duplex: 'half' } = { method: request.method, headers: request.headers, body, duplex: 'half', signal: request.signal };
  const limited = new Request(request.url, init);
  try {
    const response = await handler(limited);
    return exceeded ? bodyTooLargeResponse(maxBytes) : response;
  } catch (error) {
    if (exceeded) return bodyTooLargeResponse(maxBytes);
    throw error;
  }
}
