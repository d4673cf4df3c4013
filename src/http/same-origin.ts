/**
 * Whether a state-changing request comes from a page of the handler's own site: what a browser
 * says in `Origin` (or, when it sends none, `Referer`), compared with the origins the handler is
 * served at. Another site can make a browser send cookies, but not lie in these headers.
 */
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';

/**
 * The origin (`https://example.org:8443`) of each URL, for the trusted origins of a handler.
 * Throws VOX_CONFIGURATION for a URL that has none, naming the option.
 */
export function originsOf(urls: readonly string[], option: string): string[] {
  return urls.map((url) => {
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      origin = 'null';
    }
    if (origin === 'null') throw new VoxError(ErrorCode.configuration, `${option}: ${JSON.stringify(url)} is not an origin such as https://admin.example.org`);
    return origin;
  });
}

/**
 * Why a state-changing request is refused as coming from another site, or undefined when it may
 * go on. `trusted` holds origins besides the request's own (a proxy's public one, the site's).
 * A request with neither `Origin` nor `Referer` was not sent by a page (browsers send `Origin`
 * with every POST, PUT and DELETE), so it goes on: a script that holds the token is no forgery.
 */
export function crossOriginRefusal(request: Request, trusted: ReadonlySet<string>): string | undefined {
  const own = new URL(request.url).origin;
  const allowed = (origin: string) => origin === own || trusted.has(origin);
  const origin = request.headers.get('origin');
  if (origin !== null) return allowed(origin) ? undefined : `the request comes from a page of ${origin}, not of this site (${own})`;
  const referer = request.headers.get('referer');
  if (referer === null) return undefined;
  let from: string;
  try {
    from = new URL(referer).origin;
  } catch {
    return 'the request comes from a page whose address (Referer) cannot be read';
  }
  return allowed(from) ? undefined : `the request comes from a page of ${from}, not of this site (${own})`;
}
