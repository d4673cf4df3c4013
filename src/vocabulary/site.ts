/** The site's own settings, which templates see as `site`. */

/** Site settings, visible to templates as `site`. */
export interface SiteOptions {
  /** Absolute base URL for links, for example `https://blog.example.com`. */
  readonly baseUrl?: string;
  /** The site's name. */
  readonly name?: string;
}
