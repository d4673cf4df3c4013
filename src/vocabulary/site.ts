/** The site's own settings, which templates see as `site`. */

/** Site settings, visible to templates as `site`. */
export interface SiteOptions {
  /** Absolute base URL for links, for example `https://blog.example.com`. */
  readonly baseUrl?: string;
  /** The site's name. */
  readonly name?: string;
}

/**
 * Where recipients unsubscribe and manage their preferences, for the links Vox puts in messages:
 * `createVox({ preferenceCenter })`. The same settings go to every process that fans messages out
 * and to the one that mounts `vox.preferenceCenter()`.
 */
export interface PreferenceCenterSettings {
  /**
   * The secrets that sign the links' tokens (32 random bytes or more each, kept out of the code).
   * Links are signed with the first; any listed one is accepted, so that a secret can be rotated:
   * put the new one first, and drop the old one once its messages no longer matter.
   */
  readonly secrets: string | readonly string[];
  /** Where the handler is mounted, below the base URL. @default '/notifications' */
  readonly path?: string;
  /** The site's public address for the links. @default site.baseUrl */
  readonly baseUrl?: string;
  /**
   * An address that takes unsubscribe requests by email, added to `List-Unsubscribe` as a
   * `mailto:` whose subject carries the token; the host hands the token it receives to
   * `preferenceCenter.unsubscribe(token)`. @default none: only the https link
   */
  readonly mailto?: string;
}
