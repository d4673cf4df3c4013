/**
 * The captured outbox of a test Vox: each backend keeps its id, protocol, format and `compose`
 * (payloads are built for real), and its `send` records the message here instead of reaching a
 * provider. Assertions on the outbox say what was expected and what was captured.
 */
import type { Backend } from '../vocabulary/backend.ts';
import type { Contact } from '../vocabulary/contact.ts';
import { DeliveryError } from '../vocabulary/errors.ts';
import type { MessagePayload, OutboundMessage, SendResult } from '../vocabulary/payload.ts';
import { checkMatch, fail, mismatch, show } from './match.ts';

/** A message a backend of a test Vox was asked to send. */
export interface SentMessage {
  /** Its row id in the message log. */
  readonly id: number;
  readonly backend: string;
  /** `<model>.<codename>`, or null for a one-time message sent from the admin. */
  readonly notification: string | null;
  readonly issueId: number | null;
  /** The template's from address; undefined when it has none and the backend uses its default. */
  readonly from: string | undefined;
  /** The recipients the backend accepted (addresses it finds malformed are refused, as for real). */
  readonly to: readonly Contact[];
  readonly subject: string | undefined;
  /** What the backend's `compose` made of the rendered template. */
  readonly payload: MessagePayload;
  /**
   * What the template saw of the issue: `object` (and `content`), `actor` and `target` as notify()
   * recorded them (after the model's schema), and `contact` for a message to one contact.
   */
  readonly variables: Readonly<Record<string, unknown>>;
}

/** What {@link Outbox.assertSent} and the other assertions look for; every field given must match. */
export interface SentMatch {
  /** Backend id, for example `email-html`. */
  readonly backend?: string;
  /** `<model>.<codename>`, for example `shop.order.placed`. */
  readonly notification?: string;
  /** An address among the message's recipients. */
  readonly to?: string;
  readonly subject?: string | RegExp;
  /** Found in the payload's text or HTML part: a string as a substring, a RegExp by testing it. */
  readonly content?: string | RegExp;
  /** Some of {@link SentMessage.variables}: objects match on the keys given, arrays item by item. */
  readonly variables?: Readonly<Record<string, unknown>>;
}

const MATCH_FIELDS = ['backend', 'notification', 'to', 'subject', 'content', 'variables'];

/** What the outbox needs to know about a message it captures, looked up in the message log. */
export type MessageOrigin = (message: OutboundMessage) => Promise<Pick<SentMessage, 'notification' | 'issueId' | 'variables'>>;

/** Messages captured from the backends of a test Vox, oldest first. */
export class Outbox {
  readonly #messages: SentMessage[] = [];
  readonly #origin: MessageOrigin;

  /** `origin` finds what a message is about; createTestVox gives one that reads its message log. */
  constructor(origin: MessageOrigin) {
    this.#origin = origin;
  }

