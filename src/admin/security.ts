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

/**
 * CSRF tokens bound to the staff user: an HMAC of their id under a secret. Another site can make
 * a browser send the admin's cookies, but it cannot read the page that holds the token, nor
 * compute it.
 */
export class CsrfTokens {
  readonly #key: Buffer;

  constructor(secret: string | Uint8Array | undefined) {
    this.#key = secret === undefined ? randomBytes(32) : Buffer.from(secret);
    if (this.#key.length < 16) throw new VoxError(ErrorCode.configuration, 'the admin secret must be at least 16 bytes long');
  }

  tokenFor(userId: string): string {
    return createHmac('sha256', this.#key).update(`vox-admin-csrf\u0000${userId}`).digest('base64url');
  }

  verify(userId: string, token: string | undefined | null): boolean {
    if (!token) return false;
    const expected = Buffer.from(this.tokenFor(userId));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
