/**
 * Postmark's webhooks (bounce, delivery, spam complaint, subscription change, open, click),
 * authenticated by the HTTP Basic credentials set in the webhook's URL. Hard bounces and spam
 * complaints put the address on the suppression list; soft bounces are history only.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { FeedbackEvent } from '../vocabulary/feedback.ts';
import type { SuppressionReason } from '../vocabulary/suppression.ts';
import { badRequest, isoTime, parseJson, recorded, text, unauthorized, type ProviderHandler } from './respond.ts';

/** Options of Postmark's webhook: the credentials you put in its URL (`https://user:password@…`). */
export interface PostmarkFeedbackOptions {
  readonly username: string;
  readonly password: string;
}

/** Bounce types after which Postmark deactivates the address: the address is no good. */
const HARD_BOUNCES = new Set(['HardBounce', 'BadEmailAddress', 'ManuallyDeactivated']);

/** Why Postmark suppressed an address (SubscriptionChange), as Vox's suppression reasons. */
const SUPPRESSION_REASONS: Readonly<Record<string, SuppressionReason>> = { HardBounce: 'bounced', SpamComplaint: 'complained', ManualSuppression: 'unsubscribed' };

export function postmarkHandler(options: PostmarkFeedbackOptions): ProviderHandler {
  if (!options?.username || !options.password) throw new VoxError(ErrorCode.configuration, 'feedback: postmark needs the username and password of the webhook URL (HTTP Basic)');
  const expected = digest(`${options.username}:${options.password}`);
  return async (request, sink) => {
    const [scheme, credentials] = (request.headers.get('authorization') ?? '').split(' ');
    const given = scheme?.toLowerCase() === 'basic' && credentials ? digest(Buffer.from(credentials, 'base64').toString('utf8')) : undefined;
    if (!given || !timingSafeEqual(given, expected)) return unauthorized('HTTP Basic credentials are missing or wrong', 'Basic realm="vox-feedback"');
    const body = parseJson(await request.text());
    if (typeof body !== 'object' || body === null || text(body, 'RecordType') === undefined) return badRequest('not a Postmark webhook: a JSON object with a RecordType');
    const event = postmarkEvent(body);
    // A record type Vox does not know (Postmark adds some) is answered 200, so that it is not retried.
    return recorded(event ? await sink.record([event]) : { recorded: 0, duplicates: 0, orphans: 0 });
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** One Postmark webhook as an event, or undefined when it is none Vox knows. */
function postmarkEvent(body: unknown): FeedbackEvent | undefined {
  const messageId = text(body, 'MessageID');
  const common = { provider: 'postmark' as const, protocol: 'email', payload: body, ...(messageId ? { providerMessageId: messageId } : {}) };
  const recipient = text(body, 'Email') ?? text(body, 'Recipient');
  const who = recipient ? { recipient } : {};
  switch (text(body, 'RecordType')) {
    case 'Bounce': {
      const type = text(body, 'Type') ?? 'Unknown';
      const hard = HARD_BOUNCES.has(type);
      return {
        ...common,
        ...who,
        eventId: `bounce:${text(body, 'ID') ?? messageId}`,
        event: hard ? 'bounced' : 'deferred',
        code: type,
        ...describe(text(body, 'Details') ?? text(body, 'Description')),
        ...at(text(body, 'BouncedAt')),
        ...(hard ? { suppress: 'bounced' as const } : {}),
      };
    }
    case 'SpamComplaint':
      return { ...common, ...who, eventId: `complaint:${text(body, 'ID') ?? messageId}`, event: 'complained', code: 'SpamComplaint', ...describe(text(body, 'Details')), ...at(text(body, 'BouncedAt')), suppress: 'complained' };
    case 'Delivery':
      return { ...common, ...who, eventId: `delivery:${messageId}:${recipient ?? ''}`, event: 'delivered', ...describe(text(body, 'Details')), ...at(text(body, 'DeliveredAt')) };
    case 'SubscriptionChange': {
      const suppressed = (body as { SuppressSending?: unknown }).SuppressSending === true;
      const reason = text(body, 'SuppressionReason');
      return {
        ...common,
        ...who,
        eventId: `subscription:${messageId ?? ''}:${recipient ?? ''}:${text(body, 'ChangedAt') ?? ''}`,
        event: suppressed ? 'unsubscribed' : 'unknown',
        ...(reason ? { code: reason } : {}),
        description: suppressed ? `Postmark suppressed the address (${reason ?? 'no reason given'})` : 'Postmark reactivated the address',
        ...at(text(body, 'ChangedAt')),
        ...(suppressed ? { suppress: SUPPRESSION_REASONS[reason ?? ''] ?? 'unsubscribed' } : {}),
      };
    }
    case 'Open':
      return { ...common, ...(text(body, 'Recipient') ? { recipient: text(body, 'Recipient') as string } : {}), eventId: `open:${messageId}:${text(body, 'ReceivedAt') ?? ''}`, event: 'opened', ...at(text(body, 'ReceivedAt')) };
    case 'Click':
      return { ...common, ...(text(body, 'Recipient') ? { recipient: text(body, 'Recipient') as string } : {}), eventId: `click:${messageId}:${text(body, 'ReceivedAt') ?? ''}:${text(body, 'OriginalLink') ?? ''}`, event: 'clicked', ...describe(text(body, 'OriginalLink')), ...at(text(body, 'ReceivedAt')) };
    default:
      return undefined;
  }
}

const describe = (value: string | undefined) => (value ? { description: value } : {});
const at = (value: string | undefined) => {
  const time = isoTime(value);
  return time ? { occurredAt: time } : {};
};
