// Promises of docs/models.md (Contacts) and docs/delivery.md (objects at delivery time) that no other
// test checked, observed at a real SMTP server and in the message log.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { contact, createVox, ErrorCode, type Vox, type VoxError } from '../src/index.ts';
import { htmlEmail } from '../src/backends/email/index.ts';
import { smtpForSuite, type TestSmtp } from './support/smtp.ts';

interface Member {
  id: number;
  name: string;
  email: string;
  muted: readonly string[];
}
interface Meeting {
  id: number;
  title: string;
}

describe('contacts and the objects a worker uses', () => {
  const smtpServer = smtpForSuite();
  let smtp: TestSmtp;
  let vox: Vox;
  const told: unknown[] = [];
  const members: Member[] = [
    { id: 1, name: 'Ann', email: 'ann@example.org', muted: [] },
    { id: 2, name: 'Bo', email: 'bo@example.org', muted: ['club.meeting.moved'] },
    { id: 3, name: 'Cy', email: '', muted: [] },
  ];
  const stored = new Map<number, Meeting>();

  function register(app: Vox) {
    const Member = app.model('club.member', {
      id: (m: Member) => m.id,
      notifications: { joined: 'A member joined' },
      // `recipients` defaults to the model itself; null and undefined are skipped.
      channels: { self: { label: 'The member' }, buddies: { resolve: () => [members[0], null, undefined] } },
      contacts: {
        // Per-recipient preferences: a muted notification gets no contact; other protocols and empty addresses are dropped.
        email: (m, notification) => {
          told.push(notification);
          return m.muted.includes(notification.id) ? null : [contact(m.name, 'email', m.email), contact(m.name, 'sms', '+15550100')];
        },
      },
    });
    // Guests have no email contacts function: they are skipped, without a row.
    const Guest = app.model('club.guest', { id: (g: string) => g, contacts: { sms: (g) => g } });
    const Meeting = app.model('club.meeting', {
      id: (m: Meeting) => m.id,
      load: (ids) => ids.map((id) => stored.get(Number(id))).filter((m): m is Meeting => m !== undefined),
      notifications: { moved: 'A meeting was moved' },
      channels: { members: { recipients: Member, resolve: () => members }, guests: { recipients: Guest, resolve: () => ['+15550199'] } },
    });
    return { Meeting, Member };
  }

  beforeEach(async () => {
    smtp = smtpServer();
    told.splice(0);
    stored.clear();
    vox = createVox({ database: { dialect: 'sqlite', path: ':memory:' }, backends: [htmlEmail({ transport: smtp.transport, from: 'club@example.org' })], worker: { sweepIntervalMs: 50 } });
  });
  afterEach(() => vox.close());

  test('contacts functions are told the notification; null, other protocols, empty addresses and models without the protocol send nothing and log nothing', async () => {
    const { Meeting } = register(vox);
    await vox.migrate();
    await vox.sync();
    await vox.templates.save({
      notification: 'club.meeting.moved',
      backend: 'email-html',
      recipients: ['c:members', 'c:guests'],
      subject: '{{ notification.description }}: {{ object.title }}',
      content: '<p>{{ notification.id }} {{ notification.model }} {{ notification.codename }} to {{ contact.address }}</p>',
    });
    const result = await (await Meeting.notify({ id: 1, title: 'Tuesday' }, 'moved')).settled();
    assert.deepEqual(smtp.received.map((m) => m.envelopeTo), [['ann@example.org']]);
    assert.equal(smtp.received[0]?.parsed.subject, 'A meeting was moved: Tuesday');
    assert.match(String(smtp.received[0]?.parsed.html), /club\.meeting\.moved club\.meeting moved to ann@example\.org/);
    assert.deepEqual(result.messages.map((m) => [m.to, m.status]), [[['ann@example.org'], 'sent']], 'nothing else was logged');
    assert.deepEqual(told[0], { id: 'club.meeting.moved', model: 'club.meeting', codename: 'moved', description: 'A meeting was moved' });
    assert.equal(told.length, 3, 'asked once per member');
  });

  test('a self channel takes its own label; a resolver channel defaults to its own model and skips null and undefined', async () => {
    const { Member } = register(vox);
    await vox.migrate();
    await vox.sync();
    assert.deepEqual((await vox.notifications.channels('club.member.joined')).map((c) => [c.key, c.label, c.recipientModel]), [
      ['si', 'Site Contacts', null],
      ['c', 'The member', 'club.member'],
      ['c:buddies', 'Buddies', 'club.member'],
    ]);
    await vox.templates.save({ notification: 'club.member.joined', backend: 'email-html', recipients: ['c:buddies'], subject: 'Say hello', content: '<p>x</p>' });
    const result = await (await Member.notify(members[2]!, 'joined')).settled();
    assert.deepEqual(smtp.received.map((m) => m.envelopeTo), [['ann@example.org']]);
    assert.deepEqual(result.messages.map((m) => m.status), ['sent']);
  });

  test('site contact settings must name synced notifications; an update without settings keeps them', async () => {
    register(vox);
    await vox.migrate();
    await vox.sync();
    await assert.rejects(vox.siteContacts.save({ name: 'Board', protocol: 'email', address: 'board@example.org', settings: { 'club.meeting.cancelled': true } }), (error: VoxError) => error.code === ErrorCode.unknownNotification);
    const saved = await vox.siteContacts.save({ name: 'Board', protocol: 'email', address: 'board@example.org', enableFilter: 'whitelist', settings: { 'club.meeting.moved': true } });
    const renamed = await vox.siteContacts.save({ id: saved.id, name: 'The board', protocol: 'email', address: 'board@example.org', enableFilter: 'whitelist' });
    assert.deepEqual(renamed.settings, { 'club.meeting.moved': true });
    const replaced = await vox.siteContacts.save({ ...renamed, settings: { 'club.member.joined': true } });
    assert.deepEqual(replaced.settings, { 'club.member.joined': true });
  });

  test("a worker in the notifying process uses the object passed to notify(), not load()'s", async () => {
    const { Meeting } = register(vox);
    await vox.migrate();
    await vox.sync();
    await vox.templates.save({ notification: 'club.meeting.moved', backend: 'email-html', recipients: ['c:members'], subject: '{{ object.title }}', content: '<p>x</p>' });
    stored.set(1, { id: 1, title: 'As stored' });
    await (await Meeting.notify({ id: 1, title: 'As passed' }, 'moved')).settled();
    assert.deepEqual(smtp.received.map((m) => m.parsed.subject), ['As passed']);
  });
});
