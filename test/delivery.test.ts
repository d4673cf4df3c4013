import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { contact, createVox, type Vox } from '../src/index.ts';
import { htmlEmail, markdownEmail, templateEmail } from '../src/backends/email/index.ts';
import { databases } from './support/databases.ts';
import { addressesOf, smtpForSuite, type TestSmtp } from './support/smtp.ts';

interface Member {
  id: number;
  name: string;
  emails: string[];
}
interface Event {
  id: number;
  title: string;
  host: Member;
}

for (const database of databases) {
  describe(`email delivery on ${database.name}`, { skip: database.skip }, () => {
    const smtpServer = smtpForSuite();
    let smtp: TestSmtp;
    let vox: Vox;
    let drop: () => Promise<void>;
    let members: Member[];
    let Event: ReturnType<typeof register>;

    function register(v: Vox) {
      const Member = v.model('club.member', {
        id: (m: Member) => m.id,
        channels: { self: true },
        contacts: { email: (m) => m.emails.map((e) => contact(m.name, 'email', e)) },
      });
      return v.model('club.event', {
        id: (e: Event) => e.id,
        notifications: { announced: 'An event was announced', cancelled: 'An event was cancelled' },
        channels: {
          members: {
            label: 'Members',
            recipients: Member,
            // Async iterables stream recipients; duplicates are dropped.
            async *resolve() {
              for (const m of members) yield m;
              yield members[0];
            },
          },
          host: { recipients: Member, resolve: (e) => [e.host] },
        },
      });
    }

    beforeEach(async () => {
      smtp = smtpServer();
      const db = await database.create();
      drop = db.drop;
      vox = createVox({
        database: db.options,
        backends: [
          htmlEmail({ transport: smtp.transport, from: 'club@example.org' }),
          markdownEmail({ transport: smtp.transport, from: 'club@example.org' }),
          templateEmail({ transport: smtp.transport, from: 'club@example.org' }),
        ],
      });
      Event = register(vox);
      await vox.migrate();
      await vox.sync();
      members = [
        { id: 1, name: 'Ann', emails: ['ann@example.org', 'ann@work.example.org'] },
        { id: 2, name: 'Bob', emails: ['shared@example.org'] },
        { id: 3, name: 'Cy', emails: ['shared@example.org'] },
      ];
    });
    afterEach(async () => {
      await vox.close();
      await drop();
    });

    const event = (): Event => ({ id: 7, title: 'Picnic *at* <noon>', host: members[2]! });

    test('Markdown email: variables cannot inject HTML or Markdown, and text and HTML parts are sent', async () => {
      await vox.templates.save({
        notification: 'club.event.announced',
        backend: 'email-md',
        recipients: ['c:host'],
        subject: 'Announced: {{ object.title }}',
        content: '# {{ object.title }}\n\nHello **{{ recipient.name }}**, you are reached at {{ contact.address }}.\n\n<b>raw html is not allowed</b>',
      });
      await (await Event.notify(event(), 'announced')).settled();
      const [mail] = smtp.received;
      assert.equal(mail?.parsed.subject, 'Announced: Picnic *at* <noon>');
      const html = String(mail?.parsed.html);
      assert.match(html, /<h1>Picnic \*at\* &lt;noon&gt;<\/h1>/);
      assert.match(html, /Hello <strong>Cy<\/strong>, you are reached at <a href="mailto:shared@example\.org">shared@example\.org<\/a>\./);
      assert.match(html, /&lt;b&gt;raw html is not allowed&lt;\/b&gt;/);
      assert.match(mail?.parsed.text ?? '', /PICNIC \*AT\* <NOON>/);
    });

    test('block-template email sends its subject, text and HTML blocks', async () => {
      await vox.templates.save({
        notification: 'club.event.announced',
        backend: 'email',
        recipients: ['c:host'],
        content: '{% block subject %}Block: {{ object.title }}{% endblock %}\n{% block text_body %}Plain {{ object.title }}{% endblock %}\n{% block html_body %}<p>Rich {{ object.title }}</p>{% endblock %}',
      });
      await (await Event.notify(event(), 'announced')).settled();
      const [mail] = smtp.received;
      assert.equal(mail?.parsed.subject, 'Block: Picnic *at* <noon>');
      assert.equal(mail?.parsed.text?.trim(), 'Plain Picnic *at* <noon>');
      assert.equal(String(mail?.parsed.html).trim(), '<p>Rich Picnic *at* &lt;noon&gt;</p>');
    });

    test('per-recipient templates reach every address once; the from address may use variables', async () => {
      await vox.templates.save({
        notification: 'club.event.announced',
        backend: 'email-html',
        recipients: ['c:members', 'c:host'],
        subject: 'Hi {{ recipient.name }}',
        fromAddress: '"{{ object.host.name }} via Club" <club@example.org>',
        content: '<p>{{ contact.address }}</p>',
      });
      const result = await (await Event.notify(event(), 'announced')).settled();
      const to = smtp.received.map((m) => m.envelopeTo.join()).sort();
      assert.deepEqual(to, ['ann@example.org', 'ann@work.example.org', 'shared@example.org']);
      assert.equal(result.sent, 3);
      const first = smtp.received[0]!;
      assert.deepEqual(addressesOf(first.parsed.from), ['club@example.org']);
      assert.equal(first.parsed.from?.value[0]?.name, 'Cy via Club');
    });

    test('email addresses that differ only in case are one recipient, reached at the address first seen', async () => {
      members = [
        { id: 1, name: 'Ann', emails: ['ann@Example.ORG'] },
        { id: 2, name: 'Bob', emails: ['ANN@example.org'] },
        { id: 3, name: 'Cy', emails: ['cy@example.org'] },
      ];
      await vox.templates.save({ notification: 'club.event.announced', backend: 'email-html', recipients: ['c:members'], subject: 'Hi {{ recipient.name }}', content: '<p>Hi {{ contact.address }}</p>' });
      await vox.templates.save({ notification: 'club.event.announced', backend: 'email-md', recipients: ['c:members'], bulk: true, subject: 'All', content: 'Everyone' });
      const result = await (await Event.notify(event(), 'announced')).settled();
      assert.equal(result.sent, 3);
      const single = smtp.received.filter((m) => m.parsed.subject !== 'All').map((m) => `${m.parsed.subject}: ${m.parsed.text?.trim()}`).sort();
      assert.deepEqual(single, ['Hi Ann: Hi ann@Example.ORG', 'Hi Cy: Hi cy@example.org']);
      const bulk = smtp.received.filter((m) => m.parsed.subject === 'All');
      assert.deepEqual(bulk.map((m) => [...m.envelopeTo].sort()), [['ann@example.org', 'cy@example.org']]);
      assert.equal((await vox.messages.list()).length, 3, 'no row for the duplicate');
    });

    test('a from address whose variable holds a line break or a second address fails with EADDRESS, and nothing is sent', async () => {
      await vox.templates.save({ notification: 'club.event.announced', backend: 'email-html', recipients: ['c:host'], subject: 'Hi', fromAddress: '"{{ object.title }}" <club@example.org>', content: '<p>Hi</p>' });
      for (const title of ['Picnic\r\nBcc: victim@evil.example', 'Picnic" <a@evil.example>, "x']) {
        await (await Event.notify({ ...event(), title }, 'announced')).settled();
      }
      const failed = await vox.messages.list({ status: 'failed' });
      assert.deepEqual(failed.map((m) => [m.errorCode, m.permanent]), [['EADDRESS', true], ['EADDRESS', true]]);
      assert.match(failed[0]!.error ?? '', /^the from address .* is not one email address/);
      assert.equal(smtp.received.length, 0);
      await (await Event.notify({ ...event(), title: 'Picnic, at noon' }, 'announced')).settled();
      assert.deepEqual(smtp.received.map((m) => [m.envelopeFrom, m.parsed.from?.text]), [['club@example.org', '"Picnic, at noon" <club@example.org>']]);
    });

    test('a bulk template sends one message to all addresses', async () => {
      await vox.templates.save({ notification: 'club.event.announced', backend: 'email-html', recipients: ['c:members'], bulk: true, subject: 'All: {{ object.title }}', content: '<p>Everyone</p>' });
      const result = await (await Event.notify(event(), 'announced')).settled();
      assert.equal(smtp.received.length, 1);
      assert.deepEqual([...smtp.received[0]!.envelopeTo].sort(), ['ann@example.org', 'ann@work.example.org', 'shared@example.org']);
      assert.deepEqual(addressesOf(smtp.received[0]!.parsed.to), [], 'bulk recipients are in Bcc, never shown to each other');
      const [row] = await vox.messages.list({ issueId: result.issueId });
      assert.equal(row?.to.length, 3);
    });

    test('site contacts follow their blacklist or whitelist per notification', async () => {
      await vox.siteContacts.save({ name: 'Everything but cancellations', protocol: 'email', address: 'black@example.org', settings: { 'club.event.cancelled': false } });
      await vox.siteContacts.save({ name: 'Only cancellations', protocol: 'email', address: 'white@example.org', enableFilter: 'whitelist', settings: { 'club.event.cancelled': true } });
      for (const codename of ['announced', 'cancelled'] as const) {
        await vox.templates.save({ notification: `club.event.${codename}`, backend: 'email-html', recipients: ['si'], subject: codename, content: '<p>{{ recipient.name }} / {{ contact.address }}</p>' });
      }
      await (await Event.notify(event(), 'announced')).settled();
      await (await Event.notify(event(), 'cancelled')).settled();
      const got = smtp.received.map((m) => `${m.parsed.subject} -> ${m.envelopeTo.join()}`).sort();
      assert.deepEqual(got, ['announced -> black@example.org', 'cancelled -> white@example.org']);
      assert.match(String(smtp.received.find((m) => m.parsed.subject === 'cancelled')?.parsed.html), /Only cancellations \/ white@example\.org/);
    });

    test('site contact input is checked', async () => {
      await assert.rejects(vox.siteContacts.save({ name: '', protocol: 'sms', address: '' }), /name is empty; address is empty; protocol "sms" has no configured backend; use one of email/);
      await assert.rejects(vox.siteContacts.save({ name: 'x', protocol: 'email', address: 'x@example.org', settings: { 'no.such': true } }), /unknown notification "no\.such"/);
    });
  });
}
