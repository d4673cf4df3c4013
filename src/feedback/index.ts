/**
 * Delivery feedback's webhooks: one `fetch(Request)` handler with a path per provider (`…/twilio`,
 * `…/postmark`, `…/ses`, `…/sendgrid`), each verified as its provider signs, with bounded bodies
 * (413 `VOX_BODY_TOO_LARGE`), 401 `VOX_UNAUTHORIZED` and nothing written for a bad signature, and
 * 200 for whatever was recorded, orphans included, so that providers stop retrying.
 */
import type { TwilioStatusCallbackOptions } from '../backends/twilio.ts';
import { DEFAULT_PAYLOAD_BYTES, type Feedback } from '../delivery/feedback.ts';
import { maxBodyBytesOption, withBodyLimit } from '../http/body-limit.ts';
import { BodyTooLargeError, ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { FeedbackProvider } from '../vocabulary/feedback.ts';
import { postmarkHandler, type PostmarkFeedbackOptions } from './postmark.ts';
import type { ProviderHandler } from './respond.ts';
import { sendgridHandler, type SendgridFeedbackOptions } from './sendgrid.ts';
import { sesHandler, type SesFeedbackOptions } from './ses.ts';
import { twilioHandler } from './twilio.ts';

export type { PostmarkFeedbackOptions } from './postmark.ts';
export type { SendgridFeedbackOptions } from './sendgrid.ts';
export type { SesFeedbackOptions } from './ses.ts';
export type { SnsFetch } from './sns.ts';

/** Options of `vox.feedback()`: the providers to accept reports from, and limits. */
export interface FeedbackOptions {
  /** Twilio's status callbacks (the backend's `statusCallback` URL points at `…/twilio`). */
  readonly twilio?: TwilioStatusCallbackOptions;
  /** Postmark's webhooks, with the HTTP Basic credentials of their URL. */
  readonly postmark?: PostmarkFeedbackOptions;
  /** Amazon SES notifications through SNS. */
  readonly ses?: SesFeedbackOptions;
  /** SendGrid's signed event webhook. */
  readonly sendgrid?: SendgridFeedbackOptions;
  /** Largest request body accepted, in bytes; larger ones get 413. @default 1048576 (1 MiB) */
  readonly maxBodyBytes?: number;
  /** Most bytes of each event's payload kept in the message's history. @default 8192 */
  readonly payloadBytes?: number;
}

/** The webhooks' `fetch(Request)` handler; each configured provider's own handler too (any path). */
export type FeedbackHandler = { fetch(request: Request): Promise<Response> } & { readonly [P in FeedbackProvider]?: { fetch(request: Request): Promise<Response> } };

/**
 * Creates the feedback webhooks over the delivery engine's feedback.
 *
 * @example
 * const feedback = vox.feedback({ postmark: { username: 'postmark', password: process.env.POSTMARK_HOOK_PASSWORD! } });
 * app.post('/vox/feedback/*', (c) => feedback.fetch(c.req.raw));   // Postmark posts to https://postmark:…@example.org/vox/feedback/postmark
 */
export function createFeedback(feedback: Feedback, options: FeedbackOptions): FeedbackHandler {
  const maxBodyBytes = maxBodyBytesOption(options?.maxBodyBytes, 'feedback');
  const payloadBytes = options.payloadBytes ?? DEFAULT_PAYLOAD_BYTES;
  if (!Number.isSafeInteger(payloadBytes) || payloadBytes < 64) throw new VoxError(ErrorCode.configuration, `feedback: payloadBytes must be a whole number of at least 64, not ${String(payloadBytes)}`);
  const handlers = new Map<string, ProviderHandler>();
  if (options.twilio) handlers.set('twilio', twilioHandler(options.twilio));
  if (options.postmark) handlers.set('postmark', postmarkHandler(options.postmark));
  if (options.ses) handlers.set('ses', sesHandler(options.ses));
  if (options.sendgrid) handlers.set('sendgrid', sendgridHandler(options.sendgrid));
  if (handlers.size === 0) throw new VoxError(ErrorCode.configuration, 'feedback: configure at least one provider (twilio, postmark, ses, sendgrid)');
  const sink = { record: (events: Parameters<Feedback['record']>[0]) => feedback.record(events, payloadBytes) };

  const serve = (request: Request, handler: ProviderHandler | undefined): Promise<Response> => {
    if (!handler) return Promise.resolve(Response.json({ error: { code: ErrorCode.notFound, message: 'no provider is configured at this path (…/twilio, …/postmark, …/ses, …/sendgrid)' } }, { status: 404 }));
    if (request.method !== 'POST') return Promise.resolve(Response.json({ error: { code: ErrorCode.invalidInput, message: 'providers POST their reports' } }, { status: 405, headers: { Allow: 'POST' } }));
    return withBodyLimit(request, maxBodyBytes, async (limited) => {
      try {
        return await handler(limited, sink);
      } catch (error) {
        if (error instanceof BodyTooLargeError) throw error;
        // The database is down, say: 503 makes the provider retry later, so nothing is lost.
        return Response.json({ error: { code: ErrorCode.delivery, message: 'the report could not be recorded; send it again later' } }, { status: 503, headers: { 'Retry-After': '60' } });
      }
    });
  };
  return {
    fetch: (request) => serve(request, handlers.get(lastSegment(request))),
    ...Object.fromEntries([...handlers].map(([provider, handler]) => [provider, { fetch: (request: Request) => serve(request, handler) }])),
  };
}

/** The provider a request's path names: its last segment. */
function lastSegment(request: Request): string {
  return new URL(request.url).pathname.replace(/\/+$/, '').split('/').pop() ?? '';
}
