/** Quiet hours: when, in the recipient's own time zone, messages wait instead of going out; and the checks of the option. */
import { ErrorCode, VoxError } from './errors.ts';

/** A daily span of local time, `HH:MM` (or `HH:MM:SS`) to `HH:MM`; it may run past midnight (`22:00` to `07:00`). */
export interface QuietSpan {
  readonly start: string;
  readonly end: string;
}

/**
 * `createVox({ quietHours })`: messages that fall due in quiet hours, in the recipient's time zone
 * (the model's `timezone`, else `timezone` here), wait until they end; they are then released
 * spread over `jitterMs`. Required notifications are never held.
 *
 * @example
 * quietHours: { start: '22:00', end: '07:30', timezone: 'Europe/Berlin', categories: { security: false } }
 */
export interface QuietHoursOptions extends QuietSpan {
  /** The zone of recipients whose model gives none (IANA name). @default 'UTC' */
  readonly timezone?: string;
  /** Per notification category: its own span, or `false` for none (it is sent at any hour). */
  readonly categories?: Readonly<Record<string, QuietSpan | false>>;
  /** Held messages are released over this many milliseconds after the span ends. @default 900_000 (15 minutes) */
  readonly jitterMs?: number;
}

/** A checked span, in seconds since local midnight. */
export interface QuietWindow {
  readonly start: number;
  readonly end: number;
}

/** Checked quiet hours. */
export interface QuietHoursSettings {
  readonly window: QuietWindow;
  readonly timezone: string;
  readonly categories: ReadonlyMap<string, QuietWindow | null>;
  readonly jitterMs: number;
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

/** Whether `zone` is a time zone the runtime knows (IANA names such as `Europe/Berlin`, and `UTC`). */
export function knownTimeZone(zone: unknown): zone is string {
  if (typeof zone !== 'string' || zone === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Checks `createVox({ quietHours })`; throws `VOX_INVALID_SCHEDULE` naming what is wrong. */
export function quietHoursSettings(options: QuietHoursOptions): QuietHoursSettings {
  const invalid = (why: string) => new VoxError(ErrorCode.invalidSchedule, `quietHours: ${why}`);
  const seconds = (value: unknown, name: string) => {
    const match = typeof value === 'string' ? TIME.exec(value) : null;
    if (!match) throw invalid(`${name} must be a time such as "22:00" (24-hour HH:MM), not ${JSON.stringify(value)}`);
    return Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3] ?? 0);
  };
  const span = (value: QuietSpan, name: string): QuietWindow => {
    const window = { start: seconds(value.start, `${name}start`), end: seconds(value.end, `${name}end`) };
    if (window.start === window.end) throw invalid(`${name}start and ${name}end are the same time: that span is empty`);
    return window;
  };
  const timezone = options.timezone ?? 'UTC';
  if (!knownTimeZone(timezone)) throw invalid(`unknown time zone ${JSON.stringify(timezone)}: use an IANA name such as "Europe/Berlin"`);
  const jitterMs = options.jitterMs ?? 900_000;
  if (!Number.isSafeInteger(jitterMs) || jitterMs < 0) throw invalid(`jitterMs must be a whole number of 0 or more, not ${String(jitterMs)}`);
  const categories = new Map<string, QuietWindow | null>();
  for (const [key, value] of Object.entries(options.categories ?? {})) categories.set(key, value === false ? null : span(value, `categories.${key}.`));
  return { window: span(options, ''), timezone, categories, jitterMs };
}
