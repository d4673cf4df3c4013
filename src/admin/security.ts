/** The admin's security: CSRF tokens and the response headers every page and API answer carries. */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';

/**
 * The admin's Content Security Policy. Scripts come only from the admin's own files, never inline.
 * Inline styles are allowed because rendered email previews (sandboxed `srcdoc` frames, which
 * inherit this policy) are styled inline, as email is; a sandbox without `allow-scripts` keeps
 * their script from running either way.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: https:",
  "font-src 'self'",
  "connect-src 'self'",
  "frame-src 'self'",
  "frame-ancestors 'none'",
  "form-action 'self'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

/** Headers on every answer of the admin. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** The header that carries the CSRF token on every state-changing request. */
export const CSRF_HEADER = 'X-CSRF-Token';

/** What a CSRF token is bound to: the staff user, and the host's sign-in session when `authorize` names one. */
export interface CsrfSubject {
  readonly userId: string;
  readonly session: string | undefined;
}

/** Why a CSRF token was refused, for the 403's message. */
export type CsrfRefusal = 'missing' | 'wrong' | 'expired';

/** Tokens from a clock this far ahead of ours still count (several processes, one secret). */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * CSRF tokens: `<issued>.<HMAC-SHA256 of the user id, the host's session and the time issued>`
 * under the admin's secret. Another site can make a browser send the admin's cookies, but it can
 * neither read the page that holds the token nor compute one. A token is good for the session it
 * was made in (a new sign-in makes new ones; one from before a sign-out or from another session
 * is refused) and for `maxAgeMs` after it was made.
 */
export class CsrfTokens {
  readonly #key: Buffer;
  readonly #maxAgeMs: number;

  constructor(secret: string | Uint8Array | undefined, maxAgeMs: number) {
    this.#key = secret === undefined ? randomBytes(32) : Buffer.from(secret);
    if (this.#key.length < 16) throw new VoxError(ErrorCode.configuration, 'the admin secret must be at least 16 bytes long');
    if (!Number.isSafeInteger(maxAgeMs) || maxAgeMs < 1000) throw new VoxError(ErrorCode.configuration, `the admin's csrfMaxAgeMs must be a whole number of milliseconds, 1000 or more, not ${String(maxAgeMs)}`);
    this.#maxAgeMs = maxAgeMs;
  }

  /** A new token for this user and session. */
  issue(subject: CsrfSubject, now = Date.now()): string {
    const issued = now.toString(36);
    return `${issued}.${this.#mac(subject, issued)}`;
  }

  /** Undefined when `token` was made for this user and session and has not expired; otherwise why not. */
  refusal(subject: CsrfSubject, token: string | undefined | null, now = Date.now()): CsrfRefusal | undefined {
    if (!token) return 'missing';
    const [issued = '', mac = '', ...rest] = token.split('.');
    const time = parseInt(issued, 36);
    if (rest.length > 0 || !/^[0-9a-z]{1,11}$/.test(issued) || time > now + CLOCK_SKEW_MS) return 'wrong';
    const expected = Buffer.from(this.#mac(subject, issued));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'wrong';
    return now - time > this.#maxAgeMs ? 'expired' : undefined;
  }

  #mac(subject: CsrfSubject, issued: string): string {
    return createHmac('sha256', this.#key).update(JSON.stringify(['vox-admin-csrf', subject.userId, subject.session ?? null, issued])).digest('base64url');
  }
}
