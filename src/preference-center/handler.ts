/**
 * `vox.preferenceCenter()`: the `fetch(Request)` handler recipients reach from their messages.
 * `<path>/unsubscribe/<token>` unsubscribes: a POST of `List-Unsubscribe=One-Click` (RFC 8058, what
 * mail providers send, without cookies) at once, the page's button after a same-origin check; a
 * GET only asks. `<path>/preferences/<token>` (or `<path>/` with the host's session, through
 * `authenticate`) shows the recipient's grid and saves it. Bodies are capped before they are read.
 */
import { maxBodyBytesOption, withBodyLimit } from '../http/body-limit.ts';
import type { RecipientToken } from '../http/recipient-tokens.ts';
import { crossOriginRefusal, originsOf } from '../http/same-origin.ts';
import type { RecipientLinks } from '../delivery/links.ts';
import { ErrorCode, VoxError, errorText } from '../vocabulary/errors.ts';
import { cellName, confirmPage, invalidLinkPage, messagePage, preferencesPage, signInPage } from './pages.ts';
import type { PreferenceCenterDeps, PreferenceChange, PreferenceGrid } from './port.ts';

/** A recipient the host app knows from its session: a registered model's name and the object's id. */
export interface RecipientIdentity {
  readonly model: string;
  readonly id: string | number;
}

/** Options of `vox.preferenceCenter()`. */
export interface PreferenceCenterOptions<Context = unknown> {
  /**
   * The recipient signed in to the host app, from the request's cookies (or null): it may open
   * `<path>/` and save its preferences without a link from a message. Writes this way are taken
   * only from pages of the site itself (`Origin`, else `Referer`). `context` is what a framework
   * adapter (`vox/express`, …) passes along: the framework's request. @default nobody: links only
   */
  readonly authenticate?: (request: Request, context: Context | undefined) => RecipientIdentity | null | undefined | Promise<RecipientIdentity | null | undefined>;
  /** Origins besides the request's own whose pages may post the forms (a proxy's public origin). @default none */
  readonly trustedOrigins?: readonly string[];
  /** Largest request body read. @default 65536 */
  readonly maxBodyBytes?: number;
}

/** The handler, and unsubscribing by a token received some other way (the `mailto:` of `List-Unsubscribe`). */
export interface PreferenceCenter<Context = unknown> {
  /** The path it answers below, e.g. `/notifications`. */
  readonly basePath: string;
  /** A framework adapter passes its request as `context`, for `authenticate`. */
  readonly fetch: (request: Request, context?: Context) => Promise<Response>;
  /**
   * Unsubscribes as the token says, for a token the host took from an email sent to the `mailto`
   * address (its subject is `unsubscribe <token>`). False when the token is not valid.
   */
  unsubscribe(token: string): Promise<boolean>;
}

const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** Pages hold tokens in their URLs: the referrer goes to the site only; nothing is cached, framed or scripted. */
const HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'Referrer-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};

