/** The Twilio SMS backend, with status callbacks that record later delivery failures. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { DeliveryError, ErrorCode, VoxError } from '../vocabulary/errors.ts';
import { composeText, type Backend, type BackendCapabilities } from '../vocabulary/backend.ts';
import { type ProviderFailure } from '../vocabulary/payload.ts';
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
 * so that a report finds its message by id, without an index on provider ids.
 */
function statusCallbackUrl(base: string, messageId: number): string {
  const url = new URL(base);
  url.searchParams.set(MESSAGE_PARAMETER, String(messageId));
  return url.toString();
}

const MESSAGE_PARAMETER = 'vox_message';

/** What {@link twilioStatusCallback} needs of Vox: the message log. */
export interface ProviderStatusLog {
  readonly messages: {
    applyProviderReport(messageId: number, backend: string, providerMessageId: string, update: ProviderFailure): Promise<unknown>;
  };
}

/** Options of {@link twilioStatusCallback}. */
export interface TwilioStatusCallbackOptions {
  /** The auth token that signs Twilio's requests (the backend's `authToken`). */
  readonly authToken: string;
  /**
   * The public URL Twilio posts to, exactly as given to the backend's `statusCallback`: Twilio
   * signs it (with the query Vox adds to it), and behind a proxy the request's own URL differs.
   * @default the request's URL
   */
  readonly url?: string;
  /** The id of the Twilio backend whose messages these are. @default 'twilio' */
  readonly backend?: string;
}

/**
 * Twilio's status-callback endpoint, as a `fetch(Request)` handler (mount it in Hono, Express via
 * an adapter, or a plain Node server). It checks the `X-Twilio-Signature` header, then marks the
 * message (named by the callback URL's `vox_message`, and only if it has that SID) failed in the log when Twilio reports it `failed` or `undelivered`, with
 * Twilio's error code, so that it shows in the log and can be resent. Other statuses change nothing.
 *
 * @example
 * const callback = twilioStatusCallback(vox, { authToken, url: 'https://example.org/twilio/status' });
 * app.post('/twilio/status', (c) => callback.fetch(c.req.raw));
 */
export function twilioStatusCallback(vox: ProviderStatusLog, options: TwilioStatusCallbackOptions): { fetch(request: Request): Promise<Response> } {
  if (!options?.authToken) throw new VoxError(ErrorCode.configuration, 'twilioStatusCallback needs the authToken that signs Twilio requests');
  const backend = options.backend ?? 'twilio';
  return {
    async fetch(request) {
      if (request.method !== 'POST') return new Response('method not allowed', { status: 405, headers: { Allow: 'POST' } });
      const params = new URLSearchParams(await request.text());
      const signature = request.headers.get('x-twilio-signature') ?? '';
      const messageId = Number(new URL(request.url).searchParams.get(MESSAGE_PARAMETER));
      const signedUrl = options.url ? statusCallbackUrl(options.url, messageId) : request.url;
      if (!validTwilioSignature(options.authToken, signedUrl, params, signature)) {
        return new Response('invalid signature', { status: 403 });
      }
      const sid = params.get('MessageSid') ?? params.get('SmsSid');
      const status = params.get('MessageStatus') ?? params.get('SmsStatus');
      if (Number.isSafeInteger(messageId) && messageId > 0 && sid && (status === 'failed' || status === 'undelivered')) {
        const code = params.get('ErrorCode') || undefined;
        await vox.messages.applyProviderReport(messageId, backend, sid, {
          status: 'failed',
          error: `Twilio reports the message ${status}${code ? ` (error ${code})` : ''}`,
          ...(code ? { errorCode: code } : {}),
          permanent: !isTransientTwilioError(code === undefined ? undefined : Number(code)),
        });
      }
      return new Response(null, { status: 204 });
    },
  };
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
