/** The in-app feed API: a local actor's inbox as JSON, read and unread. */
import type { Awaitable } from '../vocabulary/model.ts';
import type { ActivityStore, InboxItem } from './store.ts';

/** A local actor's in-app inbox. */
export interface ActivityInbox {
  /** Items newest first: `limit` (default 20, at most 100) before the item id `before`. */
  list(options?: { readonly limit?: number; readonly before?: number; readonly unreadOnly?: boolean }): Promise<InboxItem[]>;
  unreadCount(): Promise<number>;
  /** Marks items read, by id or `'all'`; returns how many were unread. */
  markRead(ids: readonly number[] | 'all'): Promise<number>;
}

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

export function inboxOf(store: ActivityStore, identifier: string): ActivityInbox {
  return {
    list: (options = {}) => store.items(identifier, { limit: clampLimit(options.limit), before: options.before, unreadOnly: options.unreadOnly }),
    unreadCount: () => store.unreadCount(identifier),
    markRead: (ids) => store.markRead(identifier, ids),
  };
}

function clampLimit(limit: number | undefined): number {
  return limit === undefined || !Number.isFinite(limit) ? DEFAULT_LIMIT : Math.min(Math.max(Math.trunc(limit), 1), MAX_LIMIT);
}

/** What the feed API needs. */
export interface FeedSettings {
  /** Where the API lives, e.g. `/activity/feed`. */
  readonly path: string;
  /** The site's origin, which POSTs must come from. */
  readonly origin: string;
  readonly authorize: ((request: Request) => Awaitable<string | null | undefined>) | undefined;
  inbox(identifier: string): Promise<ActivityInbox | undefined>;
}

const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
const json = (body: unknown, status = 200, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });

/**
 * The in-app feed API of the signed-in user's inbox, or undefined when the request is not for it:
 *
 * - `GET {path}?limit=20&before=ID`: `{ items, unread }`, newest first;
 * - `GET {path}/unread`: `{ unread }`;
 * - `POST {path}/read` with JSON `{ "ids": [1, 2] }` or `{ "all": true }`: `{ marked, unread }`.
 *
 * Every request needs the host app's `authorize`; POSTs must also come from the site itself
 * (`Origin` or `Sec-Fetch-Site`) with a JSON body, which a cross-site form cannot send.
 */
export async function feedResponse(request: Request, settings: FeedSettings): Promise<Response | undefined> {
  const url = new URL(request.url);
  const route = url.pathname === settings.path ? 'items' : url.pathname === `${settings.path}/unread` ? 'unread' : url.pathname === `${settings.path}/read` ? 'read' : undefined;
  if (!route) return undefined;
  if (!settings.authorize) return json({ error: 'the feed API is off: activity({ authorize }) turns it on' }, 404);
  const method = route === 'read' ? 'POST' : 'GET';
  if (request.method !== method && !(method === 'GET' && request.method === 'HEAD')) return json({ error: `use ${method}` }, 405, { Allow: method });
  if (method === 'POST') {
    const refusal = crossSiteRefusal(request, settings.origin);
    if (refusal) return json({ error: refusal }, 403);
  }
  const identifier = await settings.authorize(request);
  const inbox = identifier ? await settings.inbox(identifier) : undefined;
  if (!inbox) return json({ error: 'sign in first' }, 401);

  if (route === 'unread') return json({ unread: await inbox.unreadCount() });
  if (route === 'items') {
    const limit = url.searchParams.get('limit');
    const before = url.searchParams.get('before');
    if ((limit !== null && !/^\d+$/.test(limit)) || (before !== null && !/^\d+$/.test(before))) return json({ error: 'limit and before are whole numbers' }, 400);
    const items = await inbox.list({ ...(limit === null ? {} : { limit: Number(limit) }), ...(before === null ? {} : { before: Number(before) }) });
    return json({ items, unread: await inbox.unreadCount() });
  }
  if (!/^application\/json\b/i.test(request.headers.get('content-type') ?? '')) return json({ error: 'send JSON: { "ids": [...] } or { "all": true }' }, 415);
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return json({ error: 'the body is not JSON' }, 400);
  }
  const { ids, all } = (typeof body === 'object' && body !== null ? body : {}) as { ids?: unknown; all?: unknown };
  const valid = all === true || (Array.isArray(ids) && ids.length <= 1000 && ids.every((id) => Number.isSafeInteger(id)));
  if (!valid) return json({ error: 'send { "ids": [1, 2] } (item ids) or { "all": true }' }, 400);
  const marked = await inbox.markRead(all === true ? 'all' : (ids as number[]));
  return json({ marked, unread: await inbox.unreadCount() });
}

/** Why a POST is refused as cross-site, or undefined when it comes from the site. */
function crossSiteRefusal(request: Request, siteOrigin: string): string | undefined {
  const fetchSite = request.headers.get('sec-fetch-site');
  if (fetchSite !== null) return fetchSite === 'same-origin' ? undefined : `cross-site request refused (Sec-Fetch-Site: ${fetchSite})`;
  const origin = request.headers.get('origin');
  if (origin === null) return 'cross-site request refused: no Origin header';
  return origin === siteOrigin || origin === new URL(request.url).origin ? undefined : `cross-site request refused (Origin: ${origin})`;
}