/** Builds the handler over `links` (the settings of `createVox({ preferenceCenter })`). */
export function createPreferenceCenter<Context = unknown>(links: RecipientLinks, deps: PreferenceCenterDeps, options: PreferenceCenterOptions<Context> = {}): PreferenceCenter<Context> {
  if (options.authenticate !== undefined && typeof options.authenticate !== 'function') {
    throw new VoxError(ErrorCode.configuration, 'vox.preferenceCenter({ authenticate }) must be a function of the request returning { model, id } or null');
  }
  const maxBodyBytes = options.maxBodyBytes === undefined ? DEFAULT_MAX_BODY_BYTES : maxBodyBytesOption(options.maxBodyBytes, 'vox.preferenceCenter()');
  const root = new URL(links.root);
  const basePath = root.pathname.replace(/\/+$/, '');
  const trusted = new Set([root.origin, ...originsOf(options.trustedOrigins ?? [], 'vox.preferenceCenter({ trustedOrigins })')]);

  async function unsubscribe(token: RecipientToken, note: string): Promise<void> {
    const { model, id, protocol, address, scope } = token;
    if (scope.kind === 'all') await deps.suppress({ protocol, address, reason: 'unsubscribed', source: 'recipient', note });
    else if (scope.kind === 'category') await deps.set(model, id, [{ category: scope.category, protocol, enabled: false }]);
    else if (scope.kind === 'notification') await deps.set(model, id, [{ notification: scope.notification, protocol, enabled: false }]);
    else throw new VoxError(ErrorCode.invalidToken, 'this link is not an unsubscribe link');
  }

  /** What an unsubscribe token is about, in words, read from the grid (a read: GET changes nothing). */
  async function describe(token: RecipientToken): Promise<string> {
    const { scope, protocol } = token;
    const medium = protocol === 'email' ? 'emails' : `${protocol} messages`;
    if (scope.kind === 'all') return `any ${medium}`;
    const grid = await deps.get(token.model, token.id).catch(() => undefined);
    if (scope.kind === 'category') return `${grid?.categories.find((c) => c.key === scope.category)?.label ?? scope.category} ${medium}`;
    if (scope.kind === 'notification') return `${grid?.notifications.find((n) => n.key === scope.notification)?.description ?? scope.notification} ${medium}`;
    return medium;
  }

  async function handle(request: Request, context: Context | undefined): Promise<Response> {
    const url = new URL(request.url);
    const json = wantsJson(request);
    if (url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) return failure(json, 404, ErrorCode.notFound, 'not found');
    const [section = '', token, ...extra] = url.pathname.slice(basePath.length).split('/').filter(Boolean);
    const read = request.method === 'GET' || request.method === 'HEAD';
    if (!read && request.method !== 'POST') return failure(json, 405, ErrorCode.invalidInput, 'use GET or POST', { Allow: 'GET, HEAD, POST' });
    if (extra.length > 0 || !['', 'unsubscribe', 'preferences'].includes(section) || (section === 'unsubscribe' && !token)) return failure(json, 404, ErrorCode.notFound, 'not found');

    if (section === 'unsubscribe') {
      const named = links.tokens.verify(token!);
      if (!named || named.scope.kind === 'center') return invalidToken(json);
      // Links on the pages stay on the site they were opened at: paths, not the configured base URL.
      const pathOf = (link: string) => new URL(link).pathname;
      const preferences = pathOf(links.preferencesUrl(links.tokens.sign({ ...named, scope: { kind: 'center' } })));
      if (read) {
        if (json) return Response.json({ unsubscribe: { protocol: named.protocol, address: named.address, scope: named.scope } }, { headers: HEADERS });
        const everything = named.scope.kind === 'all' ? undefined : links.unsubscribeUrl(links.tokens.sign({ ...named, scope: { kind: 'all' } }));
        return htmlResponse(200, confirmPage(await describe(named), named.address, url.pathname, preferences, everything && pathOf(everything)));
      }
      const form = await formOf(request);
      const oneClick = form.get('List-Unsubscribe') === 'One-Click';
      // A mail provider's one-click POST carries no cookie and no CSRF token: the token in the URL is
      // the whole credential. The page's own button is a browser's write, taken from the site's pages only.
      if (!oneClick) {
        const refusal = crossOriginRefusal(request, trusted);
        if (refusal) return failure(json, 403, ErrorCode.csrf, `${refusal}: refused`);
      }
      await unsubscribe(named, oneClick ? 'one-click unsubscribe' : 'unsubscribe page');
      if (json) return Response.json({ unsubscribed: true }, { headers: HEADERS });
      return htmlResponse(200, messagePage('Unsubscribed', `You will no longer receive ${await describe(named)} at ${named.address}.`, { href: preferences, label: 'Manage all your notifications' }));
    }

    // The preference page: by a link's token, else by the host's session.
    let recipient: { model: string; id: string; address?: string };
    const bySession = !token;
    const named = token ? links.tokens.verify(token) : undefined;
    if (token) {
      if (!named) return invalidToken(json);
      recipient = { model: named.model, id: named.id, address: named.address };
    } else {
      const identity = options.authenticate ? await options.authenticate(request, context) : undefined;
      if (!identity) return json ? failure(json, 401, 'VOX_UNAUTHORIZED', 'sign in, or open the link of one of your messages') : htmlResponse(401, signInPage());
      recipient = { model: identity.model, id: String(identity.id) };
    }
    if (!read) {
      const refusal = crossOriginRefusal(request, trusted) ?? (bySession && !request.headers.has('origin') && !request.headers.has('referer') ? 'the request does not say which page it comes from' : undefined);
      if (refusal) return failure(json, 403, ErrorCode.csrf, `${refusal}: refused`);
      const grid = await deps.get(recipient.model, recipient.id);
      const form = json ? undefined : await formOf(request);
      if (form?.get('resubscribe') === '1') {
        // Only the owner's own "unsubscribe from everything" is theirs to undo; bounces, complaints and staff's entries stay.
        if (named && (await deps.suppression(named.protocol, named.address))?.reason === 'unsubscribed') await deps.unsuppress(named.protocol, named.address);
        return new Response(null, { status: 303, headers: { ...HEADERS, Location: `${url.pathname}?saved=1` } });
      }
      const changes = form ? changesOf(grid, form) : await jsonChanges(request);
      if (changes.length > 0) await deps.set(recipient.model, recipient.id, changes);
      if (json) return Response.json({ preferences: await deps.get(recipient.model, recipient.id) }, { headers: HEADERS });
      return new Response(null, { status: 303, headers: { ...HEADERS, Location: `${url.pathname}?saved=1` } });
    }
    const grid = await deps.get(recipient.model, recipient.id);
    if (json) return Response.json({ preferences: grid }, { headers: HEADERS });
    const unsubscribedFromAll = named ? (await deps.suppression(named.protocol, named.address))?.reason === 'unsubscribed' : false;
    return htmlResponse(
      200,
      preferencesPage(grid, url.pathname, { saved: url.searchParams.has('saved'), unsubscribedFromAll, ...(recipient.address ? { address: recipient.address } : {}), ...(deps.siteName ? { siteName: deps.siteName } : {}), ...(deps.siteUrl ? { siteUrl: deps.siteUrl } : {}) }),
    );
  }

  return {
    basePath,
    async fetch(request, context) {
      return withBodyLimit(request, maxBodyBytes, async (limited) => {
        try {
          return await handle(limited, context);
        } catch (error) {
          const json = wantsJson(request);
          if (error instanceof VoxError && error.code === ErrorCode.bodyTooLarge) throw error;
          if (error instanceof VoxError) return failure(json, error.code === ErrorCode.invalidToken ? 400 : 422, error.code, error.message);
          throw error;
        }
      });
    },
    async unsubscribe(token) {
      const named = links.tokens.verify(token.trim());
      if (!named || named.scope.kind === 'center') return false;
      await unsubscribe(named, 'unsubscribe by email');
      return true;
    },
  };
}

