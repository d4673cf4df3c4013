// Promises of docs/templates.md, docs/attachments.md and docs/getting-started.md that no other test
// checked: disabled templates and templates without recipients, default attachment file names, the
// message log's filters and vox.issues.get.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createVox, type Vox } from '../src/index.ts';
import { htmlEmail } from '../src/backends/email/index.ts';
import { smtpForSuite, type TestSmtp } from './support/smtp.ts';

interface Event {
  id: number;
  title: string;
}

describe('templates, attachment names and the message log', () => {
  const smtpServer = smtpForSuite();
  let smtp: TestSmtp;
  let vox: Vox;
  let Event: ReturnType<typeof register>;

  /** Events go to their guests; each event offers files of several types, none with a file name. */
  function register(app: Vox) {
    const Guest = app.model('party.guest', { id: (g: string) => g, contacts: { email: (g) => g } });
    const files = { ics: 'text/calendar', csv: 'text/csv; charset=utf-8', txt: 'text/plain', pdf: 'application/pdf', png: 'image/png', other: 'application/x-unknown' };
    return app.model('party.event', {
      id: (e: Event) => e.id,
      notifications: { planned: 'An event was planned', cancelled: 'An event was cancelled' },
      channels: { guests: { recipients: Guest, resolve: () => ['ann@example.org', 'bo@example.org'] } },
      attachments: Object.fromEntries(Object.entries(files).map(([key, mime]) => [key, { mime, data: () => `${key} file` }])),
    });
  }

  beforeEach(async () => {
    smtp = smtpServer();
    vox = createVox({ database: { dialect: 'sqlite', path: ':memory:' }, backends: [htmlEmail({ transport: smtp.transport, from: 'party@example.org' })], worker: { sweepIntervalMs: 50 } });
    Event = register(vox);
    await vox.migrate();
    await vox.sync();
  });
  afterEach(() => vox.close());

  test('a disabled template and a template without recipients send nothing; the enabled one sends', async () => {
    const base = { notification: 'party.event.planned', backend: 'email-html', content: '<p>{{ object.title }}</p>' };
    await vox.templates.save({ ...base, recipients: ['c:guests'], subject: 'Disabled', enabled: false });
    const { warnings } = await vox.templates.save({ ...base, recipients: [], subject: 'Nobody' });
    assert.ok(warnings.some((w) => /recipient/i.test(w.message)), 'saving a template without recipients warns');
    await vox.templates.save({ ...base, recipients: ['c:guests'], subject: 'Enabled' });
    const result = await (await Event.notify({ id: 1, title: 'Picnic' }, 'planned')).settled();
    assert.deepEqual(smtp.received.map((m) => m.parsed.subject), ['Enabled', 'Enabled']);
    assert.deepEqual(result.messages.map((m) => m.status), ['sent', 'sent']);
  });

  test('attachments without a file name are named after their key and MIME type', async () => {
    await vox.templates.save({ notification: 'party.event.planned', backend: 'email-html', recipients: ['c:guests'], subject: 'Files', content: '<p>x</p>', attachments: ['object.ics', 'object.csv', 'object.txt', 'object.pdf', 'object.png', 'object.other'] });
    await (await Event.notify({ id: 1, title: 'Picnic' }, 'planned')).settled();
    const [mail] = smtp.received;
    assert.deepEqual(mail?.parsed.attachments.map((a) => [a.filename, a.content.toString('utf8')]), [
      ['ics.ics', 'ics file'],
      ['csv.csv', 'csv file'],
      ['txt.txt', 'txt file'],
      ['pdf.pdf', 'pdf file'],
      ['png.png', 'png file'],
      ['other.bin', 'other file'],
    ]);
  });

  test('vox.messages.list filters by status, backend, issue, notification, dates and pages by id; vox.issues.get counts them', async () => {
    for (const codename of ['planned', 'cancelled'] as const) {
      await vox.templates.save({ notification: `party.event.${codename}`, backend: 'email-html', recipients: ['c:guests'], subject: codename, content: '<p>x</p>' });
    }
    smtp.refuse((address) => (address === 'bo@example.org' ? { code: 550, message: 'No such guest' } : undefined));
    const planned = await (await Event.notify({ id: 1, title: 'Picnic' }, 'planned')).settled();
    const cancelled = await (await Event.notify({ id: 1, title: 'Picnic' }, 'cancelled')).settled();
    const all = await vox.messages.list();
    assert.equal(all.length, 4);
    assert.ok(all.every((m, i) => i === 0 || m.id < all[i - 1]!.id), 'newest first');

    const ids = (messages: readonly { id: number }[]) => messages.map((m) => m.id);
    const byIssue = await vox.messages.list({ issueId: planned.issueId });
    assert.deepEqual(ids(byIssue).sort(), ids(planned.messages).sort());
    const failed = await vox.messages.list({ status: 'failed' });
    assert.deepEqual(failed.map((m) => m.to[0]?.address), ['bo@example.org', 'bo@example.org']);
    const notificationId = byIssue[0]!.notificationId!;
    assert.deepEqual(ids(await vox.messages.list({ notificationId })), ids(byIssue));
    assert.deepEqual(await vox.messages.list({ backend: 'email-md' }), []);
    assert.equal((await vox.messages.list({ backend: 'email-html' })).length, 4);

    const page = await vox.messages.list({ limit: 3 });
    assert.deepEqual(ids(page), ids(all).slice(0, 3));
    assert.deepEqual(ids(await vox.messages.list({ beforeId: page.at(-1)!.id })), ids(all).slice(3));
    const created = all.map((m) => m.createdAt).sort();
    assert.equal((await vox.messages.list({ createdFrom: created[0] })).length, 4);
    assert.deepEqual(await vox.messages.list({ createdBefore: created[0] }), []);
    assert.deepEqual(await vox.messages.list({ createdFrom: new Date(Date.now() + 60_000).toISOString() }), []);

    const issue = await vox.issues.get(cancelled.issueId);
    assert.deepEqual([issue?.status, issue?.notification, issue?.attempts, issue?.error], ['done', 'party.event.cancelled', 1, null]);
    assert.deepEqual(issue?.messages, { queued: 0, sending: 0, sent: 1, retrying: 0, failed: 1, skipped: 0, delivered: 0, bounced: 0, complained: 0 });
    assert.deepEqual([issue?.object.model, issue?.object.id, issue?.object.snapshot], ['party.event', '1', { id: 1, title: 'Picnic' }]);
    assert.equal(await vox.issues.get(cancelled.issueId + 100), undefined);
  });
});
