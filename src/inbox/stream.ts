/**
 * One recipient's Server-Sent Events stream, as a standard `Response` whose body is a
 * ReadableStream, so that any server that speaks `fetch` (Node through @hono/node-server, Deno,
 * Bun, Next.js route handlers) can serve it. Events:
 *
 * - `item`: a new item (JSON), its id as the event id;
 * - `counts`: `{ unread, unseen }`, after the items, on connecting and whenever they change;
 * - a comment line (`: heartbeat`) every `heartbeatMs`, so that proxies keep the connection open.
 *
 * A client that reconnects with `Last-Event-ID` (EventSource does) first gets the items it missed.
 * A stream opened with a recipient token ends when the token expires.
 */
import type { Inboxes } from './inbox.ts';
import { InboxStream } from './hub.ts';

export interface StreamOptions {
  /** The newest item the client has, from `Last-Event-ID`. */
  readonly lastEventId: number | undefined;
  readonly heartbeatMs: number;
  readonly retryMs: number;
  /** Most bytes held for a client that does not read them; past this the stream is closed. */
  readonly maxBacklogBytes: number;
  /** Its signal ends the stream when the client goes away. */
  readonly request: Request;
  readonly onClose: () => void;
  /** When a stream opened with a recipient token ends: the token's expiry (ms since the epoch). */
  readonly endsAt?: number;
}

const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-store, no-transform',
  'X-Content-Type-Options': 'nosniff',
  // nginx buffers responses unless told not to.
  'X-Accel-Buffering': 'no',
};

export async function openStream(inboxes: Inboxes, recipient: string, options: StreamOptions): Promise<Response> {
  const hub = await inboxes.hub(options.heartbeatMs);
  let stream: InboxStream | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      stream = new InboxStream(recipient, controller, options.maxBacklogBytes, () => {
        hub.remove(stream!);
        options.onClose();
      });
      hub.add(stream);
    },
    cancel() {
      stream?.close();
    },
    // Counted in bytes, and nothing held ahead of a read: what is queued is what the client has not taken.
  }, new ByteLengthQueuingStrategy({ highWaterMark: 0 }));
  const opened = stream!;
  options.request.signal.addEventListener('abort', () => opened.close(), { once: true });
  // A token's stream ends when the token does; the client comes back with a new one.
  if (options.endsAt !== undefined) {
    const timer = setTimeout(() => opened.close(), Math.max(0, options.endsAt - Date.now())).unref();
    opened.onClosed(() => clearTimeout(timer));
  }
  opened.write(`retry: ${options.retryMs}\n\n`);
  // The stream is in the hub before its starting point is read, so nothing written meanwhile is missed.
  void (async () => {
    opened.lastId = options.lastEventId ?? (await inboxes.rows.latestId(recipient));
    await hub.refresh([recipient]);
  })().catch(() => opened.close());
  return new Response(body, { headers: SSE_HEADERS });
}
