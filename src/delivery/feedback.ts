/**
 * Delivery feedback: what providers report after accepting a message. Each report becomes an event
 * of the message's history (once: replays are ignored by the provider's event id), moves the
 * message forward (never back), and puts addresses that bounce for good, complain or unsubscribe
 * on the suppression list. A report of a message whose sent record is not written yet is kept as
 * an orphan and applied when the record is written.
 */
import type { StoredEvent } from '../store/message-events.ts';
import type { Db } from '../store/rows.ts';
import { statusesBefore, statusOfEvent, type DeliveryEventName, type FeedbackEvent, type FeedbackOutcome, type MessageEventRecord } from '../vocabulary/feedback.ts';
import type { Engine } from './engine.ts';

/** Most bytes of a provider's payload kept in a message's history, by default. */
export const DEFAULT_PAYLOAD_BYTES = 8 * 1024;

/** Records providers' reports and applies them to the message log. */
export class Feedback {
  readonly #engine: Engine;

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  /** Records a webhook's events, in order. */
  async record(events: readonly FeedbackEvent[], payloadBytes = DEFAULT_PAYLOAD_BYTES): Promise<FeedbackOutcome> {
    const { store } = this.#engine;
    let recorded = 0;
    let duplicates = 0;
    let orphans = 0;
    for (const event of events) {
      const by = { provider: event.provider, providerMessageId: event.providerMessageId ?? null, messageKey: event.messageKey ?? null, providerRef: event.providerRef ?? null };
      const applied = applying(event);
      const written = await store.db.transaction().execute(async (trx) => {
        const target = await store.messageEvents.findTarget(by, trx);
        // Until its sent record is written a message is not the provider's yet: the report waits.
        const ready = target !== undefined && !UNSENT.has(target.status);
        const id = await store.messageEvents.insert(
          {
            messageId: target?.id ?? null,
            ...by,
            providerEventId: event.eventId,
            event: event.event,
            recipient: event.recipient ?? null,
            description: applied.description,
            code: applied.code,
            permanent: applied.permanent,
            pending: !ready,
            occurredAt: event.occurredAt ?? new Date().toISOString(),
            payload: trimmed(event.payload, payloadBytes),
          },
          trx,
        );
        if (id === undefined) return undefined;
        if (event.suppress && event.recipient) {
          await store.suppressions.add([{ protocol: event.protocol, address: event.recipient, reason: event.suppress, source: event.provider, note: event.description ?? null }], trx);
        }
        if (ready) await this.#apply(target.id, applied, trx);
        return { id, ready };
      });
      if (!written) {
        duplicates++;
        continue;
      }
      recorded++;
      if (written.ready) continue;
      // The sent record may have been written meanwhile, after its own look for pending reports: look again.
      const target = await store.messageEvents.findTarget(by);
      if (target && !UNSENT.has(target.status)) await this.#claim(target.id, [{ ...applied, id: written.id }]);
      else orphans++;
    }
    if (recorded > 0) this.#engine.events.emit('progress');
    return { recorded, duplicates, orphans };
  }

  /** After sent records are written: applies the reports that were waiting for these messages. */
  async applyPending(sent: readonly { readonly id: number; readonly providerMessageId: string | null }[]): Promise<void> {
    const byProviderId = new Map<string, number>();
    for (const message of sent) if (message.providerMessageId !== null) byProviderId.set(message.providerMessageId, message.id);
    const waiting = await this.#engine.store.messageEvents.pendingFor(
      sent.map((m) => m.id),
      [...byProviderId.keys()],
    );
    if (waiting.length === 0) return;
    const byMessage = new Map<number, StoredEvent[]>();
    for (const event of waiting) {
      const id = byProviderId.get(event.providerMessageId ?? '') ?? event.messageId;
      if (id !== null) byMessage.set(id, [...(byMessage.get(id) ?? []), event]);
    }
    for (const [id, events] of byMessage) await this.#claim(id, events.map((e) => ({ id: e.id, event: e.event, description: e.description, code: e.code, permanent: e.permanent, provider: e.provider })));
    this.#engine.events.emit('progress');
  }

  /** A message's history, in the order things happened. */
  history(messageId: number): Promise<MessageEventRecord[]> {
    return this.#engine.store.messageEvents.ofMessage(messageId);
  }

  /** Takes pending reports for message `messageId` and applies each that this process took (another may have). */
  async #claim(messageId: number, events: readonly Applied[]): Promise<void> {
    const { store } = this.#engine;
    for (const event of events) {
      await store.db.transaction().execute(async (trx) => {
        if (await store.messageEvents.claim(event.id as number, messageId, trx)) await this.#apply(messageId, event, trx);
      });
    }
  }

  /** Moves the message to the status the event reports, if that is forward of where it is. */
  async #apply(messageId: number, event: Applied, trx: Db): Promise<void> {
    const status = statusOfEvent(event.event);
    if (!status) return;
    const failure =
      status === 'failed' || status === 'bounced'
        ? { error: `${PROVIDER_NAMES[event.provider] ?? event.provider} reports the message ${event.event}${event.code ? ` (error ${event.code})` : ''}${event.description ? `: ${event.description}` : ''}`, errorCode: event.code, permanent: status === 'bounced' || event.permanent }
        : undefined;
    await this.#engine.store.messages.advance(messageId, status, statusesBefore(status), failure, trx);
  }
}

/** What applying an event needs of it. */
interface Applied {
  readonly id?: number;
  readonly event: DeliveryEventName;
  readonly description: string | null;
  readonly code: string | null;
  readonly permanent: boolean;
  readonly provider: string;
}

/** Statuses of messages not handed to their provider yet (or not recorded as handed). */
const UNSENT: ReadonlySet<string> = new Set(['queued', 'sending', 'retrying']);

/** What applying `event` needs of it. */
function applying(event: FeedbackEvent): Applied {
  return { event: event.event, description: event.description ?? null, code: event.code ?? null, permanent: event.permanent ?? true, provider: event.provider };
}

const PROVIDER_NAMES: Readonly<Record<string, string>> = { twilio: 'Twilio', postmark: 'Postmark', ses: 'Amazon SES', sendgrid: 'SendGrid' };

/** A payload as JSON, cut to at most `bytes` bytes (then ending in `…`). */
export function trimmed(payload: unknown, bytes: number): string {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload) ?? '';
  const buffer = Buffer.from(text, 'utf8');
  if (buffer.byteLength <= bytes) return text;
  // Decoding a cut in the middle of a character yields U+FFFD; drop it.
  return `${buffer.subarray(0, Math.max(0, bytes - 3)).toString('utf8').replace(/\uFFFD$/, '')}…`;
}
