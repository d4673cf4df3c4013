/**
 * Delivery feedback: what providers report after accepting a message. Each report becomes an event
 * of the message's history (once: replays are ignored by the provider's event id), moves the
 * message forward (never back), and puts addresses that bounce for good, complain or unsubscribe
 * on the suppression list. A report of a message whose sent record is not written yet is kept as
 * an orphan and applied when the record is written.
 */
import type { FeedbackTarget, StoredEvent } from '../store/message-events.ts';
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
      const written = await store.db.transaction().execute(async (trx) => {
        const target = await store.messageEvents.findTarget(by, trx);
        const id = await store.messageEvents.insert(
          {
            messageId: target?.id ?? null,
            ...by,
            provider: event.provider,
            providerEventId: event.eventId,
            event: event.event,
            recipient: event.recipient ?? null,
            description: event.description ?? null,
            code: event.code ?? null,
            permanent: event.permanent ?? true,
            occurredAt: event.occurredAt ?? new Date().toISOString(),
            payload: trimmed(event.payload, payloadBytes),
          },
          trx,
        );
        if (id === undefined) return undefined;
        if (event.suppress && event.recipient) {
          await store.suppressions.add([{ protocol: event.protocol, address: event.recipient, reason: event.suppress, source: event.provider, note: event.description ?? null }], trx);
        }
        if (target) await this.#apply(target, { event: event.event, description: event.description ?? null, code: event.code ?? null, permanent: event.permanent ?? true, provider: event.provider }, trx);
        return { id, target };
      });
      if (!written) {
        duplicates++;
        continue;
      }
      recorded++;
      if (written.target) continue;
      // The sent record may have been written meanwhile, after its own look for orphans: look again.
      const target = await store.messageEvents.findTarget(by);
      if (target) await this.#adopt(target, [{ id: written.id, event: event.event, description: event.description ?? null, code: event.code ?? null, permanent: event.permanent ?? true, provider: event.provider }]);
      else orphans++;
    }
    if (recorded > 0) this.#engine.events.emit('progress');
    return { recorded, duplicates, orphans };
  }

  /** After sent records are written: applies the orphans that were waiting for these messages. */
  async applyOrphans(sent: readonly { readonly id: number; readonly providerMessageId: string | null }[]): Promise<void> {
    const byProviderId = new Map<string, number>();
    for (const message of sent) if (message.providerMessageId !== null) byProviderId.set(message.providerMessageId, message.id);
    if (byProviderId.size === 0) return;
    const waiting = await this.#engine.store.messageEvents.orphansOf([...byProviderId.keys()]);
    if (waiting.length === 0) return;
    const targets = new Map<number, StoredEvent[]>();
    for (const event of waiting) {
      const id = byProviderId.get(event.providerMessageId ?? '');
      if (id !== undefined) targets.set(id, [...(targets.get(id) ?? []), event]);
    }
    for (const [id, events] of targets) {
      const target = await this.#engine.store.db.selectFrom('vox_messages').select(['id', 'status', 'protocol']).where('id', '=', id).executeTakeFirst();
      if (target) await this.#adopt(target, events);
    }
    this.#engine.events.emit('progress');
  }

  /** A message's history, in the order things happened. */
  history(messageId: number): Promise<MessageEventRecord[]> {
    return this.#engine.store.messageEvents.ofMessage(messageId);
  }

  /** Gives orphans their message and applies each that this process attached (another may have). */
  async #adopt(target: FeedbackTarget, events: readonly Applied[]): Promise<void> {
    const { store } = this.#engine;
    for (const event of events) {
      await store.db.transaction().execute(async (trx) => {
        if (await store.messageEvents.attach(event.id as number, target.id, trx)) await this.#apply(target, event, trx);
      });
    }
  }

  /** Moves the message to the status the event reports, if that is forward of where it is. */
  async #apply(target: FeedbackTarget, event: Applied, trx: Db): Promise<void> {
    const status = statusOfEvent(event.event);
    if (!status) return;
    const failure =
      status === 'failed' || status === 'bounced'
        ? { error: `${PROVIDER_NAMES[event.provider] ?? event.provider} reports the message ${event.event}${event.code ? ` (error ${event.code})` : ''}${event.description ? `: ${event.description}` : ''}`, errorCode: event.code, permanent: status === 'bounced' || event.permanent }
        : undefined;
    await this.#engine.store.messages.advance(target.id, status, statusesBefore(status), failure, trx);
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

const PROVIDER_NAMES: Readonly<Record<string, string>> = { twilio: 'Twilio', postmark: 'Postmark', ses: 'Amazon SES', sendgrid: 'SendGrid' };

/** A payload as JSON, cut to at most `bytes` bytes (then ending in `…`). */
export function trimmed(payload: unknown, bytes: number): string {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload) ?? '';
  const buffer = Buffer.from(text, 'utf8');
  if (buffer.byteLength <= bytes) return text;
  // Decoding a cut in the middle of a character yields U+FFFD; drop it.
  return `${buffer.subarray(0, Math.max(0, bytes - 3)).toString('utf8').replace(/\uFFFD$/, '')}…`;
}
