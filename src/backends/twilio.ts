/** The Twilio SMS backend, and the status callbacks that report what became of its messages. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { DeliveryError, ErrorCode, VoxError } from '../vocabulary/errors.ts';
import { composeText, type Backend, type BackendCapabilities } from '../vocabulary/backend.ts';
import { e164Problem } from './addresses.ts';
import { DEFAULT_TIMEOUT_MS, httpRequest, isTransientStatus, jsonOf } from './http.ts';
import { sendEach } from './send.ts';

/** Options of {@link twilio}: the seed's three Twilio settings, and a few more. */
export interface TwilioOptions {
  /** Account SID, `AC` and 32 hex digits (the seed's DJANGO_VOX_TWILIO_ACCOUNT_SID). */
  readonly accountSid: string;
  /** Auth token (DJANGO_VOX_TWILIO_AUTH_TOKEN). */
  readonly authToken: string;
  /**
   * Number (E.164) or alphanumeric sender ID to send from (DJANGO_VOX_TWILIO_FROM_NUMBER). A
   * template's from address wins over it. Needed unless `messagingServiceSid` is set.
   */
  readonly from?: string;
  /** A Messaging Service (`MG…`) that picks the sender when no from number is given. */
  readonly messagingServiceSid?: string;
  /**
   * Public URL of your {@link twilioStatusCallback} endpoint: Twilio posts each message's later
   * status there, and undelivered messages are marked failed in the log.
   */
  readonly statusCallback?: string;
  /** The API's origin; tests point it at a local server. @default 'https://api.twilio.com' */
  readonly baseUrl?: string;
  /** Milliseconds to wait for Twilio. @default 15000 */
  readonly timeoutMs?: number;
  /** @default 'twilio' */
  readonly id?: string;
  /** @default 'SMS (Twilio)' */
  readonly label?: string;
}

const CAPABILITIES: BackendCapabilities = { subject: false, fromAddress: true, attachments: false, manualSending: true, maxRecipients: 1 };

/**
 * Twilio error codes worth a retry though their HTTP status may say otherwise: rate limits,
 * Twilio's own outages and full queues. Every other code of a 4xx reply (21211 invalid `To`, 21610
 * unsubscribed recipient, 21408 region not enabled, 20003 bad credentials, …) is permanent.
 */
const TRANSIENT_CODES = new Set([20429, 20500, 20503, 30001, 30003, 30008]);

/** Whether a Twilio error code (with the reply's HTTP status, when there is one) is worth a retry. */
export function isTransientTwilioError(code: number | undefined, status?: number): boolean {
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
  return status === undefined ? false : isTransientStatus(status);
}

/**
 * SMS through Twilio's Messages API (`twilio`, protocol `sms`). Addresses are phone numbers in
 * E.164 form; template content is plain text; the template's from address, when set, is the
 * sender.
 *
 * @example
 * twilio({ accountSid: process.env.TWILIO_ACCOUNT_SID, authToken: process.env.TWILIO_AUTH_TOKEN, from: '+14155552671' })
 */