/** The changes a submitted grid makes: each unlocked cell whose box differs from its resolved value. */
function changesOf(grid: PreferenceGrid, form: FormData): PreferenceChange[] {
  const changes: PreferenceChange[] = [];
  const consider = (name: string, cell: { enabled: boolean; locked: boolean } | undefined, change: (enabled: boolean) => PreferenceChange) => {
    if (!cell || cell.locked) return;
    const wanted = form.get(name) === 'on';
    if (wanted !== cell.enabled) changes.push(change(wanted));
  };
  for (const protocol of grid.protocols) {
    consider(cellName('global', protocol, ''), grid.global[protocol], (enabled) => ({ protocol, enabled }));
    for (const c of grid.categories) consider(cellName('category', protocol, c.key), c.cells[protocol], (enabled) => ({ category: c.key, protocol, enabled }));
    for (const n of grid.notifications) if (!n.required) consider(cellName('notification', protocol, n.key), n.cells[protocol], (enabled) => ({ notification: n.key, protocol, enabled }));
  }
  return changes;
}

/** A JSON body `{ "changes": [...] }` as `vox.preferences.set` takes them; it checks each. */
async function jsonChanges(request: Request): Promise<PreferenceChange[]> {
  let body: unknown;
  try {
    body = await request.json();
  } catch (error) {
    if (error instanceof VoxError) throw error;
    throw new VoxError(ErrorCode.invalidInput, 'the body is not JSON: send { "changes": [{ "category": "newsletter", "protocol": "email", "enabled": false }] }');
  }
  const changes = (body as { changes?: unknown } | null)?.changes;
  if (!Array.isArray(changes)) throw new VoxError(ErrorCode.invalidInput, 'send { "changes": [...] }, a list of preference changes');
  return changes as PreferenceChange[];
}

/** A form body (urlencoded or multipart, as RFC 8058 allows); any other body is read as urlencoded text. */
async function formOf(request: Request): Promise<FormData> {
  const type = request.headers.get('content-type') ?? '';
  try {
    if (/^(multipart\/form-data|application\/x-www-form-urlencoded)/i.test(type)) return await request.formData();
    const form = new FormData();
    for (const [key, value] of new URLSearchParams(await request.text())) form.append(key, value);
    return form;
  } catch (error) {
    if (error instanceof VoxError) throw error;
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof VoxError) throw cause;
    throw new VoxError(ErrorCode.invalidInput, `the form could not be read: ${errorText(error)}`);
  }
}

function wantsJson(request: Request): boolean {
  return /application\/json/i.test(request.headers.get('accept') ?? '') || /application\/json/i.test(request.headers.get('content-type') ?? '');
}

function htmlResponse(status: number, body: string): Response {
  return new Response(body, { status, headers: { ...HEADERS, 'Content-Type': 'text/html; charset=utf-8' } });
}

/** A coded error: JSON for JSON requests, else a short page. */
function failure(json: boolean, status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  if (json) return Response.json({ error: { code, message } }, { status, headers: { ...HEADERS, ...headers } });
  return new Response(messagePage(status === 404 ? 'Not found' : 'Request refused', message), { status, headers: { ...HEADERS, ...headers, 'Content-Type': 'text/html; charset=utf-8' } });
}

/** 400 for a link that is not one of ours: the same words whatever was wrong with it. */
function invalidToken(json: boolean): Response {
  if (json) return failure(json, 400, ErrorCode.invalidToken, 'this link is not valid');
  return htmlResponse(400, invalidLinkPage());
}
