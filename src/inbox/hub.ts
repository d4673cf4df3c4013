/**
 * The open event streams of one process, by recipient: when the bus says that recipients' items
 * changed, the hub reads their new items and counts in a few batched queries and writes them to
 * each of their streams; it also keeps every stream alive with heartbeats.
 */
import type { InboxCounts, InboxItem } from '../vocabulary/inbox.ts';
import type { InboxRows } from '../store/inbox.ts';
import { recipientsOf } from './events.ts';

/** Recipients refreshed per round of queries. */
const BATCH = 500;
/** Most items one refresh writes to a stream; a client that missed more reloads its list. */
export const MAX_ITEMS_PER_REFRESH = 100;

const encoder = new TextEncoder();

/** One open Server-Sent Events stream of a recipient. */
export class InboxStream {
  readonly recipient: string;
  /** The newest item id the client has, or undefined until the stream has started. */
  lastId: number | undefined;
  readonly #controller: ReadableStreamDefaultController<Uint8Array>;
  #closed = false;
  readonly #onClose: () => void;
  readonly #closeListeners: (() => void)[] = [];
  readonly #maxBacklogBytes: number;

  constructor(recipient: string, controller: ReadableStreamDefaultController<Uint8Array>, maxBacklogBytes: number, onClose: () => void) {
    this.recipient = recipient;
    this.#controller = controller;
    this.#maxBacklogBytes = maxBacklogBytes;
    this.#onClose = onClose;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Writes raw SSE text; a stream whose client has gone is closed, and so is one whose client has
   * left more than the backlog limit unread (it reconnects and catches up from its last event id),
   * so that a stalled connection cannot make the process hold ever more.
   */
  write(text: string): void {
    if (this.#closed) return;
    try {
      this.#controller.enqueue(encoder.encode(text));
    } catch {
      this.close();
      return;
    }
    // With a high-water mark of 0, -desiredSize is the bytes queued and not read.
    if (-(this.#controller.desiredSize ?? 0) > this.#maxBacklogBytes) this.close();
  }

  /** New items (oldest first, each with its id as the event id), then the counts. */
  deliver(items: readonly InboxItem[], counts: InboxCounts): void {
    let text = '';
    for (const item of items) {
      if (this.lastId !== undefined && item.id <= this.lastId) continue;
      this.lastId = item.id;
      text += `id: ${item.id}\nevent: item\ndata: ${JSON.stringify(item)}\n\n`;
    }
    text += `id: ${this.lastId ?? 0}\nevent: counts\ndata: ${JSON.stringify(counts)}\n\n`;
    this.write(text);
  }

  /** Runs `listener` when the stream closes. */
  onClosed(listener: () => void): void {
    this.#closeListeners.push(listener);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const listener of this.#closeListeners) listener();
    try {
      this.#controller.close();
    } catch {
      // already closed by the client going away
    }
    this.#onClose();
  }
}

/** The streams of one process and the refreshes the bus asks for. */
export class InboxHub {
  readonly #rows: InboxRows;
  readonly #streams = new Map<string, Set<InboxStream>>();
  readonly #pending = new Set<string>();
  #flushing: Promise<void> | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  readonly #heartbeatMs: number;

  constructor(rows: InboxRows, heartbeatMs: number) {
    this.#rows = rows;
    this.#heartbeatMs = heartbeatMs;
  }

  /** How many streams are open. */
  get size(): number {
    let size = 0;
    for (const set of this.#streams.values()) size += set.size;
    return size;
  }

  add(stream: InboxStream): void {
    let set = this.#streams.get(stream.recipient);
    if (!set) this.#streams.set(stream.recipient, (set = new Set()));
    set.add(stream);
    this.#heartbeat ??= setInterval(() => this.#beat(), this.#heartbeatMs).unref();
  }

  remove(stream: InboxStream): void {
    const set = this.#streams.get(stream.recipient);
    set?.delete(stream);
    if (set?.size === 0) this.#streams.delete(stream.recipient);
    if (this.#streams.size === 0 && this.#heartbeat) {
      clearInterval(this.#heartbeat);
      this.#heartbeat = undefined;
    }
  }

  /** What the bus delivered: a payload naming recipients, or null to refresh everyone. */
  onPayload(payload: string | null): void {
    const recipients = payload === null ? [...this.#streams.keys()] : recipientsOf(payload);
    this.refresh(recipients);
  }

  /** Reads and writes these recipients' new items and counts, soon, batched with other refreshes. */
  refresh(recipients: readonly string[]): Promise<void> {
    for (const recipient of recipients) if (this.#streams.has(recipient)) this.#pending.add(recipient);
    this.#flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#flush());
    return this.#flushing;
  }

  async #flush(): Promise<void> {
    try {
      while (this.#pending.size > 0) {
        const recipients = [...this.#pending].slice(0, BATCH);
        for (const recipient of recipients) this.#pending.delete(recipient);
        await this.#refreshBatch(recipients).catch(() => {
          // The database is unreachable: the next change or the client's reconnection tries again.
        });
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  async #refreshBatch(recipients: readonly string[]): Promise<void> {
    const streams = recipients.flatMap((recipient) => [...(this.#streams.get(recipient) ?? [])]).filter((s) => s.lastId !== undefined);
    if (streams.length === 0) return;
    // The newest items first: what just arrived is never crowded out by older items of a recipient
    // whose stream has them already (ids are shared by all recipients).
    const oldest = Math.min(...streams.map((s) => s.lastId!));
    const [counts, items] = await Promise.all([this.#rows.counts(recipients), this.#rows.after(recipients, oldest, MAX_ITEMS_PER_REFRESH * recipients.length, 'newest')]);
    const byRecipient = new Map<string, InboxItem[]>();
    for (const { recipient, item } of items) {
      let list = byRecipient.get(recipient);
      if (!list) byRecipient.set(recipient, (list = []));
      list.push(item);
    }
    for (const stream of streams) {
      const own = (byRecipient.get(stream.recipient) ?? []).filter((item) => item.id > stream.lastId!).slice(-MAX_ITEMS_PER_REFRESH);
      stream.deliver(own, counts.get(stream.recipient) ?? { unread: 0, unseen: 0 });
    }
  }

  #beat(): void {
    for (const set of this.#streams.values()) for (const stream of set) stream.write(': heartbeat\n\n');
  }

  /** Closes every stream (the process is stopping). */
  close(): void {
    for (const set of [...this.#streams.values()]) for (const stream of [...set]) stream.close();
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}
