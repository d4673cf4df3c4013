/** The admin's HTTP plumbing: coded JSON errors, minimal HTML pages, records as the API shows them. */
import type { Context } from 'hono';
import type { MessageRecord } from '../vocabulary/records.ts';
import type { ApiError, MessageSummary, SendOutcome } from './api.ts';
import type { StaffUser } from './types.ts';

/** The host's context of a request (from a framework adapter), as the admin's Hono app receives it. */
export type HostEnv<Context> = { readonly host: Context | undefined };

/** What the admin's middleware leaves on each request's context, and the host's context it was given. */
export type Env = { Variables: { user: StaffUser; userId: string }; Bindings: HostEnv<unknown> };

export function isApi(c: Context<Env>): boolean {
  return c.req.path.includes('/api/');
}

export function apiError(code: string, message: string, override?: string): ApiError {
  return { error: { code: override ?? code, message } };
}

export function outcome(message: MessageRecord): SendOutcome {
  return { id: message.id, status: message.status, to: message.to.map((t) => t.address), error: message.error };
}

export function messageSummary(m: MessageRecord): MessageSummary {
  return {
    id: m.id,
    createdAt: m.createdAt,
    sentAt: m.sentAt,
    notification: m.notification,
    issueId: m.issueId,
    templateId: m.templateId,
    backend: m.backend,
    to: m.to,
    subject: m.subject,
    status: m.status,
    attempts: m.attempts,
    error: m.error,
    errorCode: m.errorCode,
    permanent: m.permanent,
  };
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escape(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

export function page(title: string, heading: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(heading)} · ${escape(title)}</title></head><body><h1>${escape(heading)}</h1>${body}</body></html>`;
}
