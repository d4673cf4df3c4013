/**
 * Every error Vox raises is a {@link VoxError} with a stable `code`, so callers can branch on
 * the code instead of parsing messages.
 */

/** The stable error codes of Vox, one per kind of failure. */
export const ErrorCode = {
  configuration: 'VOX_CONFIGURATION',
  unknownModel: 'VOX_UNKNOWN_MODEL',
  unknownNotification: 'VOX_UNKNOWN_NOTIFICATION',
  notificationNotSynced: 'VOX_NOTIFICATION_NOT_SYNCED',
  missingActor: 'VOX_MISSING_ACTOR',
  missingTarget: 'VOX_MISSING_TARGET',
  unexpectedActor: 'VOX_UNEXPECTED_ACTOR',
  unexpectedTarget: 'VOX_UNEXPECTED_TARGET',
  unknownBackend: 'VOX_UNKNOWN_BACKEND',
  invalidTemplate: 'VOX_INVALID_TEMPLATE',
  render: 'VOX_RENDER',
  /** A template broke a render limit (time, memory, output size) or its budget for one fan-out. */
  renderLimit: 'VOX_RENDER_LIMIT',
  schema: 'VOX_SCHEMA',
  contacts: 'VOX_CONTACTS',
  /** A model's `contacts` names a protocol that no configured backend uses (a misspelt key, say). */
  unknownProtocol: 'VOX_UNKNOWN_PROTOCOL',
  channel: 'VOX_CHANNEL',
  attachment: 'VOX_ATTACHMENT',
  attachmentTooLarge: 'VOX_ATTACHMENT_TOO_LARGE',
  delivery: 'VOX_DELIVERY',
  nothingSent: 'VOX_NOTHING_SENT',
  notFound: 'VOX_NOT_FOUND',
  invalidInput: 'VOX_INVALID_INPUT',
  /** A text field longer than its maximum, or a list with too many entries: {@link FieldTooLongError}. */
  fieldTooLong: 'VOX_FIELD_TOO_LONG',
  /** A request body larger than the handler's limit (HTTP 413): {@link BodyTooLargeError}. */
  bodyTooLarge: 'VOX_BODY_TOO_LARGE',
  /** A state-changing request of the admin from another site, or without a valid CSRF token for this session (HTTP 403). */
  csrf: 'VOX_CSRF',
  /** A preference of a `required` notification, which nobody can opt out of; nothing is written. */
  preferenceLocked: 'VOX_PREFERENCE_LOCKED',
  /** A preference names a category no notification declares; nothing is written. */
  unknownCategory: 'VOX_UNKNOWN_CATEGORY',
  /** In the message log: a message skipped because its recipient opted out (the error says at which level). */
  optedOut: 'VOX_OPTED_OUT',
  /** In the message log: a message skipped because its address is on the suppression list (the error says why). */
  suppressed: 'VOX_SUPPRESSED',
  /** A request without valid credentials: no signed-in recipient, a bad or expired recipient token, a provider's webhook without valid credentials or signature (HTTP 401); nothing of it is recorded. */
  unauthorized: 'VOX_UNAUTHORIZED',
  /** A preference-center or unsubscribe link whose token is not one Vox signed, or was altered (HTTP 400). */
  invalidToken: 'VOX_INVALID_TOKEN',
  /** An actor's handle that Mastodon would refuse (see `vox/activity`). */
  invalidHandle: 'VOX_INVALID_HANDLE',
  /** Two actors with one handle. */
  duplicateHandle: 'VOX_DUPLICATE_HANDLE',
  /** notify()'s `delay`, `at` or `key` is not usable: negative, not a time, too far in the past, both given. */
  invalidSchedule: 'VOX_INVALID_SCHEDULE',
  /** notify()'s `key` already names an issue that waits for its time: cancel it first. */
  keyTaken: 'VOX_KEY_TAKEN',
  /** A notification's `digest` that cannot work: a window of zero or less, a maxWait shorter than the window, … */
  invalidDigest: 'VOX_INVALID_DIGEST',
  /** Logged on a message skipped because its recipient had the throttle's limit of the notification in its window. */
  throttled: 'VOX_THROTTLED',
  /** settled() of an issue that was cancelled before its time. */
  issueCancelled: 'VOX_ISSUE_CANCELLED',
} as const;

/** One of the values of {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base class of every error Vox throws or records. */
export class VoxError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VoxError';
    this.code = code;
  }
}

