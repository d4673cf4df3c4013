// When quiet hours end, in the recipient's zone: across midnight and across daylight-saving
// changes (Europe/Berlin springs forward on 2026-03-29, America/New_York falls back on 2026-11-01).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quietHoursSettings } from '../vocabulary/quiet-hours.ts';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import { quietUntil, releaseAt } from './quiet-hours.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const night = quietHoursSettings({ start: '22:00', end: '08:00', timezone: 'Europe/Berlin', jitterMs: 0 }).window;

test('inside a span that runs past midnight, it ends at its local end time, the same night or the next morning', () => {
  // 23:30 in Berlin (winter, UTC+1) on 2026-01-14: ends 08:00 local on the 15th, 07:00 UTC.
  assert.equal(iso(quietUntil(at('2026-01-14T22:30:00Z'), 'Europe/Berlin', night)), '2026-01-15T07:00:00.000Z');
  // 03:00 local on the 15th: the same morning.
  assert.equal(iso(quietUntil(at('2026-01-15T02:00:00Z'), 'Europe/Berlin', night)), '2026-01-15T07:00:00.000Z');
  // 12:00 local: outside.
  assert.equal(quietUntil(at('2026-01-15T11:00:00Z'), 'Europe/Berlin', night), undefined);
  // 08:00 sharp is outside; 21:59:59 too.
  assert.equal(quietUntil(at('2026-01-15T07:00:00Z'), 'Europe/Berlin', night), undefined);
  assert.equal(quietUntil(at('2026-01-15T20:59:59Z'), 'Europe/Berlin', night), undefined);
});

test('a night in which clocks spring forward ends at 08:00 summer time, an hour earlier in UTC', () => {
  // 23:00 CET on 2026-03-28; at 02:00 on the 29th clocks go to 03:00 CEST (UTC+2): 08:00 CEST is 06:00 UTC.
  assert.equal(iso(quietUntil(at('2026-03-28T22:00:00Z'), 'Europe/Berlin', night)), '2026-03-29T06:00:00.000Z');
  // The night before, still winter time: 07:00 UTC.
  assert.equal(iso(quietUntil(at('2026-03-27T22:00:00Z'), 'Europe/Berlin', night)), '2026-03-28T07:00:00.000Z');
});

test('a night in which clocks fall back ends at 08:00 standard time, an hour later in UTC', () => {
  const newYork = quietHoursSettings({ start: '21:00', end: '07:00', timezone: 'America/New_York' }).window;
  // 22:00 EDT (UTC-4) on 2026-10-31; at 02:00 on Nov 1 clocks go back to 01:00 EST (UTC-5): 07:00 EST is 12:00 UTC.
  assert.equal(iso(quietUntil(at('2026-11-01T02:00:00Z'), 'America/New_York', newYork)), '2026-11-01T12:00:00.000Z');
  // 01:30 local happens twice that night; either way the night ends at 12:00 UTC.
  assert.equal(iso(quietUntil(at('2026-11-01T05:30:00Z'), 'America/New_York', newYork)), '2026-11-01T12:00:00.000Z');
  assert.equal(iso(quietUntil(at('2026-11-01T06:30:00Z'), 'America/New_York', newYork)), '2026-11-01T12:00:00.000Z');
});

test('a span within one day; required notifications, categories without quiet hours and unknown zones', () => {
  const settings = quietHoursSettings({ start: '12:00', end: '13:30', timezone: 'Asia/Tokyo', jitterMs: 60_000, categories: { security: false, digest: { start: '00:00', end: '23:59' } } });
  const noon = at('2026-06-01T03:15:00Z'); // 12:15 in Tokyo (UTC+9)
  const end = at('2026-06-01T04:30:00Z');
  const release = releaseAt(settings, { required: false, category: null }, undefined, noon) ?? 0;
  assert.ok(release >= end && release <= end + 60_000, `released within the jitter after 13:30: ${iso(release)}`);
  assert.equal(releaseAt(settings, { required: true, category: null }, undefined, noon), undefined, 'required: never held');
  assert.equal(releaseAt(settings, { required: false, category: 'security' }, undefined, noon), undefined, 'a category without quiet hours');
  assert.ok(releaseAt(settings, { required: false, category: 'digest' }, undefined, at('2026-06-01T08:00:00Z')) !== undefined, "a category's own span");
  assert.equal(releaseAt(settings, { required: false, category: null }, 'Europe/London', noon), undefined, "the recipient's zone: 04:15 in London is not quiet");
  assert.ok(releaseAt(settings, { required: false, category: null }, 'Not/AZone', noon) !== undefined, "an unknown zone counts as the quiet hours' own");
});

test('quiet hours that cannot work are refused with VOX_INVALID_SCHEDULE', () => {
  const bad: unknown[] = [{ start: '25:00', end: '07:00' }, { start: '22:00', end: '7:00' }, { start: '22:00', end: '22:00' }, { start: '22:00', end: '07:00', timezone: 'Mars/Olympus' }, { start: '22:00', end: '07:00', jitterMs: -1 }, { start: '22:00', end: '07:00', categories: { news: { start: 'x', end: '07:00' } } }];
  for (const options of bad) assert.throws(() => quietHoursSettings(options as never), (e: unknown) => e instanceof VoxError && e.code === ErrorCode.invalidSchedule, JSON.stringify(options));
});
