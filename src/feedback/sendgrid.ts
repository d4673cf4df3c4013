/**
 * SendGrid's Event Webhook, signed: the ECDSA (P-256, SHA-256) signature of
 * `X-Twilio-Email-Event-Webhook-Timestamp` followed by the raw body is checked against the
 * verification key from SendGrid's Mail Settings, with node:crypto. A batch of events is
 * recorded; bounces, spam reports and unsubscribes put the address on the suppression list.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { DeliveryEventName, FeedbackEvent } from '../vocabulary/feedback.ts';
import type { SuppressionReason } from '../vocabulary/suppression.ts';
import { badRequest, isoTime, parseJson, recorded, text, unauthorized, type ProviderHandler } from './respond.ts';

/** Options of SendGrid's event webhook. */
export interface SendgridFeedbackOptions {
  /** The verification key SendGrid shows for the signed webhook: base64 DER, or PEM. */
  readonly publicKey: string;
  /**
   * How old a signed timestamp may be, in seconds: a captured request cannot be replayed later
   * (within the window a replay is recognised by its events' ids). @default 600
   */
  readonly maxAgeSeconds?: number;
}

/** SendGrid's event names in django-anymail's words. */
const EVENTS: Readonly<Record<string, DeliveryEventName>> = {
  processed: 'queued',
  deferred: 'deferred',
  delivered: 'delivered',
  bounce: 'bounced',
  dropped: 'rejected',
  spamreport: 'complained',
  unsubscribe: 'unsubscribed',
  group_unsubscribe: 'unsubscribed',
  open: 'opened',
  click: 'clicked',
};

const SUPPRESS: Readonly<Record<string, SuppressionReason>> = { bounce: 'bounced', spamreport: 'complained', unsubscribe: 'unsubscribed' };

export function sendgridHandler(options: SendgridFeedbackOptions): ProviderHandler {
  if (!options?.publicKey) throw new VoxError(ErrorCode.configuration, 'feedback: sendgrid needs the publicKey (verification key) of the signed event webhook');
  const key = publicKeyOf(options.publicKey);
  const maxAgeMs = (options.maxAgeSeconds ?? 600) * 1000;
  return async (request, sink) => {
    const body = Buffer.from(await request.arrayBuffer());
    const signature = request.headers.get('x-twilio-email-event-webhook-signature');
    const timestamp = request.headers.get('x-twilio-email-event-webhook-timestamp');
    if (!signature || !timestamp || !/^\d+$/.test(timestamp)) return unauthorized('X-Twilio-Email-Event-Webhook-Signature and -Timestamp are required');
    if (!verify('sha256', Buffer.concat([Buffer.from(timestamp, 'utf8'), body]), key, Buffer.from(signature, 'base64'))) {
      return unauthorized('the signature does not match the body under the configured public key');
    }
    if (Math.abs(Date.now() - Number(timestamp) * 1000) > maxAgeMs) return unauthorized('the signed timestamp is too old');
    const events = parseJson(body.toString('utf8'));
    if (!Array.isArray(events)) return badRequest('SendGrid posts a JSON array of events');
    return recorded(await sink.record((events as unknown[]).map(sendgridEvent)));
  };
}

function publicKeyOf(value: string): KeyObject {
  try {
    return value.includes('-----BEGIN') ? createPublicKey(value) : createPublicKey({ key: Buffer.from(value, 'base64'), format: 'der', type: 'spki' });
  } catch (error) {
    throw new VoxError(ErrorCode.configuration, 'feedback: sendgrid publicKey is not an EC public key (base64 DER or PEM)', { cause: error });
  }
}

function sendgridEvent(entry: unknown): FeedbackEvent {
  const name = text(entry, 'event') ?? 'unknown';
  // A block is the receiving server refusing for now (reputation, content), not a bad address.
  const blocked = name === 'bounce' && text(entry, 'type') === 'blocked';
  const smtpId = text(entry, 'smtp-id');
  const sgId = text(entry, 'sg_message_id');
  const reason = text(entry, 'reason') ?? text(entry, 'response');
  const occurredAt = isoTime(text(entry, 'timestamp'));
  const suppress = blocked ? undefined : SUPPRESS[name];
  return {
    provider: 'sendgrid',
    eventId: text(entry, 'sg_event_id') ?? `${sgId ?? smtpId ?? ''}:${name}:${text(entry, 'timestamp') ?? ''}`,
    event: blocked ? 'failed' : (EVENTS[name] ?? 'unknown'),
    protocol: 'email',
    payload: entry,
    ...(smtpId ? { providerMessageId: smtpId.startsWith('<') ? smtpId : `<${smtpId}>` } : {}),
    // sg_message_id is SendGrid's X-Message-Id and what it appends per recipient and filter.
    ...(sgId ? { providerRef: sgId.split('.filter')[0] as string } : {}),
    ...(text(entry, 'email') ? { recipient: text(entry, 'email') as string } : {}),
    ...(text(entry, 'status') ? { code: text(entry, 'status') as string } : {}),
    ...(reason ? { description: reason } : name === 'click' && text(entry, 'url') ? { description: text(entry, 'url') as string } : {}),
    ...(blocked ? { permanent: false } : {}),
    ...(occurredAt ? { occurredAt } : {}),
    ...(suppress ? { suppress } : {}),
  };
}
