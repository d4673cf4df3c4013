/** What every provider's webhook answers: coded JSON errors, and what it recorded. */
import { ErrorCode } from '../vocabulary/errors.ts';
import type { FeedbackEvent, FeedbackOutcome } from '../vocabulary/feedback.ts';

/** Where a provider's handler hands its verified events. */
export interface FeedbackSink {
  record(events: readonly FeedbackEvent[]): Promise<FeedbackOutcome>;
}

/** A provider's webhook: verifies the request, then hands its events to the sink. */
export type ProviderHandler = (request: Request, sink: FeedbackSink) => Promise<Response>;

const NO_STORE = { 'Cache-Control': 'no-store' };

/** 401: credentials or signature missing or wrong. Nothing was recorded. */
export function unauthorized(message: string, challenge?: string): Response {
  return Response.json({ error: { code: ErrorCode.unauthorized, message } }, { status: 401, headers: { ...NO_STORE, ...(challenge ? { 'WWW-Authenticate': challenge } : {}) } });
}

/** 400: a verified request Vox cannot read. Nothing was recorded. */
export function badRequest(message: string): Response {
  return Response.json({ error: { code: ErrorCode.invalidInput, message } }, { status: 400, headers: NO_STORE });
}

/** 200 with what was recorded: orphans (reports of unknown messages) too, so that the provider stops retrying. */
export function recorded(outcome: FeedbackOutcome): Response {
  return Response.json(outcome, { status: 200, headers: NO_STORE });
}

/**
 * A JSON body, or undefined when it is not JSON. Whole numbers beyond 2^53 (Postmark's bounce ids)
 * are kept as their digits, not rounded into another event's id.
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text, exactIntegers) as unknown;
  } catch {
    return undefined;
  }
}

function exactIntegers(this: unknown, _key: string, value: unknown, context?: { source?: string }): unknown {
  return typeof value === 'number' && !Number.isSafeInteger(value) && context?.source !== undefined && /^-?\d+$/.test(context.source) ? context.source : value;
}

/** A plain object's field as a string, when it is one (numbers are turned into strings). */
export function text(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const field = (value as Record<string, unknown>)[key];
  if (typeof field === 'string') return field === '' ? undefined : field;
  if (typeof field === 'number' && Number.isFinite(field)) return String(field);
  return undefined;
}

/** A plain object's field, when it is an object. */
export function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** An ISO timestamp from a provider's, or undefined when it is not a time. */
export function isoTime(value: string | number | undefined): string | undefined {
  if (value === undefined) return undefined;
  const date = typeof value === 'number' || /^\d+$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
