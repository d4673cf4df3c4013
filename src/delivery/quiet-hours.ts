/**
 * Quiet hours in the fan-out: whether a recipient's local time is inside a quiet span, and when,
 * as an instant, that span ends — computed with the time zone's own offsets, so that a span that
 * crosses a daylight-saving change ends at its local time.
 */
import { knownTimeZone, type QuietHoursSettings, type QuietWindow } from '../vocabulary/quiet-hours.ts';

const formats = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock parts of `instant` in `zone`. */
function wallClock(instant: number, zone: string): { year: number; month: number; day: number; seconds: number } {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formats.set(zone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, Number(p.value)])) as Record<string, number>;
  return { year: parts.year ?? 0, month: parts.month ?? 1, day: parts.day ?? 1, seconds: (parts.hour ?? 0) * 3600 + (parts.minute ?? 0) * 60 + (parts.second ?? 0) };
}

/** How far `zone` is ahead of UTC at `instant`, in milliseconds. */
function offset(instant: number, zone: string): number {
  const wall = wallClock(instant, zone);
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day) + wall.seconds * 1000;
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The instant of a local wall time in `zone` (in a gap of a daylight-saving change, just after it). */
function instantOf(year: number, month: number, day: number, seconds: number, zone: string): number {
  const guess = Date.UTC(year, month - 1, day) + seconds * 1000;
  const first = guess - offset(guess, zone);
  const second = guess - offset(first, zone);
  return Math.max(first, second);
}

/** When the quiet span that `now` falls in ends, in `zone`; undefined when `now` is outside it. */
export function quietUntil(now: number, zone: string, window: QuietWindow): number | undefined {
  const wall = wallClock(now, zone);
  const inside = window.start < window.end ? wall.seconds >= window.start && wall.seconds < window.end : wall.seconds >= window.start || wall.seconds < window.end;
  if (!inside) return undefined;
  // The end is today unless the span runs past midnight and it is still before midnight.
  const tomorrow = window.start > window.end && wall.seconds >= window.start;
  const date = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + (tomorrow ? 1 : 0)));
  return instantOf(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), window.end, zone);
}

/**
 * When a message of a notification (its category, whether required) to a recipient in `zone`
 * may go out: undefined for now, else the end of the quiet span plus jitter.
 */
export function releaseAt(settings: QuietHoursSettings | undefined, notification: { readonly required: boolean; readonly category: string | null }, zone: unknown, now = Date.now()): number | undefined {
  if (!settings || notification.required) return undefined;
  const own = notification.category === null ? undefined : settings.categories.get(notification.category);
  const window = own === undefined ? settings.window : own;
  if (window === null) return undefined;
  const until = quietUntil(now, knownTimeZone(zone) ? zone : settings.timezone, window);
  return until === undefined ? undefined : until + Math.floor(Math.random() * (settings.jitterMs + 1));
}
