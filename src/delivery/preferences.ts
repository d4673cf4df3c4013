/**
 * How a recipient's stored preferences decide one notification on one protocol: the precedence
 * (most specific level first, then the code's default), shared by the fan-out and
 * `vox.preferences.get`. Pure functions; the store reads the rows.
 */
import type { PreferenceRecord, PreferenceSource } from '../vocabulary/preferences.ts';
import { PREFERENCE_PRECEDENCE } from '../vocabulary/preferences.ts';

/** What the resolution needs of a notification. */
export interface PreferenceTarget {
  /** `<model>.<codename>`; null resolves a category (or the global level) alone. */
  readonly key: string | null;
  readonly category: string | null;
  readonly required: boolean;
  readonly defaults: Readonly<Record<string, boolean>>;
}

/** A resolved preference. */
export interface Resolved {
  readonly enabled: boolean;
  readonly source: PreferenceSource;
}

/**
 * Whether a recipient with `stored` preferences gets notification `target` on `protocol`. A required
 * notification always; else the first stored preference in {@link PREFERENCE_PRECEDENCE}; else
 * the notification's default for the protocol; else opted in.
 */
export function resolvePreference(stored: readonly PreferenceRecord[], target: PreferenceTarget, protocol: string): Resolved {
  if (target.required) return { enabled: true, source: 'required' };
  for (const source of PREFERENCE_PRECEDENCE) {
    const found = stored.find((p) => matches(p, source, target, protocol));
    if (found) return { enabled: found.enabled, source };
  }
  return { enabled: target.defaults[protocol] ?? true, source: 'default' };
}

function matches(p: PreferenceRecord, source: PreferenceSource, target: PreferenceTarget, protocol: string): boolean {
  const [level, perProtocol] = source.split('+') as [string, string?];
  if (p.level !== level) return false;
  if (p.protocol !== (perProtocol === undefined ? '' : protocol)) return false;
  if (level === 'notification') return target.key !== null && p.subject === target.key;
  if (level === 'category') return target.category !== null && p.subject === target.category;
  return true;
}

/** How a skipped message's log row names the level that opted the recipient out. */
export function optedOutText(resolved: Resolved, target: PreferenceTarget, protocol: string): string {
  switch (resolved.source) {
    case 'notification+protocol':
      return `opted out of ${target.key ?? ''} by ${protocol}`;
    case 'notification':
      return `opted out of ${target.key ?? ''}`;
    case 'category+protocol':
      return `opted out of category ${target.category ?? ''} by ${protocol}`;
    case 'category':
      return `opted out of category ${target.category ?? ''}`;
    case 'global+protocol':
      return `opted out of everything by ${protocol}`;
    case 'global':
      return 'opted out of everything';
    default:
      return `not opted in: ${target.key ?? 'this notification'} is off by default for ${protocol}`;
  }
}
