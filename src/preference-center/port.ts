/**
 * What the preference center needs of Vox: a recipient's resolved grid of preferences and writing
 * them (`vox.preferences`), and the suppression list for "unsubscribe from everything".
 */
import type { PreferenceChange, PreferenceGrid } from '../vocabulary/preferences.ts';
import type { SuppressionInput, SuppressionRecord } from '../vocabulary/suppression.ts';

export type { PreferenceCell, PreferenceChange, PreferenceGrid } from '../vocabulary/preferences.ts';

/** The slice of Vox the preference center works with. */
export interface PreferenceCenterDeps {
  get(model: string, id: string): Promise<PreferenceGrid>;
  set(model: string, id: string, changes: readonly PreferenceChange[]): Promise<unknown>;
  suppress(entry: SuppressionInput): Promise<unknown>;
  /** The address's suppression, if it is on the list. */
  suppression(protocol: string, address: string): Promise<SuppressionRecord | undefined>;
  /** Takes the address off the list. */
  unsuppress(protocol: string, address: string): Promise<unknown>;
  readonly siteName: string | undefined;
  /** The site's address, for a link back to it. */
  readonly siteUrl: string | undefined;
}
