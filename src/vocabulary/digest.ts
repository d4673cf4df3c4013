/** Digests: how a notification's events for one recipient are gathered into one message, and the checks of a declaration. */
import { ErrorCode, VoxError } from './errors.ts';

/**
 * A digest declared on a notification (`digest` of its spec): events of one recipient (and key)
 * within the window become one message, whose template sees `digest`.
 *
 * @example
 * commented: { description: 'A new comment', actor: User, digest: { window: 30_000, key: 'object', maxItems: 50 } }
 */
export interface DigestSpec {
  /** Milliseconds a digest gathers events: from its first event (`fixed`), or from its latest (`sliding`). */
  readonly window: number;
  /** @default 'fixed' */
  readonly mode?: 'fixed' | 'sliding';
  /** For `sliding`: the longest a digest stays open after its first event. @default 10 × window */
  readonly maxWait?: number;
  /**
   * Events about different objects (`object`, one digest per article), actors or targets go to
   * different digests; or a function of the issue's objects (a comment's article:
   * `({ object }) => object.articleSlug`). @default one digest per recipient
   */
  readonly key?: DigestKey | DigestKeyFunction;
  /** The digest closes early once it holds this many events. */
  readonly maxItems?: number;
  /** Which events the template sees in `digest.items`: the first or the last `count`. @default { keep: 'last', count: 10 } */
  readonly items?: { readonly keep: 'first' | 'last'; readonly count: number };
}

/** What separates digests of one recipient; see {@link DigestSpec.key}. */
export type DigestKey = 'object' | 'actor' | 'target';

/** A digest key computed from the objects passed to notify(); see {@link DigestSpec.key}. */
export type DigestKeyFunction = (issue: { readonly object: unknown; readonly actor: unknown; readonly target: unknown }) => string | number;

/** A checked digest with every default filled in. */
export interface DigestSettings {
  readonly window: number;
  readonly mode: 'fixed' | 'sliding';
  /** For `fixed` the window itself. */
  readonly maxWait: number;
  readonly key: DigestKey | DigestKeyFunction | null;
  readonly maxItems: number | null;
  readonly items: { readonly keep: 'first' | 'last'; readonly count: number };
}

/** The longest window: a digest is a short-lived gathering, not a schedule. */
const MAX_WINDOW_MS = 31 * 24 * 3_600_000;

/** Checks a declaration and fills in its defaults; throws `VOX_INVALID_DIGEST` naming `where`. */
export function digestSettings(spec: DigestSpec, where: string): DigestSettings {
  const invalid = (why: string) => new VoxError(ErrorCode.invalidDigest, `digest of ${where}: ${why}`);
  const positive = (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
  if (typeof spec !== 'object' || spec === null) throw invalid('must be an object such as { window: 60_000 }');
  if (!positive(spec.window) || spec.window > MAX_WINDOW_MS) throw invalid(`window must be a whole number of milliseconds above 0 and at most 31 days, not ${String(spec.window)}`);
  const mode = spec.mode ?? 'fixed';
  if (mode !== 'fixed' && mode !== 'sliding') throw invalid(`mode must be 'fixed' or 'sliding', not ${JSON.stringify(spec.mode)}`);
  if (spec.maxWait !== undefined) {
    if (mode !== 'sliding') throw invalid('maxWait is for sliding windows only');
    if (!positive(spec.maxWait) || spec.maxWait > MAX_WINDOW_MS) throw invalid(`maxWait must be a whole number of milliseconds above 0 and at most 31 days, not ${String(spec.maxWait)}`);
    if (spec.maxWait < spec.window) throw invalid(`maxWait (${spec.maxWait}) is shorter than the window (${spec.window})`);
  }
  if (spec.key !== undefined && typeof spec.key !== 'function' && !['object', 'actor', 'target'].includes(spec.key)) {
    throw invalid(`key must be 'object', 'actor', 'target' or a function, not ${JSON.stringify(spec.key)}`);
  }
  if (spec.maxItems !== undefined && (!positive(spec.maxItems) || spec.maxItems < 2)) throw invalid(`maxItems must be a whole number of 2 or more, not ${String(spec.maxItems)}`);
  const items = spec.items ?? { keep: 'last', count: 10 };
  if (items.keep !== 'first' && items.keep !== 'last') throw invalid(`items.keep must be 'first' or 'last', not ${JSON.stringify(items.keep)}`);
  if (!positive(items.count) || items.count > 1000) throw invalid(`items.count must be a whole number from 1 to 1000, not ${String(items.count)}`);
  return {
    window: spec.window,
    mode,
    maxWait: mode === 'sliding' ? (spec.maxWait ?? Math.min(spec.window * 10, MAX_WINDOW_MS)) : spec.window,
    key: spec.key ?? null,
    maxItems: spec.maxItems ?? null,
    items: { keep: items.keep, count: items.count },
  };
}
