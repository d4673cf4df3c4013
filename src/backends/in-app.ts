/** `vox/backends/in-app`: the in-app inbox backend, which leaves one item per recipient in Vox's tables. */
import type { Kysely } from 'kysely';
import sanitizeHtml from 'sanitize-html';
import { DeliveryError, ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { Backend, BackendCapabilities, BackendHost, ComposeContext } from '../vocabulary/backend.ts';
import type { InboxActor } from '../vocabulary/inbox.ts';
import type { MessagePayload, RenderedTemplate } from '../vocabulary/payload.ts';
import { InboxRows, type NewInboxItem } from '../store/inbox.ts';
import type { VoxDatabase } from '../store/schema.ts';
import { markdownRenderer } from './email/markdown.ts';
import { parseFields } from './fields.ts';
import { invalidAddress } from './send.ts';

/** Options of {@link inApp}. */
export interface InAppOptions {
  /** @default 'in-app' */
  readonly id?: string;
  /** @default 'In-app inbox' */
  readonly label?: string;
}

/** Sends only write rows to Vox's database, batched by {@link ItemWriter}: many may be in flight. */
const CAPABILITIES: BackendCapabilities = { subject: false, fromAddress: false, attachments: false, manualSending: true, concurrency: 64 };

/** The fields an in-app template may have, besides `data.<key>` lines. */
const FIELDS = new Set(['title', 'body', 'link', 'actor', 'avatar']);
const MAX_ADDRESS = 200;

/** What HTML an item body may hold: what Markdown makes of text, links and lists, nothing active. */
const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: ['p', 'br', 'strong', 'em', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 's'],
  allowedAttributes: { a: ['href', 'rel'], ol: ['start'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowProtocolRelative: false,
  transformTags: { a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer nofollow' }) },
};

/**
 * The in-app inbox (`in-app`, protocol `in-app`): each recipient gets an item in Vox's tables,
 * which `vox.inbox()`, `vox.inboxHandler()` and the `<vox-inbox>` element show. A contact's address
 * is the recipient's inbox key (say `user:42`). The content is `key: value` lines:
 *
 * ```
 * title: {{ actor.name }} commented on {{ object.title }}
 * body: "{{ actor.comment }}"\n\nReply on the blog.
 * link: https://blog.example.org/{{ object.slug }}#comments
 * actor: {{ actor.name }}
 * avatar: {{ actor.avatar }}
 * data.kind: comment
 * ```
 *
 * `title` is required; `body` is Markdown, rendered and sanitized on the server (no raw HTML,
 * only http, https and mailto links); `link` is an http(s) URL or a path of the site; `actor`
 * (a name) and `avatar` (an http(s) URL) are optional; `data.<key>` lines reach the app's front
 * end as `data`. A message sent again leaves no second item.
 *
 * @example
 * createVox({ database, backends: [inApp()] })
 */
export function inApp(options: InAppOptions = {}): Backend {
  const id = options.id ?? 'in-app';
  const markdown = markdownRenderer();
  let writer: ItemWriter | undefined;
  const backend: Backend = {
    id,
    protocol: 'in-app',
    label: options.label ?? 'In-app inbox',
    format: 'fields',
    capabilities: CAPABILITIES,
    compose: (rendered, context) => composeItem(rendered, context, (text) => sanitizeHtml(markdown.render(text), SANITIZE)),
    contentProblems,
    validateAddress: (address) =>
      address.trim() === '' ? 'is empty' : address.length > MAX_ADDRESS ? `is longer than ${MAX_ADDRESS} characters` : /[\s\p{Cc}]/u.test(address) ? 'holds a space or a control character' : undefined,
    attach(host) {
      writer = new ItemWriter(new InboxRows(host.db as Kysely<VoxDatabase>), host);
    },
    async send(message) {
      if (!writer) throw new DeliveryError('the in-app backend is not attached to a Vox instance', { backend: id, permanent: true });
      const contacts = message.to.filter((contact) => !invalidAddress(backend, contact));
      const invalid = message.to.filter((contact) => invalidAddress(backend, contact));
      if (contacts.length === 0) throw invalidAddress(backend, message.to[0] ?? { name: '', protocol: 'in-app', address: '' }) ?? new DeliveryError('the message has no recipients', { backend: id, permanent: true });
      const { subject, html, data } = message.payload;
      const item = (data ?? {}) as { link?: string | null; actor?: InboxActor | null; data?: Record<string, string>; notification?: string | null };
      await writer.write(
        contacts.map((contact) => ({
          messageId: message.id,
          recipient: contact.address,
          notification: item.notification ?? null,
          title: subject ?? '',
          html: html ?? '',
          link: item.link ?? null,
          actor: item.actor ?? null,
          data: item.data ?? {},
        })),
      );
      return {
        providerMessageId: `in-app:${message.id}`,
        ...(invalid.length > 0 ? { rejected: invalid.map((contact) => ({ address: contact.address, error: invalidAddress(backend, contact)! })) } : {}),
      };
    },
  };
  return backend;
}

/**
 * Writes the items of the messages being sent at the same moment (a fan-out sends many at once) in
 * one statement, and tells the streams once: a round trip per batch rather than two per message.
 */
class ItemWriter {
  readonly #rows: InboxRows;
  readonly #host: BackendHost;
  #pending: { items: NewInboxItem[]; done: { resolve: () => void; reject: (error: unknown) => void }[] } | undefined;

  constructor(rows: InboxRows, host: BackendHost) {
    this.#rows = rows;
    this.#host = host;
  }

  write(items: readonly NewInboxItem[]): Promise<void> {
    if (!this.#pending) {
      const pending = { items: [] as NewInboxItem[], done: [] as { resolve: () => void; reject: (error: unknown) => void }[] };
      this.#pending = pending;
      setImmediate(() => {
        this.#pending = undefined;
        this.#flush(pending.items).then(
          () => pending.done.forEach((d) => d.resolve()),
          (error: unknown) => pending.done.forEach((d) => d.reject(error)),
        );
      });
    }
    const pending = this.#pending;
    pending.items.push(...items);
    return new Promise<void>((resolve, reject) => pending.done.push({ resolve, reject }));
  }

  async #flush(items: readonly NewInboxItem[]): Promise<void> {
    const added = await this.#rows.add(items);
    // The items are written: a failure to tell the streams loses no item (a stream that reconnects reads them).
    if (added.length > 0) await this.#host.inboxChanged?.(added).catch(() => {});
  }
}

/** Reads an in-app template's fields into the payload the log keeps and `send` writes. */
function composeItem({ parts }: RenderedTemplate, context: ComposeContext | undefined, toHtml: (markdown: string) => string): MessagePayload {
  const fields = parseFields(parts.fields ?? '');
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (key.startsWith('data.') && key.length > 5) data[key.slice(5)] = value;
    else if (!FIELDS.has(key)) throw new VoxError(ErrorCode.render, `an in-app template has no field ${JSON.stringify(key)}; use title, body, link, actor, avatar or data.<key>`);
  }
  const title = (fields.title ?? '').trim();
  if (title === '') throw new VoxError(ErrorCode.render, 'an in-app template needs a `title:` line that is not empty');
  const link = (fields.link ?? '').trim();
  if (link !== '' && !isSafeLink(link)) throw new VoxError(ErrorCode.render, `the link ${JSON.stringify(link.slice(0, 100))} is neither an http(s) URL nor a path of the site (/…)`);
  const avatar = (fields.avatar ?? '').trim();
  if (avatar !== '' && !/^https?:\/\//i.test(avatar)) throw new VoxError(ErrorCode.render, `the avatar ${JSON.stringify(avatar.slice(0, 100))} is not an http(s) URL`);
  const actorName = (fields.actor ?? '').trim();
  const actor: InboxActor | null = actorName === '' && avatar === '' ? null : { name: actorName, avatar: avatar === '' ? null : avatar };
  return {
    subject: title,
    html: toHtml(fields.body ?? ''),
    data: { link: link === '' ? null : link, actor, data, notification: context?.notification.id ?? null },
  };
}

/**
 * Problems of an in-app template as written: every line is `key: value` (or a Liquid tag), keys are
 * known, a `title` line is there, and a `link` or `avatar` whose start is written out (before any
 * variable) is not of another scheme than http(s). What variables bring is checked when sending.
 */
function contentProblems(content: string): string[] {
  const problems: string[] = [];
  let title = false;
  content.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('{%')) return;
    const colon = line.indexOf(':');
    const key = colon < 0 ? '' : line.slice(0, colon).trim();
    // Lines that are not `key: value` with a key written out are the fields format's own problems.
    if (key === '' || key.includes('{{') || key.includes('{%')) return;
    if (!FIELDS.has(key) && !(key.startsWith('data.') && key.length > 5)) return void problems.push(`line ${index + 1}: no field ${JSON.stringify(key)}; use title, body, link, actor, avatar or data.<key>`);
    const value = line.slice(colon + 1).trim();
    if (key === 'title' && value !== '') title = true;
    const written = value.split(/\{[{%]/)[0] ?? '';
    if ((key === 'link' || key === 'avatar') && (/^[a-z][a-z0-9+.-]*:/i.test(written) ? !/^https?:/i.test(written) : key === 'avatar' ? written !== '' && !/^https?$/i.test(written) : written.startsWith('//'))) {
      problems.push(`line ${index + 1}: the ${key} ${JSON.stringify(written.slice(0, 60))} is not ${key === 'link' ? 'an http(s) URL or a path of the site (/…)' : 'an http(s) URL'}`);
    }
  });
  if (!title) problems.push('an in-app template needs a `title:` line');
  return problems;
}

/** An http(s) URL, or a path of the site (`/…`, but not `//host`, which leaves it). */
function isSafeLink(link: string): boolean {
  if (link.startsWith('/')) return !link.startsWith('//') && !link.startsWith('/\\');
  try {
    const url = new URL(link);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