export function twilio(options: TwilioOptions): Backend {
  const id = options?.id ?? 'twilio';
  if (!options?.accountSid || !/^AC[0-9a-fA-F]{32}$/.test(options.accountSid) || !options.authToken) {
    throw new VoxError(ErrorCode.configuration, `backend ${id} needs accountSid (AC followed by 32 hex digits) and authToken from the Twilio console`);
  }
  const url = `${(options.baseUrl ?? 'https://api.twilio.com').replace(/\/$/, '')}/2010-04-01/Accounts/${options.accountSid}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;
  const backend: Backend = {
    id,
    protocol: 'sms',
    label: options.label ?? 'SMS (Twilio)',
    format: 'text',
    capabilities: CAPABILITIES,
    ...(options.from === undefined ? {} : { defaultFrom: options.from }),
    compose: composeText,
    validateAddress: e164Problem,
    send: (message) =>
      sendEach(backend, message, async (contact) => {
        const from = message.from ?? options.from;
        if (!from && !options.messagingServiceSid) {
          throw new DeliveryError('no from number: set one on the template or the backend option `from` (or `messagingServiceSid`)', { backend: id, permanent: true, providerCode: 'ENOFROM' });
        }
        const form = new URLSearchParams({ To: contact.address, Body: message.payload.text ?? '' });
        if (from) form.set('From', from);
        if (options.messagingServiceSid) form.set('MessagingServiceSid', options.messagingServiceSid);
        if (options.statusCallback) form.set('StatusCallback', statusCallbackUrl(options.statusCallback, message.id));
        const reply = await httpRequest(id, {
          url,
          method: 'POST',
          headers: { Authorization: authorization, 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
          body: form.toString(),
          timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        });
        const body = jsonOf(reply) as { sid?: unknown; code?: unknown; message?: unknown } | undefined;
        if (reply.status >= 200 && reply.status < 300 && typeof body?.sid === 'string') return body.sid;
        const code = typeof body?.code === 'number' ? body.code : undefined;
        const text = typeof body?.message === 'string' ? body.message : reply.body.slice(0, 200) || 'no reply body';
        throw new DeliveryError(`Twilio${code === undefined ? '' : ` error ${code}`}: ${text}`, {
          backend: id,
          permanent: !isTransientTwilioError(code, reply.status),
          statusCode: reply.status,
          ...(code === undefined ? {} : { providerCode: String(code) }),
          responseBody: reply.body,
        });
      }),
  };
  return backend;
}

/**
 * The status-callback URL of one message: the configured URL with the message's id in the query,
 * which says in access logs which message a report is about (reports are matched by Twilio's SID).
 */
function statusCallbackUrl(base: string, messageId: number): string {
  const url = new URL(base);
  url.searchParams.set(MESSAGE_PARAMETER, String(messageId));
  return url.toString();
}

const MESSAGE_PARAMETER = 'vox_message';

/** What {@link twilioStatusCallback} needs of Vox: its feedback webhooks (`vox.feedback`). */
export interface ProviderStatusLog {
  feedback(options: { readonly twilio: TwilioStatusCallbackOptions }): { readonly twilio?: { fetch(request: Request): Promise<Response> } };
}

/** Options of Twilio's status callbacks (`vox.feedback({ twilio })`, {@link twilioStatusCallback}). */
export interface TwilioStatusCallbackOptions {
  /** The auth token that signs Twilio's requests (the backend's `authToken`). */
  readonly authToken: string;
  /**
   * The public URL Twilio posts to, exactly as given to the backend's `statusCallback`: Twilio
   * signs it (with the query Vox adds to it), and behind a proxy the request's own URL differs.
   * @default the request's URL
   */
  readonly url?: string;
}

/**
 * Twilio's status-callback endpoint alone, as a `fetch(Request)` handler at any path: the same as
 * `vox.feedback({ twilio: options }).twilio` (see docs/feedback.md). It checks the
 * `X-Twilio-Signature` header (401 otherwise), records each status in the message's history, and
 * moves the message to `delivered`, or to `failed` with Twilio's error code so that it can be
 * resent; error 21610 (the recipient replied STOP) suppresses the number.
 *
 * @example
 * const callback = twilioStatusCallback(vox, { authToken, url: 'https://example.org/twilio/status' });
 * app.post('/twilio/status', (c) => callback.fetch(c.req.raw));
 */
export function twilioStatusCallback(vox: ProviderStatusLog, options: TwilioStatusCallbackOptions): { fetch(request: Request): Promise<Response> } {
  if (!options?.authToken) throw new VoxError(ErrorCode.configuration, 'twilioStatusCallback needs the authToken that signs Twilio requests');
  const handler = vox.feedback({ twilio: options }).twilio;
  if (!handler) throw new VoxError(ErrorCode.configuration, 'this Vox has no Twilio feedback handler');
  return handler;
}

/**
 * Checks Twilio's request signature: base64 of HMAC-SHA1, keyed with the auth token, of the URL
 * followed by each POST parameter's name and value, sorted by name.
 */
export function validTwilioSignature(authToken: string, url: string, params: URLSearchParams, signature: string): boolean {
  const data = url + [...params.keys()].filter((k, i, all) => all.indexOf(k) === i).sort().map((k) => params.getAll(k).sort().map((v) => k + v).join('')).join('');
  const expected = createHmac('sha1', authToken).update(data, 'utf8').digest();
  const given = Buffer.from(signature, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
