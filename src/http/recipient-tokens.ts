/**
 * Signed recipient tokens, for the links of unsubscribe and the preference center: who the link was
 * made for (a recipient model and id, the protocol and address the message went to) and what it may
 * change (everything, a category, a notification, or the whole preference page). Checking one needs
 * the secrets only, never the database: `<payload>.<HMAC-SHA256 of the payload>`, both base64url.
 * Several secrets make rotation possible: links are signed with the first and any of them is accepted.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';

/**
 * What a token lets its holder change: unsubscribe from `all` of a protocol (the suppression list),
 * from one `category`, from one `notification` (`<model>.<codename>`), or use the whole preference
 * `center` (which also offers the other three).
 */
export type TokenScope =
  | { readonly kind: 'all' }
  | { readonly kind: 'category'; readonly category: string }
  | { readonly kind: 'notification'; readonly notification: string }
  | { readonly kind: 'center' };

/** What a token names. */
export interface RecipientToken {
  /** The recipient's model, for example `blog.subscriber`. */
  readonly model: string;
  /** The recipient's id, as a string. */
  readonly id: string;
  /** The protocol and address the link was sent to. */
  readonly protocol: string;
  readonly address: string;
  readonly scope: TokenScope;
}

/** Shortest secret accepted, in bytes (HMAC-SHA256's key is as strong as 32 random bytes). */
const MIN_SECRET_BYTES = 16;
/** Longer tokens are refused before any work: a link's token is a few hundred characters. */
const MAX_TOKEN_LENGTH = 2048;
/** The token format's version, first in the payload, so that a later format can tell old links apart. */
const VERSION = 1;
/** Bound into every MAC, so that a token can never be mistaken for another HMAC made with the same secret. */
const CONTEXT = 'vox.recipient-token.';
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Makes and checks recipient tokens with the secrets of the options. */
export class RecipientTokens {
  /** KeyObjects, made once: `createHmac` with a Buffer key imports it on every call, five times the cost of the HMAC. */
  readonly #keys: readonly KeyObject[];

  /** Throws VOX_CONFIGURATION, naming `option`, when there is no secret or one is shorter than 16 bytes. */
  constructor(secrets: string | readonly string[] | undefined, option: string) {
    const list = typeof secrets === 'string' ? [secrets] : [...(secrets ?? [])];
    if (list.length === 0) throw new VoxError(ErrorCode.configuration, `${option} needs at least one secret (32 random bytes or more, kept out of the code)`);
    this.#keys = list.map((secret, i) => {
      const key = typeof secret === 'string' ? Buffer.from(secret) : undefined;
      if (!key || key.length < MIN_SECRET_BYTES) throw new VoxError(ErrorCode.configuration, `${option}: secret ${i + 1} must be a string of at least ${MIN_SECRET_BYTES} bytes`);
      return createSecretKey(key);
    });
  }

  /** A token for `token`, signed with the first secret. */
  sign(token: RecipientToken): string {
    const payload = Buffer.from(JSON.stringify([VERSION, token.model, token.id, token.protocol, token.address, scopeText(token.scope)])).toString('base64url');
    return `${payload}.${mac(this.#keys[0]!, payload).toString('base64url')}`;
  }

  /**
   * What `token` names, or undefined when it is not one of ours: forged, truncated, tampered with,
   * signed with a secret no longer listed. Each MAC is compared in constant time.
   */
  verify(token: string): RecipientToken | undefined {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined;
    const [payload = '', signature = '', ...rest] = token.split('.');
    if (rest.length > 0 || !BASE64URL.test(payload) || !BASE64URL.test(signature)) return undefined;
    const given = Buffer.from(signature, 'base64url');
    // Only the canonical spelling of a MAC counts, so that one token has one form.
    if (given.length !== 32 || given.toString('base64url') !== signature) return undefined;
    let valid = false;
    for (const key of this.#keys) valid = timingSafeEqual(mac(key, payload), given) || valid;
    return valid ? parsePayload(payload) : undefined;
  }
}

function mac(key: KeyObject, payload: string): Buffer {
  return createHmac('sha256', key).update(CONTEXT).update(payload).digest();
}

function scopeText(scope: TokenScope): string {
  switch (scope.kind) {
    case 'all':
      return 'a';
    case 'center':
      return 'p';
    case 'category':
      return `c:${scope.category}`;
    case 'notification':
      return `n:${scope.notification}`;
  }
}

function scopeOf(text: string): TokenScope | undefined {
  if (text === 'a') return { kind: 'all' };
  if (text === 'p') return { kind: 'center' };
  if (text.startsWith('c:') && text.length > 2) return { kind: 'category', category: text.slice(2) };
  if (text.startsWith('n:') && text.length > 2) return { kind: 'notification', notification: text.slice(2) };
  return undefined;
}

/** The fields of a payload whose MAC was good; undefined for one made by a format this version does not know. */
function parsePayload(payload: string): RecipientToken | undefined {
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(fields) || fields.length !== 6 || fields[0] !== VERSION) return undefined;
  const [, model, id, protocol, address, scope] = fields as unknown[];
  if (typeof model !== 'string' || typeof id !== 'string' || typeof protocol !== 'string' || typeof address !== 'string' || typeof scope !== 'string') return undefined;
  const parsed = scopeOf(scope);
  return parsed ? { model, id, protocol, address, scope: parsed } : undefined;
}
