/**
 * Recipient tokens for a front end on another origin: `v1.<payload>.<signature>`, the payload the
 * recipient's inbox key and an expiry, signed with HMAC-SHA256. Several secrets may verify (the
 * first signs), for rotation; a bad token reveals nothing about why.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';

/** What a token says, once verified. */
export interface TokenClaims {
  /** The recipient's inbox key. */
  readonly recipient: string;
  /** Seconds since the epoch after which it is refused. */
  readonly expires: number;
}

/** The scope mixed into every signature, so that Vox's other tokens never pass for these. */
const SCOPE = 'vox-inbox-token.v1';

export function checkedSecrets(secrets: readonly string[] | undefined): readonly string[] {
  if (secrets === undefined) return [];
  if (!Array.isArray(secrets) || secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s.length < 32)) {
    throw new VoxError(ErrorCode.configuration, 'inboxHandler: tokens.secrets must be a list of secrets of at least 32 characters, the first signing');
  }
  return secrets;
}

function sign(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(`${SCOPE}.${payload}`).digest();
}

/** A token for `recipient` valid for `ttlSeconds`. */
export function signToken(secrets: readonly string[], recipient: string, ttlSeconds: number, nowMs = Date.now()): string {
  const secret = secrets[0];
  if (secret === undefined) throw new VoxError(ErrorCode.configuration, 'inboxHandler: recipient tokens need tokens: { secrets: [...] }');
  const payload = Buffer.from(JSON.stringify({ r: recipient, e: Math.floor(nowMs / 1000) + ttlSeconds })).toString('base64url');
  return `v1.${payload}.${sign(secret, payload).toString('base64url')}`;
}

/** The claims of a good, unexpired token, or undefined. */
export function verifyToken(secrets: readonly string[], token: string, nowMs = Date.now()): TokenClaims | undefined {
  const [version, payload, signature, extra] = token.split('.');
  if (version !== 'v1' || !payload || !signature || extra !== undefined || token.length > 2048) return undefined;
  const given = Buffer.from(signature, 'base64url');
  if (!secrets.some((secret) => {
    const expected = sign(secret, payload);
    return given.length === expected.length && timingSafeEqual(given, expected);
  })) return undefined;
  let claims: { r?: unknown; e?: unknown };
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { r?: unknown; e?: unknown };
  } catch {
    return undefined;
  }
  if (typeof claims.r !== 'string' || typeof claims.e !== 'number' || claims.e * 1000 <= nowMs) return undefined;
  return { recipient: claims.r, expires: claims.e };
}
