// Quiet hours (docs/digests.md, "Quiet hours"): a message due in the recipient's quiet hours waits in
// the log, queued until they end, then goes out; a recipient whose own zone is outside them gets it
// at once; a required notification is never held. SQLite and PostgreSQL, a real SMTP server.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createVox, ErrorCode, VoxError } from '../src/index.ts';
import { htmlEmail } from '../src/backends/email/index.ts';
import { databases } from './support/databases.ts';
import { voxSuite } from './support/vox-suite.ts';
import { until } from './support/workers.ts';

interface Member {
  readonly email: string;
  readonly zone: string;
}
const MEMBERS: Member[] = [
  { email: 'utc@example.org', zone: 'UTC' },
  { email: 'kiri@example.org', zone: 'Pacific/Kiritimati' }, // UTC+14: its quiet hours are another time of day
];
/** `HH:MM:SS` in UTC, `ms` from now. */
const clock = (ms: number) => new Date(Date.now() + ms).toISOString().slice(11, 19);

for (const database of databases) {
  describe(`quiet hours (${database.name})`, { skip: database.skip }, () => {
    const suite = voxSuite();

    test('held until they end in the recipient zone, then sent; not held elsewhere, nor when required', async () => {
      const created = await database.create();
      suite.dropAfter(created.drop);
      const smtp = suite.smtp();
      // Quiet from an hour ago until 4 s from now, in UTC.
      const end = Date.now() + 4000;
      const vox = suite.keep(createVox({
        database: created.options,
        backends: [htmlEmail({ transport: smtp.transport, from: 'club@example.org' })],
        worker: { sweepIntervalMs: 100 },
        quietHours: { start: clock(-3_600_000), end: clock(4000), jitterMs: 300 },
      }));
      const Members = vox.model('club.member', { id: (m: Member) => m.email, contacts: { email: (m) => m.email }, timezone: (m) => m.zone });
      const Club = vox.model('club.club', {
        id: (c: { id: number }) => c.id,
        notifications: { news: 'Club news', reset: { description: 'Password reset', required: true } },
        channels: { members: { recipients: Members, resolve: () => MEMBERS } },
      });
      await vox.migrate();
      await vox.sync();
      for (const notification of ['club.club.news', 'club.club.reset']) {
        await vox.templates.save({ notification, backend: 'email-html', recipients: ['c:members'], subject: notification.split('.')[2] ?? '', content: '<p>Hello</p>' });
      }
      await Club.notify({ id: 1 }, 'news');
      await Club.notify({ id: 1 }, 'reset');
      await until(() => smtp.received.length >= 3, 10_000, 'the mails that are not held');
      const subjects = (address: string) => smtp.received.filter((m) => m.envelopeTo.includes(address)).map((m) => m.parsed.subject).sort();
      assert.deepEqual(subjects('kiri@example.org'), ['news', 'reset'], 'outside quiet hours in its own zone');
      assert.deepEqual(subjects('utc@example.org'), ['reset'], 'the required one at once, the news held');
      const [held] = await vox.messages.list({ status: 'queued' });
      assert.ok(held && held.to.some((c) => c.address === 'utc@example.org'), 'the held message waits in the log, queued');
      assert.ok(held.nextAttemptAt !== null && Date.parse(held.nextAttemptAt) >= Math.floor(end / 1000) * 1000, `until the quiet hours end: ${held.nextAttemptAt}`);
      await until(() => subjects('utc@example.org').length >= 2, 15_000, 'the held message after the quiet hours');
      assert.ok(Date.now() >= Math.floor(end / 1000) * 1000, 'not before they ended');
      assert.deepEqual(subjects('utc@example.org'), ['news', 'reset']);
    });

    test('quiet hours that cannot work are refused at createVox with VOX_INVALID_SCHEDULE', () => {
      for (const quietHours of [{ start: '22:00', end: '24:00' }, { start: '22:00', end: '07:00', timezone: 'Europe/Atlantis' }]) {
        assert.throws(() => createVox({ database: { dialect: 'sqlite', path: ':memory:' }, worker: false, quietHours }), (e: unknown) => e instanceof VoxError && e.code === ErrorCode.invalidSchedule);
      }
    });
  });
}
