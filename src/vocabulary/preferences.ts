/**
 * Recipients' preferences: the levels they are set at, what `vox.preferences.set` takes, and the
 * resolved grid `vox.preferences.get` returns. The precedence is in docs/preferences.md.
 */

/** Where a preference applies: every notification, one category, or one notification. */
export type PreferenceLevel = 'global' | 'category' | 'notification';

/**
 * Where a resolved value comes from, most specific first: a preference for the notification on
 * this protocol, for the notification on every protocol, for its category on this protocol, for
 * its category, for everything on this protocol, for everything; else the notification's
 * `defaults` from code (`default`), else opted in (`default` too). `required`: the notification
 * cannot be switched off.
 */
export type PreferenceSource =
  | 'required'
  | 'notification+protocol'
  | 'notification'
  | 'category+protocol'
  | 'category'
  | 'global+protocol'
  | 'global'
  | 'default';

/** The order in which stored preferences are consulted (the first one present wins). */
export const PREFERENCE_PRECEDENCE: readonly Exclude<PreferenceSource, 'required' | 'default'>[] = Object.freeze([
  'notification+protocol',
  'notification',
  'category+protocol',
  'category',
  'global+protocol',
  'global',
]);

/**
 * One preference to write. Name at most one of `notification` (`<model>.<codename>`) and
 * `category`; with neither, it is the global preference. Without `protocol`, it applies to every
 * protocol. `enabled: null` removes the preference, so the next level (or the default) applies.
 *
 * @example
 * { category: 'newsletter', protocol: 'email', enabled: false }
 */
export interface PreferenceChange {
  readonly notification?: string;
  readonly category?: string;
  readonly protocol?: string;
  readonly enabled: boolean | null;
}

/** A preference as stored for one recipient. */
export interface PreferenceRecord {
  readonly level: PreferenceLevel;
  /** The notification key or category key; `''` for the global level. */
  readonly subject: string;
  /** `''` when it applies to every protocol. */
  readonly protocol: string;
  readonly enabled: boolean;
  readonly updatedAt: string;
}

/** One protocol's resolved value in the grid. */
export interface PreferenceCell {
  readonly enabled: boolean;
  readonly source: PreferenceSource;
  /** True for a required notification: it cannot be switched off. */
  readonly locked: boolean;
}

/** Cells of one row of the grid, by protocol. */
export type PreferenceCells = Readonly<Record<string, PreferenceCell>>;

/** A recipient's preferences, resolved: what they get and why, per protocol. */
export interface PreferenceGrid {
  /** The recipient: its model name and id. */
  readonly model: string;
  readonly id: string;
  /** The protocols the recipient's model has contacts for: the grid's columns. */
  readonly protocols: readonly string[];
  /** The global preference, per protocol (`default` where none is set). */
  readonly global: PreferenceCells;
  /**
   * Each category of the notifications below, as a notification of it with no preference of its
   * own would resolve; locked (source `required`) when all its notifications are required.
   */
  readonly categories: readonly { readonly key: string; readonly label: string; readonly cells: PreferenceCells }[];
  /** Each notification that can reach recipients of this model. */
  readonly notifications: readonly {
    readonly key: string;
    readonly description: string;
    readonly category: string | null;
    readonly required: boolean;
    readonly cells: PreferenceCells;
  }[];
  /** The preferences as stored, for a preference center to show which ones are set. */
  readonly stored: readonly PreferenceRecord[];
}