/** Whether `error` says that a template could not be rendered (a failure or a broken limit), rather than something else. */
export function isRenderFailure(error: unknown): error is VoxError {
  return error instanceof VoxError && (error.code === ErrorCode.render || error.code === ErrorCode.renderLimit);
}

/** A text field that staff or a remote server submitted is longer than Vox accepts, or a list has too many entries. Nothing is saved. */
export class FieldTooLongError extends VoxError {
  /** The field, as the input names it: `name`, `content`, `recipients`, … */
  readonly field: string;
  /** The most characters the field (or each of its entries) may hold, or the most entries of a list. */
  readonly maxLength: number;

  constructor(field: string, maxLength: number, unit: 'characters' | 'characters per entry' | 'entries' = 'characters') {
    super(ErrorCode.fieldTooLong, `${field} is too long: ${maxLength.toLocaleString('en-US')} ${unit} at most`);
    this.name = 'FieldTooLongError';
    this.field = field;
    this.maxLength = maxLength;
  }
}

/** A request body larger than the handler accepts; the handler answers 413 and reads no further. */
export class BodyTooLargeError extends VoxError {
  /** The limit, in bytes. */
  readonly maxBytes: number;

  constructor(maxBytes: number) {
    super(ErrorCode.bodyTooLarge, `the request body is too large: ${maxBytes.toLocaleString('en-US')} bytes at most`);
    this.name = 'BodyTooLargeError';
    this.maxBytes = maxBytes;
  }
}

/** Where a problem sits in a template's source, 1-based. */
export interface TemplateProblem {
  /** The template field: `subject`, `content`, `fromAddress`, `backend`, `recipients` or `attachments`. */
  readonly field: string;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

/** A template that cannot be saved or rendered: syntax errors with their line and column. */
export class TemplateValidationError extends VoxError {
  readonly problems: readonly TemplateProblem[];

  constructor(problems: readonly TemplateProblem[], message?: string) {
    super(ErrorCode.invalidTemplate, message ?? formatProblems(problems));
    this.name = 'TemplateValidationError';
    this.problems = problems;
  }
}

function formatProblems(problems: readonly TemplateProblem[]): string {
  return problems
    .map((p) => `${p.field}${p.line === undefined ? '' : ` line ${p.line}, column ${p.column ?? 0}`}: ${p.message}`)
    .join('; ');
}

/** Details a backend gives about a failed delivery. */
export interface DeliveryErrorDetails {
  /** The backend id, for example `email-html`. */
  readonly backend: string;
  /** True when retrying cannot help (SMTP 5xx, HTTP 4xx). */
  readonly permanent: boolean;
  /** SMTP reply code or HTTP status. */
  readonly statusCode?: number;
  /** Provider or transport error code (for example `EENVELOPE`). */
  readonly providerCode?: string;
  /** The provider's reply, truncated to 2,000 characters. */
  readonly responseBody?: string;
  readonly cause?: unknown;
}

const MAX_RESPONSE_BODY = 2000;

/** A backend could not deliver a message. Failure is data: status and reply are fields, not prose. */
export class DeliveryError extends VoxError {
  readonly backend: string;
  readonly permanent: boolean;
  readonly statusCode: number | undefined;
  readonly providerCode: string | undefined;
  readonly responseBody: string | undefined;

  constructor(message: string, details: DeliveryErrorDetails) {
    super(ErrorCode.delivery, message, { cause: details.cause });
    this.name = 'DeliveryError';
    this.backend = details.backend;
    this.permanent = details.permanent;
    this.statusCode = details.statusCode;
    this.providerCode = details.providerCode;
    this.responseBody = details.responseBody?.slice(0, MAX_RESPONSE_BODY);
  }
}

/** A `required` notification reached nobody. The message log still holds every failure. */
export class NothingSentError extends VoxError {
  readonly issueId: number;
  readonly failures: readonly string[];

  constructor(notificationId: string, issueId: number, failures: readonly string[]) {
    const detail = failures.length === 0 ? 'no template, recipient or contact matched' : failures.join('; ');
    super(ErrorCode.nothingSent, `required notification ${notificationId} reached nobody (issue ${issueId}): ${detail}`);
    this.name = 'NothingSentError';
    this.issueId = issueId;
    this.failures = failures;
  }
}

/** Text of any thrown value, for the message log. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
