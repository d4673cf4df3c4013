/**
 * Delivery feedback's words: what a provider reported after it accepted a message (the events of
 * a message's history, named as django-anymail names them), and the statuses they move it to.
 */
import type { SuppressionReason } from './suppression.ts';

/**
 * What a provider reported, in django-anymail's words: `queued`, `sent`, `deferred` (a temporary
 * failure, retried by the provider), `delivered`, `bounced`, `rejected` (the provider refused to
 * send), `failed`, `complained` (marked as spam), `unsubscribed`, `opened`, `clicked`, and
 * `unknown` for anything else.
 */
export type DeliveryEventName = 'queued' | 'sent' | 'deferred' | 'delivered' | 'bounced' | 'rejected' | 'failed' | 'complained' | 'unsubscribed' | 'opened' | 'clicked' | 'unknown';

export const DELIVERY_EVENT_NAMES: readonly DeliveryEventName[] = Object.freeze(['queued', 'sent', 'deferred', 'delivered', 'bounced', 'rejected', 'failed', 'complained', 'unsubscribed', 'opened', 'clicked', 'unknown']);

/** The statuses only a provider's report gives a message, after `sent`. */
export type FeedbackStatus = 'delivered' | 'bounced' | 'complained';

export const FEEDBACK_STATUSES: readonly FeedbackStatus[] = Object.freeze(['delivered', 'bounced', 'complained']);

/** The providers whose webhooks Vox reads. */
export type FeedbackProvider = 'twilio' | 'postmark' | 'ses' | 'sendgrid';

/** One event a provider reported, as a webhook hands it to Vox. */
export interface FeedbackEvent {
  readonly provider: FeedbackProvider;
  /** The provider's id of this event, or one made of what identifies it: a replay has the same. */
  readonly eventId: string;
  readonly event: DeliveryEventName;
  /** The id Vox recorded for the message (`providerMessageId`: a Twilio SID, a Postmark id, an email's Message-ID). */
  readonly providerMessageId?: string;
  /** The message's idempotency key (an email's `X-Vox-Message-Key` header), when the provider echoes it. */
  readonly messageKey?: string;
  /** The provider's own id of the message where it differs (SES's, SendGrid's): later events are matched through earlier ones. */
  readonly providerRef?: string;
  /** The address the event is about. */
  readonly recipient?: string;
  /** The protocol of `recipient`: `email` or `sms`. */
  readonly protocol: string;
  /** The provider's words, for example `smtp; 550 5.1.1 user unknown`. */
  readonly description?: string;
  /** The provider's code, for example `30006` or `5.1.1`. */
  readonly code?: string;
  /** For `failed`: false when sending again may succeed. @default true */
  readonly permanent?: boolean;
  /** Puts `recipient` on the suppression list with this reason. */
  readonly suppress?: SuppressionReason;
  /** When it happened, as the provider says (ISO); else when Vox heard of it. */
  readonly occurredAt?: string;
  /** The provider's payload for this event, kept trimmed in the history. */
  readonly payload: unknown;
}

/** One event of a message's history (or an orphan: a report of no message Vox knows, yet). */
export interface MessageEventRecord {
  readonly id: number;
  /** Null for an orphan: no message had the provider's id when it arrived. */
  readonly messageId: number | null;
  readonly provider: string;
  readonly providerEventId: string;
  readonly providerMessageId: string | null;
  readonly event: DeliveryEventName;
  readonly recipient: string | null;
  readonly description: string | null;
  readonly code: string | null;
  readonly occurredAt: string;
  /** The provider's payload as JSON text, cut at the configured size (`…` marks the cut). */
  readonly payload: string;
  readonly receivedAt: string;
}

/** What a webhook's events did: new ones recorded, replays ignored, orphans kept for later. */
export interface FeedbackOutcome {
  readonly recorded: number;
  readonly duplicates: number;
  readonly orphans: number;
}

/**
 * How far along a message is, for the rule that a report never moves it back: `sent` < `delivered`
 * < `bounced` and `failed` (a provider's failure report) < `complained`. Other statuses are not
 * moved by reports at all.
 */
const RANK: Readonly<Record<string, number>> = { sent: 0, delivered: 1, bounced: 2, failed: 2, complained: 3 };

/** The statuses a report may move a message from to reach `status`. */
export function statusesBefore(status: FeedbackStatus | 'failed'): string[] {
  const rank = RANK[status] ?? 0;
  return Object.keys(RANK).filter((s) => (RANK[s] ?? 0) < rank);
}

/** The status an event moves its message to, if any: opens, clicks, deferrals and the like are history only. */
export function statusOfEvent(event: DeliveryEventName): FeedbackStatus | 'failed' | undefined {
  switch (event) {
    case 'delivered':
    case 'bounced':
    case 'complained':
      return event;
    case 'failed':
    case 'rejected':
      return 'failed';
    default:
      return undefined;
  }
}
