// Where the demo lives: whether an address is this machine's alone, and whether Mastodon can reach the blog at all.

/** Whether a host name or address only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** How the author is known on the fediverse, and whether a Mastodon server can follow them there. */
export interface FediverseView {
  /** `@author@blog.example.org`. */
  readonly handle: string;
  /** The author's profile page, which is also their actor IRI. */
  readonly profile: string;
  /**
   * Mastodon fetches and delivers over https, to host names it can reach: a blog on http, or on
   * this machine's own addresses, cannot be followed from any Mastodon server.
   */
  readonly followable: boolean;
}

/** Whether a Mastodon server can reach a blog at `baseUrl`: https, at a host name that is not this machine's or a private network's. */
export function followableAt(baseUrl: string): boolean {
  const { protocol, hostname } = new URL(baseUrl);
  return protocol === 'https:' && !isLoopback(hostname) && !/^(10|192\.168|172\.(1[6-9]|2\d|3[01]))\./.test(hostname);
}

/** The fediverse view of a user of the blog at `baseUrl`. */
export function fediverseView(baseUrl: string, user: { readonly id: number; readonly username: string }): FediverseView {
  const url = new URL(baseUrl);
  return { handle: `@${user.username}@${url.host}`, profile: new URL(`/users/${user.id}`, url).href, followable: followableAt(baseUrl) };
}
