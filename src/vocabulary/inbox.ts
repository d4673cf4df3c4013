/** The in-app inbox's words: items as a recipient sees them, filters, counts, marks, and the event bus seam. */

/** Who an item is from, as its template says. */
export interface InboxActor {
  readonly name: string;
  /** A picture's URL (http or https), when the template gives one. */
  readonly avatar: string | null;
}

/** One item of a recipient's in-app inbox: what one message of the `in-app` backend left for one recipient. */
export interface InboxItem {
  readonly id: number;
  /** The message of the log it came from; null for items made otherwise. */
  readonly messageId: number | null;
  /** `<model>.<codename>` of the notification, or null for one-time messages. */
  readonly notification: string | null;
  readonly title: string;
  /** The body, rendered from Markdown and sanitized on the server: safe to put in a page as HTML. */
  readonly html: string;
  /** Where the item leads: an http(s) URL or a path of the site, or null. */
  readonly link: string | null;
  readonly actor: InboxActor | null;
  /** Whatever the template's `data.<key>` lines gave, for the app's own front end. */
  readonly data: Readonly<Record<string, string>>;
  readonly createdAt: string;
  readonly seenAt: string | null;
  readonly readAt: string | null;
  readonly archivedAt: string | null;
}

/**
 * Which items a list shows: `all` every item not archived (the inbox as a bell shows it), `unread`
 * and `unseen` those of them not read or not seen, `archived` the archived ones.
 */
export type InboxFilter = 'all' | 'unread' | 'unseen' | 'archived';

export const INBOX_FILTERS: readonly InboxFilter[] = Object.freeze(['all', 'unread', 'unseen', 'archived']);

/** How many items not archived are unread and unseen, counted from the items themselves. */
export interface InboxCounts {
  readonly unread: number;
  readonly unseen: number;
}

/** One page of a list, newest first. */
export interface InboxPage {
  readonly items: readonly InboxItem[];
  /** Pass it as `cursor` for the next (older) page; null on the last page. */
  readonly nextCursor: string | null;
}

/** A state to set on items: seen, read (which is seen too), archived, or their opposites. */
export type InboxMark = 'seen' | 'unseen' | 'read' | 'unread' | 'archived' | 'unarchived';

export const INBOX_MARKS: readonly InboxMark[] = Object.freeze(['seen', 'unseen', 'read', 'unread', 'archived', 'unarchived']);

/**
 * Carries short text messages to every process subscribed to it: in-process for SQLite, PostgreSQL
 * `LISTEN/NOTIFY`, Redis pub/sub. The inbox tells its event streams with it that a recipient's items
 * changed; the items themselves are always read from the database.
 */
export interface EventBus {
  /** Sends each payload (at most 7,000 bytes) to every subscriber, this process's included. */
  publish(payloads: readonly string[]): Promise<void>;
  /**
   * Calls `listener` with every payload published from now on, and with `null` when payloads may
   * have been lost (a reconnection), so that subscribers read the state again. Resolves once
   * listening; returns the way to stop.
   */
  subscribe(listener: (payload: string | null) => void): Promise<() => Promise<void>>;
  /** Closes the connections it opened. */
  close(): Promise<void>;
}
