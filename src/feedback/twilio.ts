/**
 * Twilio's status callbacks: `X-Twilio-Signature` checked (HMAC-SHA1 of the URL and the sorted
 * form parameters, keyed with the auth token), each status recorded in the message's history;
 * `delivered` moves it to delivered, `failed` and `undelivered` to failed with Twilio's code, and
 * error 21610 (the recipient replied STOP) puts the number on the suppression list.
 */
import { isTransientTwilioError, validTwilioSignature, type TwilioStatusCallbackOptions } from '../backends/twilio.ts';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { DeliveryEventName, FeedbackEvent } from '../vocabulary/feedback.ts';
import { badRequest, recorded, unauthorized, type ProviderHandler } from './respond.ts';

/** Twilio's message statuses in django-anymail's words. */
const EVENTS: Readonly<Record<string, DeliveryEventName>> = {
  accepted: 'queued',
  scheduled: 'queued',
  queued: 'queued',
  sending: 'sent',
  sent: 'sent',
  delivered: 'delivered',
  undelivered: 'failed',
  failed: 'failed',
  canceled: 'rejected',
  read: 'opened',
};

/** Twilio's error for a message to a number that replied STOP. */
const UNSUBSCRIBED = '21610';

export function twilioHandler(options: TwilioStatusCallbackOptions): ProviderHandler {
  if (!options?.authToken) throw new VoxError(ErrorCode.configuration, 'feedback: twilio needs the authToken that signs Twilio requests');
  return async (request, sink) => {
    const params = new URLSearchParams(await request.text());
    // Twilio signs the URL it called: the public one, with the query the backend added to it.
    const signedUrl = options.url ? withQueryOf(options.url, request.url) : request.url;
    if (!validTwilioSignature(options.authToken, signedUrl, params, request.headers.get('x-twilio-signature') ?? '')) {
      return unauthorized('X-Twilio-Signature is missing or does not match this URL and body under the configured auth token');
    }
    const sid = params.get('MessageSid') ?? params.get('SmsSid');
    const status = params.get('MessageStatus') ?? params.get('SmsStatus');
    if (!sid || !status) return badRequest('a Twilio status callback has MessageSid and MessageStatus');
    const code = params.get('ErrorCode') || undefined;
    const event: FeedbackEvent = {
      provider: 'twilio',
      // Twilio's callbacks carry no id of their own: a status of a message is reported once.
      eventId: `${sid}:${status}${code ? `:${code}` : ''}`,
      event: EVENTS[status] ?? 'unknown',
      providerMessageId: sid,
      protocol: 'sms',
      ...(params.get('To') ? { recipient: params.get('To') as string } : {}),
      ...(code ? { code, permanent: !isTransientTwilioError(Number(code)) } : {}),
      ...(code === UNSUBSCRIBED ? { suppress: 'unsubscribed' as const, description: 'the recipient replied STOP' } : {}),
      payload: Object.fromEntries(params),
    };
    return recorded(await sink.record([event]));
  };
}

/** `base` with the query of the URL that was called. */
function withQueryOf(base: string, called: string): string {
  const url = new URL(base);
  url.search = new URL(called).search;
  return url.toString();
}
