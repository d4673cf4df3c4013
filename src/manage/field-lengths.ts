/**
 * How long each text field that staff submit (through the admin, or the same calls in code) may
 * be, and the checks that refuse a longer one with VOX_FIELD_TOO_LONG naming the field, before
 * anything is parsed or saved. The limits are far above real use and far below what would burden
 * the database, the renderer or the admin's pages.
 */
import { FieldTooLongError } from '../vocabulary/errors.ts';

/** The most characters of each kind of field (JavaScript string length), and the most entries of a list. */
export const MAX_LENGTH = {
  /** A site contact's name. */
  name: 200,
  /** A contact's address: e-mail stops at 254, but webhook URLs and XMPP addresses run longer. */
  address: 2048,
  /** Identifiers: model names, codenames, backend ids, protocols, channel and attachment keys, object ids. */
  key: 200,
  /** A notification's key, `<model>.<codename>`. */
  notificationKey: 401,
  /** A notification's description. */
  description: 1000,
  /** A subject or from address (templates may use variables in both). */
  subject: 1000,
  /** The content of a template or one-time message: HTML with inline styles included. */
  content: 100_000,
  /** A search typed in the admin. */
  query: 200,
  /** Entries of a list: recipients, attachments, objects, message ids, site-contact settings. */
  entries: 1000,
} as const;

/** Refuses a text longer than `max` characters; other values are left to the field's own checks. */
export function checkLength(field: string, value: unknown, max: number): void {
  if (typeof value === 'string' && value.length > max) throw new FieldTooLongError(field, max);
}

/** Refuses a list of more than {@link MAX_LENGTH.entries} entries, or with a text entry longer than `maxEach`. */
export function checkEntries(field: string, values: readonly unknown[] | undefined, maxEach: number): void {
  if (!Array.isArray(values)) return;
  if (values.length > MAX_LENGTH.entries) throw new FieldTooLongError(field, MAX_LENGTH.entries, 'entries');
  if (values.some((value) => typeof value === 'string' && value.length > maxEach)) throw new FieldTooLongError(field, maxEach, 'characters per entry');
}
