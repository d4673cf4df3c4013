/** Reading a Server-Sent Events stream in tests with eventsource-parser, as a browser's EventSource would. */
import { EventSourceParserStream } from 'eventsource-parser/stream';
import type { EventSourceMessage } from 'eventsource-parser';
import { waitFor } from './wait.ts';

export interface OpenEvents {
  readonly response: Response;
  /** Every event so far, in order. */
  readonly events: EventSourceMessage[];
  /** Every comment line so far (heartbeats). */
  readonly comments: string[];
  /** The `retry` the server asked for. */
  retry: number | undefined;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  /** The first event from index `from` on that matches, waiting up to `timeoutMs`. */
  next(match: (event: EventSourceMessage) => boolean, options?: { readonly from?: number; readonly timeoutMs?: number; readonly what?: string }): Promise<EventSourceMessage>;
  close(): void;
}

/** Opens a stream; resolves once the response headers arrived (check `response.status` first). */
export async function openEvents(url: string, headers: Record<string, string> = {}): Promise<OpenEvents> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const events: EventSourceMessage[] = [];
  const comments: string[] = [];
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  const opened: OpenEvents = {
    ended,
    response,
    events,
    comments,
    retry: undefined,
    async next(match, options = {}) {
      return waitFor(() => events.slice(options.from ?? 0).find(match), { timeoutMs: options.timeoutMs ?? 5000, what: options.what ?? 'an event', intervalMs: 5 });
    },
    close: () => abort.abort(),
  };
  if (response.ok && response.body) {
    const reader = response.body
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(new EventSourceParserStream({ onComment: (comment) => comments.push(comment), onRetry: (retry) => (opened.retry = retry) }))
      .getReader();
    void (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return end();
        events.push(value);
      }
    })().catch(() => end());
  }
  return opened;
}
