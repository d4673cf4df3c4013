/** How delivery names its results: message keys, the log's error fields for a failure, outcomes and summaries. */
import { createHash } from 'node:crypto';
import type { Contact } from '../vocabulary/contact.ts';
import { DeliveryError, ErrorCode, VoxError, errorText } from '../vocabulary/errors.ts';
import type { IssueResult, MessageOutcome } from '../vocabulary/model.ts';

export function unknownBackend(id: string): VoxError {
  return new VoxError(ErrorCode.unknownBackend, `backend ${JSON.stringify(id)} is not configured (createVox({ backends }))`);
}

/** A message's idempotency key: the same issue, template and addresses always give the same key. */
export function messageKey(issueId: number, templateId: number, to: readonly Contact[], addressKey: (address: string) => string = (a) => a): string {
  const addresses = to.length === 1 ? addressKey(to[0]?.address ?? '') : to.map((c) => addressKey(c.address)).sort().join('\n');
  return `i${issueId}:t${templateId}:${createHash('sha256').update(addresses).digest('base64url').slice(0, 22)}`;
}

/** The message log's error fields for a failure. */
export function failureOf(error: unknown): { error: string; errorCode: string | null; permanent: boolean } {
  const permanent = error instanceof DeliveryError ? error.permanent : error instanceof VoxError;
  return { error: errorText(error), errorCode: codeOf(error), permanent };
}

function codeOf(error: unknown): string | null {
  if (error instanceof DeliveryError) return error.statusCode === undefined ? (error.providerCode ?? error.code) : String(error.statusCode);
  if (error instanceof VoxError) return error.code;
  return null;
}

export function outcomeOf(message: { id: number; backend: string; templateId: number | null; to: readonly Contact[]; status: MessageOutcome['status']; error: string | null }): MessageOutcome {
  return { id: message.id, backend: message.backend, templateId: message.templateId, to: message.to.map((c) => c.address), status: message.status, error: message.error };
}

export function summarise(issueId: number, notification: string, messages: MessageOutcome[]): IssueResult {
  return {
    issueId,
    notification,
    messages,
    sent: messages.filter((m) => m.status === 'sent').length,
    failed: messages.filter((m) => m.status === 'failed').length,
    skipped: messages.filter((m) => m.status === 'skipped').length,
  };
}
