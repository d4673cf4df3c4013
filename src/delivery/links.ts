/**
 * The links of one recipient's message to the preference center: `unsubscribe_url` and
 * `preferences_url` for templates, and the unsubscribe links of its email headers. Each carries a
 * signed token (see `http/recipient-tokens.ts`) naming the recipient, the address the message
 * goes to and the scope, so the preference center checks it without the database.
 */
import { RecipientTokens, type TokenScope } from '../http/recipient-tokens.ts';
import type { Contact } from '../vocabulary/contact.ts';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { UnsubscribeLinks } from '../vocabulary/payload.ts';
import type { NotificationRecord } from '../vocabulary/records.ts';
import type { PreferenceCenterSettings } from '../vocabulary/site.ts';

/** The default path the preference center is mounted at, below the site's base URL. */
export const DEFAULT_PREFERENCE_PATH = '/notifications';

/** What a notification says about unsubscribing from it. */
export interface UnsubscribeTopic {
  /** `<model>.<codename>`. */
  readonly notification: string;
  /** Its category's key, when it has one: a one-click unsubscribe leaves the category. */
  readonly category?: string | null;
  /** Required notifications (security, receipts) carry no unsubscribe headers and no unsubscribe link. */
  readonly required?: boolean;
}

/** One recipient's links: the template variables, and the payload's unsubscribe headers when the notification allows them. */
export interface RecipientLinkSet {
  readonly variables: { readonly unsubscribe_url?: string; readonly preferences_url: string };
  readonly unsubscribe?: UnsubscribeLinks;
}

/** What a notification record says about unsubscribing. */
export function unsubscribeTopic(notification: NotificationRecord): UnsubscribeTopic {
  return { notification: notification.key, category: notification.category?.key ?? null, required: notification.required };
}

/** The scope of a message's unsubscribe link: its category when it has one, else the notification itself. */
export function unsubscribeScope(topic: UnsubscribeTopic): TokenScope {
  return topic.category ? { kind: 'category', category: topic.category } : { kind: 'notification', notification: topic.notification };
}

/** Makes the links of the preference center configured with `createVox({ preferenceCenter })`. */
export class RecipientLinks {
  readonly tokens: RecipientTokens;
  /** The preference center's absolute URL, without a trailing slash: `https://blog.example/notifications`. */
  readonly root: string;
  readonly #mailto: string | undefined;

  constructor(settings: PreferenceCenterSettings, baseUrl: string | undefined) {
    const option = 'createVox({ preferenceCenter })';
    this.tokens = new RecipientTokens(settings.secrets, option);
    this.root = centerRoot(settings, baseUrl, option);
    const mailto = settings.mailto?.trim();
    if (mailto !== undefined && !/^[^\s@<>"?]+@[^\s@<>"?]+$/.test(mailto)) throw new VoxError(ErrorCode.configuration, `${option}: mailto must be an email address such as unsubscribe@example.org, not ${JSON.stringify(settings.mailto)}`);
    this.#mailto = mailto;
  }

  /** The URL a token's holder unsubscribes at (GET asks, POST does it). */
  unsubscribeUrl(token: string): string {
    return `${this.root}/unsubscribe/${token}`;
  }

  /** The URL of the preference page of a token's recipient. */
  preferencesUrl(token: string): string {
    return `${this.root}/preferences/${token}`;
  }

  /**
   * The links of a message of `topic` to `contact`, a recipient of `model` with `id`. One token
   * serves both: the preference page takes a token of any scope (whoever may unsubscribe may
   * choose what they receive), so a message costs one HMAC.
   */
  forRecipient(topic: UnsubscribeTopic, model: string, id: string, contact: Contact): RecipientLinkSet {
    const who = { model, id, protocol: contact.protocol, address: contact.address };
    if (topic.required) return { variables: { preferences_url: this.preferencesUrl(this.tokens.sign({ ...who, scope: { kind: 'center' } })) } };
    const token = this.tokens.sign({ ...who, scope: unsubscribeScope(topic) });
    const url = this.unsubscribeUrl(token);
    return { variables: { unsubscribe_url: url, preferences_url: this.preferencesUrl(token) }, unsubscribe: this.#links(url, token) };
  }

  /**
   * The unsubscribe links of a message rendered again from the variables stored when its first
   * render failed (a resend): its `unsubscribe_url`, when it is one of this center's.
   */
  fromVariables(variables: Readonly<Record<string, unknown>>): UnsubscribeLinks | undefined {
    const url = variables.unsubscribe_url;
    const prefix = `${this.root}/unsubscribe/`;
    if (typeof url !== 'string' || !url.startsWith(prefix)) return undefined;
    const token = url.slice(prefix.length);
    return this.tokens.verify(token) ? this.#links(url, token) : undefined;
  }

  #links(url: string, token: string): UnsubscribeLinks {
    return this.#mailto ? { url, mailto: `mailto:${this.#mailto}?subject=${encodeURIComponent(`unsubscribe ${token}`)}` } : { url };
  }
}

/**
 * Where the preference center is: the site's base URL and the mount path. One-click unsubscribe
 * takes only https (RFC 8058), except at a loopback address, where a development server runs.
 */
function centerRoot(settings: PreferenceCenterSettings, baseUrl: string | undefined, option: string): string {
  let url: URL;
  try {
    url = new URL(settings.baseUrl ?? baseUrl ?? '');
  } catch {
    throw new VoxError(ErrorCode.configuration, `${option} needs the site's address for its links: createVox({ site: { baseUrl: 'https://blog.example.org' } })`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new VoxError(ErrorCode.configuration, `${option}: unsubscribe links must be https (RFC 8058), not ${url.origin}`);
  }
  const path = normalisePath(settings.path ?? DEFAULT_PREFERENCE_PATH, option);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}${path}`;
}

/** `notifications/` and `/notifications/` become `/notifications`; `/` becomes `''`. */
export function normalisePath(path: string, option: string): string {
  const trimmed = path.trim().replace(/\/+$/, '');
  if (trimmed === '') return '';
  if (!/^\/?[A-Za-z0-9._~\-/]+$/.test(trimmed)) throw new VoxError(ErrorCode.configuration, `${option}: path ${JSON.stringify(path)} must be a plain path such as /notifications`);
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}