  /** Every captured message, oldest first. */
  get messages(): readonly SentMessage[] {
    return [...this.#messages];
  }

  /** The messages one backend was asked to send. */
  backend(id: string): readonly SentMessage[] {
    return this.#messages.filter((m) => m.backend === id);
  }

  /** The captured messages that match. */
  sent(match: SentMatch = {}): readonly SentMessage[] {
    checkMatch(match, MATCH_FIELDS, 'outbox.sent');
    return this.#messages.filter((m) => reasonNotMatching(match, m) === undefined);
  }

  /** Forgets the captured messages. */
  clear(): void {
    this.#messages.length = 0;
  }

  /**
   * Checks that a message matching `match` was sent (exactly `times` of them, when given) and
   * returns the first. Call it after `await vox.drain()`.
   *
   * @example
   * vox.outbox.assertSent({ to: 'ann@example.org', notification: 'shop.order.placed', variables: { object: { item: 'Tea' } } });
   */
  assertSent(match: SentMatch, options: { readonly times?: number } = {}): SentMessage {
    checkMatch(match, MATCH_FIELDS, 'outbox.assertSent', options.times);
    const found = this.sent(match);
    const wanted = options.times;
    if (found.length > 0 && (wanted === undefined || found.length === wanted)) return found[0]!;
    const what = `${wanted === undefined ? 'a message' : `${wanted} message${wanted === 1 ? '' : 's'}`} matching ${show(match)}`;
    if (found.length > 0) {
      fail(`expected ${what}; ${found.length} matched:\n${found.map((m) => `  ${describe(m, this.#messages)}`).join('\n')}`, wanted, found.length, 'assertSent');
    }
    if (this.#messages.length === 0) {
      fail(`expected ${what}, but nothing was sent (await vox.drain() after the code under test; is there a template of this notification for this backend and these recipients?)`, match, [], 'assertSent');
    }
    const lines = this.#messages.map((m) => `  ${describe(m, this.#messages)}: ${reasonNotMatching(match, m) ?? 'matches'}`);
    fail(`expected ${what}, but none of the ${this.#messages.length} captured matches:\n${lines.join('\n')}`, match, this.#messages.map(summary), 'assertSent');
  }

  /** Checks that no message matching `match` was sent. */
  assertNotSent(match: SentMatch): void {
    const found = this.sent(match);
    if (found.length === 0) return;
    fail(`expected no message matching ${show(match)}, but ${found.length} matched:\n${found.map((m) => `  ${describe(m, this.#messages)}`).join('\n')}`, [], found.map(summary), 'assertNotSent');
  }

  /** Checks that nothing at all was sent. */
  assertNothingSent(): void {
    if (this.#messages.length === 0) return;
    fail(`expected nothing sent, but ${this.#messages.length} message${this.#messages.length === 1 ? ' was' : 's were'}:\n${this.#messages.map((m) => `  ${describe(m, this.#messages)}`).join('\n')}`, [], this.#messages.map(summary), 'assertNothingSent');
  }

  /**
   * `backend` as a test Vox uses it: everything but `send` is the backend's own; `send` refuses
   * malformed addresses as the backend would, and captures the message here.
   */
  capture(backend: Backend): Backend {
    const send = async (message: OutboundMessage): Promise<SendResult> => {
      const rejected: { address: string; error: Error }[] = [];
      const to = message.to.filter((contact) => {
        const problem = backend.validateAddress?.(contact.address);
        if (problem !== undefined) rejected.push({ address: contact.address, error: new DeliveryError(`${backend.id}: ${problem}`, { backend: backend.id, permanent: true }) });
        return problem === undefined;
      });
      if (to.length === 0 && rejected[0]) throw rejected[0].error;
      const origin = await this.#origin(message);
      this.#messages.push({ id: message.id, backend: backend.id, ...origin, from: message.from, to, subject: message.payload.subject, payload: message.payload });
      return { providerMessageId: `vox-test-${message.id}`, ...(rejected.length > 0 ? { rejected } : {}) };
    };
    return {
      id: backend.id,
      protocol: backend.protocol,
      label: backend.label,
      capabilities: backend.capabilities,
      format: backend.format,
      compose: (rendered, context) => backend.compose(rendered, context),
      send,
      ...(backend.validateAddress ? { validateAddress: (address: string) => backend.validateAddress!(address) } : {}),
      ...(backend.addressKey ? { addressKey: (address: string) => backend.addressKey!(address) } : {}),
      ...(backend.attach ? { attach: (host: Parameters<NonNullable<Backend['attach']>>[0]) => backend.attach!(host) } : {}),
      ...(backend.close ? { close: () => backend.close!() } : {}),
    };
  }
}

/** Why `message` does not match, or undefined when it does. */
function reasonNotMatching(match: SentMatch, message: SentMessage): string | undefined {
  if (match.backend !== undefined && match.backend !== message.backend) return `backend: expected ${show(match.backend)}, captured ${show(message.backend)}`;
  if (match.notification !== undefined && match.notification !== message.notification) return `notification: expected ${show(match.notification)}, captured ${show(message.notification)}`;
  if (match.to !== undefined && !message.to.some((c) => c.address === match.to)) return `to: expected ${show(match.to)}, captured ${show(message.to.map((c) => c.address))}`;
  if (match.subject !== undefined) {
    const found = mismatch(match.subject, message.subject, 'subject');
    if (found) return found;
  }
  if (match.content !== undefined) {
    const parts = [message.payload.text, message.payload.html].filter((p): p is string => p !== undefined);
    const content = match.content;
    const has = parts.some((part) => (typeof content === 'string' ? part.includes(content) : content.test(part)));
    if (!has) return `content: expected ${typeof content === 'string' ? `to contain ${show(content)}` : `to match ${String(content)}`}, captured ${show(parts.join(' | '))}`;
  }
  return match.variables === undefined ? undefined : mismatch(match.variables, message.variables, 'variables');
}

/** One captured message on one line: its place in the outbox, backend, notification, recipients, subject. */
function describe(message: SentMessage, all: readonly SentMessage[]): string {
  const subject = message.subject === undefined ? '' : `, subject ${show(message.subject)}`;
  return `#${all.indexOf(message) + 1} ${message.backend} ${message.notification ?? '(one-time message)'} to ${message.to.map((c) => c.address).join(', ') || '(nobody)'}${subject}`;
}

/** What an assertion error carries as `actual` for a captured message. */
function summary(message: SentMessage): Record<string, unknown> {
  return { backend: message.backend, notification: message.notification, to: message.to.map((c) => c.address), subject: message.subject, variables: message.variables };
}
