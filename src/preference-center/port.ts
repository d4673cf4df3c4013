/**
 * What the preference center needs of Vox: a recipient's resolved grid of preferences and writing
 * them (`vox.preferences`), and the suppression list for "unsubscribe from everything".
 */
import type { SuppressionInput } from '../vocabulary/suppression.ts';

/** One protocol's resolved value in the grid. */
export interface PreferenceCell {
  readonly enabled: boolean;
  /** True for a required notification: it cannot be switched off. */
  readonly locked: boolean;
}

/** A recipient's preferences, resolved, as `vox.preferences.get` returns them. */
export interface PreferenceGrid {
  readonly protocols: readonly string[];
  readonly global: Readonly<Record<string, PreferenceCell>>;
  readonly categories: readonly { readonly key: string; readonly label: string; readonly cells: Readonly<Record<string, PreferenceCell>> }[];
  readonly notifications: readonly { readonly key: string; readonly description: string; readonly category: string | null; readonly required: boolean; readonly cells: Readonly<Record<string, PreferenceCell>> }[];
}

/** One preference to write; see `vox.preferences.set`. */
export interface PreferenceChange {
  readonly notification?: string;
  readonly category?: string;
  readonly protocol?: string;
  readonly enabled: boolean | null;
}

/** The slice of Vox the preference center works with. */
export interface PreferenceCenterDeps {
  get(model: string, id: string): Promise<PreferenceGrid>;
  set(model: string, id: string, changes: readonly PreferenceChange[]): Promise<unknown>;
  suppress(entry: SuppressionInput): Promise<unknown>;
  readonly siteName: string | undefined;
}
