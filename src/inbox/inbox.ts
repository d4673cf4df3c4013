/** `vox.inbox(Model, recipient)`: a recipient's in-app items, listed, counted and marked; changes are published. */
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import { INBOX_FILTERS, INBOX_MARKS, type EventBus, type InboxCounts, type InboxFilter, type InboxItem, type InboxMark, type InboxPage } from '../vocabulary/inbox.ts';
import type { ModelReference, NotificationRef } from '../vocabulary/model.ts';
import type { Registry } from '../registry/registry.ts';
import type { InboxRows } from '../store/inbox.ts';
import { contactsOf } from '../delivery/context.ts';
import { changePayloads } from './events.ts';
import { InboxHub } from './hub.ts';

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;
/** Most ids one mark may name. */
export const MAX_IDS = 1000;

/** What a model's `in-app` contacts function is told when Vox looks up a recipient's inbox. */
const INBOX_REF: NotificationRef = Object.freeze({ id: 'inbox', model: '', codename: 'inbox', description: "The recipient's in-app inbox" });

/** Options of {@link Inbox.list}. */
export interface InboxListOptions {
  /** @default 'all' (every item not archived) */
  readonly filter?: InboxFilter;
  /** @default 20, at most 100 */
  readonly limit?: number;
  /** A page's `nextCursor`, for the page after it. */
  readonly cursor?: string;
}

/** One recipient's in-app inbox. */
export interface Inbox {
  /** The recipient's `in-app` address: the key of its items. */
  key(): Promise<string>;
  /** Items newest first, a page at a time. */
  list(options?: InboxListOptions): Promise<InboxPage>;
  /** One item, or undefined when the recipient has no item of this id. */
  get(id: number): Promise<InboxItem | undefined>;
  /** Unread and unseen items that are not archived. */
  counts(): Promise<InboxCounts>;
  /**
   * Marks one item, several, or `'all'` as seen, read, archived or their opposites; returns how
   * many changed. An id that is not one of the recipient's items throws `VOX_NOT_FOUND` and
   * nothing is marked.
   */
  mark(ids: number | readonly number[] | 'all', mark: InboxMark): Promise<number>;
}

/** The inboxes of one Vox instance: key lookup, the API, the bus and this process's event streams. */
export class Inboxes {
  readonly rows: InboxRows;
  readonly #registry: Registry;
  readonly #openBus: () => EventBus;
  #bus: EventBus | undefined;
  #hub: Promise<InboxHub> | undefined;
  #unsubscribe: (() => Promise<void>) | undefined;

  constructor(rows: InboxRows, registry: Registry, openBus: () => EventBus) {
    this.rows = rows;
    this.#registry = registry;
    this.#openBus = openBus;
  }

  get bus(): EventBus {
    return (this.#bus ??= this.#openBus());
  }

  /** The `in-app` address of a model's object: the first its `in-app` contacts give. */
  async keyOf(model: ModelReference, recipient: unknown): Promise<string> {
    if (!this.#registry.has(model.name)) throw new VoxError(ErrorCode.unknownModel, `model ${model.name} is not registered`);
    const contacts = this.#registry.get(model.name).contacts.get('in-app');
    if (!contacts) throw new VoxError(ErrorCode.contacts, `model ${model.name} has no in-app contacts: add contacts: { 'in-app': (o) => contact(o.name, 'in-app', \`user:\${o.id}\`) }`);
    const [first] = await contactsOf(contacts(recipient, { ...INBOX_REF, model: model.name }), 'in-app', '');
    if (!first) throw new VoxError(ErrorCode.contacts, `this ${model.name} has no in-app address`);
    return first.address;
  }

  /** The inbox of a recipient given by its key, or by a model and an object. */
  of(key: string | (() => Promise<string>)): Inbox {
    let resolved: Promise<string> | undefined;
    const keyOf = () => (resolved ??= typeof key === 'string' ? Promise.resolve(key) : key());
    return {
      key: keyOf,
      list: async (options = {}) => this.#list(await keyOf(), options),
      get: async (id) => (Number.isSafeInteger(id) ? this.rows.get(await keyOf(), id) : undefined),
      counts: async () => (await this.rows.counts([await keyOf()])).get(await keyOf()) ?? { unread: 0, unseen: 0 },
      mark: async (ids, mark) => this.#mark(await keyOf(), ids, mark),
    };
  }

  /** Tells every process's streams that these recipients' items changed. */
  async changed(recipients: readonly string[]): Promise<void> {
    if (recipients.length > 0) await this.bus.publish(changePayloads(recipients));
  }

  /** This process's streams, listening on the bus from the first call. */
  hub(heartbeatMs: number): Promise<InboxHub> {
    this.#hub ??= (async () => {
      const hub = new InboxHub(this.rows, heartbeatMs);
      this.#unsubscribe = await this.bus.subscribe((payload) => hub.onPayload(payload));
      return hub;
    })();
    this.#hub.catch(() => {
      this.#hub = undefined;
    });
    return this.#hub;
  }

  async close(): Promise<void> {
    const hub = await this.#hub?.catch(() => undefined);
    hub?.close();
    await this.#unsubscribe?.();
    await this.#bus?.close();
  }

  async #list(key: string, { filter = 'all', limit = DEFAULT_LIMIT, cursor }: InboxListOptions): Promise<InboxPage> {
    if (!INBOX_FILTERS.includes(filter)) throw new VoxError(ErrorCode.invalidInput, `filter must be one of ${INBOX_FILTERS.join(', ')}, not ${JSON.stringify(filter)}`);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new VoxError(ErrorCode.invalidInput, `limit must be a whole number from 1 to ${MAX_LIMIT}, not ${String(limit)}`);
    const before = cursor === undefined ? undefined : readCursor(cursor);
    const items = await this.rows.list(key, { filter, limit: limit + 1, ...(before === undefined ? {} : { before }) });
    const page = items.slice(0, limit);
    return { items: page, nextCursor: items.length > limit ? writeCursor(page[page.length - 1]!.id) : null };
  }

  async #mark(key: string, target: number | readonly number[] | 'all', mark: InboxMark): Promise<number> {
    if (!INBOX_MARKS.includes(mark)) throw new VoxError(ErrorCode.invalidInput, `mark must be one of ${INBOX_MARKS.join(', ')}, not ${JSON.stringify(mark)}`);
    const ids = target === 'all' ? 'all' : [...new Set(typeof target === 'number' ? [target] : target)];
    if (ids !== 'all') {
      if (!Array.isArray(ids) || ids.length > MAX_IDS || !ids.every((id) => Number.isSafeInteger(id))) {
        throw new VoxError(ErrorCode.invalidInput, `mark takes an item id, a list of at most ${MAX_IDS} ids, or 'all'`);
      }
      const missing = await this.rows.notOwned(key, ids);
      if (missing.length > 0) throw new VoxError(ErrorCode.notFound, `no inbox item ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''} of this recipient`);
    }
    const changed = await this.rows.mark(key, ids, mark);
    if (changed > 0) await this.changed([key]);
    return changed;
  }
}

/** Cursors are opaque to callers: an item id, so that pages hold whatever is written meanwhile. */
function writeCursor(id: number): string {
  return Buffer.from(`before:${id}`).toString('base64url');
}

function readCursor(cursor: string): number {
  const match = /^before:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) throw new VoxError(ErrorCode.invalidInput, `cursor ${JSON.stringify(cursor.slice(0, 40))} is not one a page gave`);
  return Number(match[1]);
}
