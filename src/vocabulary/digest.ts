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

/**
 * At most `limit` messages of a notification per recipient in `window` milliseconds (from the
 * first); what is over is skipped and logged `skipped` with `VOX_THROTTLED`, or, with
 * `over: 'digest'`, gathered into one digest that closes when the window ends.
 */
export interface ThrottleSpec {
  readonly limit: number;
  readonly window: number;
  /** @default 'skip' */
  readonly over?: 'skip' | 'digest';
}

/** Checks a throttle declaration; throws `VOX_INVALID_DIGEST` naming `where`. */
export function throttleSettings(spec: ThrottleSpec, where: string): Required<ThrottleSpec> {
  const invalid = (why: string) => new VoxError(ErrorCode.invalidDigest, `throttle of ${where}: ${why}`);
  if (typeof spec !== 'object' || spec === null) throw invalid('must be an object such as { limit: 3, window: 3_600_000 }');
  if (!Number.isSafeInteger(spec.limit) || spec.limit < 1) throw invalid(`limit must be a whole number of 1 or more, not ${String(spec.limit)}`);
  if (!Number.isSafeInteger(spec.window) || spec.window <= 0 || spec.window > MAX_WINDOW_MS) throw invalid(`window must be a whole number of milliseconds above 0 and at most 31 days, not ${String(spec.window)}`);
  const over = spec.over ?? 'skip';
  if (over !== 'skip' && over !== 'digest') throw invalid(`over must be 'skip' or 'digest', not ${JSON.stringify(spec.over)}`);
  return { limit: spec.limit, window: spec.window, over };
}

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

/**
 * A template's own digest, set in the admin or by `templates.save`: `false` sends this template's
 * messages at once; an object replaces the notification's digest for this template (its key, if any,
 * one of `object`, `actor`, `target`: functions live in code); null or absent follows the
 * notification's declaration.
 */
export type TemplateDigest = false | (Omit<DigestSpec, 'key'> & { readonly key?: DigestKey });

/** The digest a template uses: its own, else its notification's; null for none. Throws `VOX_INVALID_DIGEST`. */
export function effectiveDigest(template: { readonly digest: TemplateDigest | null; readonly bulk: boolean }, declared: DigestSettings | null, where: string): DigestSettings | null {
  if (template.bulk || template.digest === false) return null;
  if (template.digest === null) return declared;
  if (template.digest.key !== undefined && typeof template.digest.key !== 'string') throw new VoxError(ErrorCode.invalidDigest, `digest of ${where}: a template's key must be 'object', 'actor' or 'target'`);
  return digestSettings(template.digest, where);
}

/** A digest in words, for people: `a fixed 30-minute window, one digest per object, at most 50 events`. */
export function describeDigest(digest: DigestSettings | null): string | null {
  if (!digest) return null;
  const time = (ms: number) => (ms % 3_600_000 === 0 ? `${ms / 3_600_000}-hour` : ms % 60_000 === 0 ? `${ms / 60_000}-minute` : `${ms / 1000}-second`);
  const per = typeof digest.key === 'function' ? 'one digest per key of its code' : digest.key ? `one digest per ${digest.key}` : 'one digest per recipient';
  const span = (ms: number) => {
    const [n, unit] = time(ms).split('-') as [string, string];
    return `${n} ${unit}${n === '1' ? '' : 's'}`;
  };
  const wait = digest.mode === 'sliding' ? ` (sliding, at most ${span(digest.maxWait)})` : '';
  return `a ${time(digest.window)} window${wait}, ${per}${digest.maxItems ? `, at most ${digest.maxItems} events` : ''}`;
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
