import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import MailComposer from 'nodemailer/lib/mail-composer';
import { simpleParser } from 'mailparser';
import { alternativeOf, buildMail, type MailMessage } from './mime.ts';
import { htmlEmail, type MailTransport } from './index.ts';

/** Boundaries are random and the date is the build's: everything else must match byte for byte. */
const comparable = (source: string) => source.replace(/_NmP-[0-9a-f]+-Part_\d+/g, 'BOUNDARY').replace(/^Date: .*$/m, 'Date: DATE');
/**
 * A source as Nodemailer's SMTP connection sends it: the composer keeps the bodies' line breaks as
 * written, and the connection's data stream turns each bare LF or CR into CRLF.
 */
const onTheWire = (source: string) => source.replace(/\r\n?|\n/g, '\r\n');
const BARE_LINE_BREAK = /\r(?!\n)|(?<!\r)\n/;

const mails: Record<string, MailMessage> = {
  'one recipient, HTML and text': { from: 'blog@example.org', to: [{ name: 'Ann', address: 'ann@example.org' }], subject: 'New: Hello', html: '<p>Hi</p>', text: 'Hi', headers: { 'X-Vox-Message-Key': 'k1' }, messageId: '<m1@example.org>' },
  'bulk, non-ASCII names, subject and body, long lines': {
    from: '"Blög Ünïcode" <blog@example.org>',
    bcc: [{ name: 'Zoë', address: 'zoe@example.org' }, { name: 'A, B', address: 'ab@exämple.org' }],
    subject: 'Ünïcode sübject '.repeat(10),
    html: `<p>${'héllo wörld '.repeat(50)}</p>`,
    text: `${'x'.repeat(2000)}\n trailing  \n`,
    headers: { 'X-Vox-Message-Key': 'k2' },
    messageId: '<m2@example.org>',
  },
  'text only, mixed line ends': { from: 'a@example.org', to: [{ name: '', address: 'c@example.org' }], subject: '', text: 'only text\r\nline 2\n', headers: { 'X-Vox-Message-Key': 'k3' }, messageId: '<m3@example.org>' },
  'attachments, text and binary': {
    from: 'a@example.org',
    to: [{ name: 'x', address: 'c@example.org' }],
    subject: 's',
    html: '<b>h</b>',
    text: 't',
    attachments: [
      { filename: 'a file ü.pdf', contentType: 'application/pdf', content: Buffer.from(`%PDF-1.4 ${'z'.repeat(300)}`) },
      { filename: 'b.txt', contentType: 'text/plain', content: Buffer.from('plain\nattached ü') },
      { filename: 'c.bin', contentType: 'application/octet-stream', content: Buffer.from([0, 1, 2, 255, 13, 10, 13]) },
    ],
    headers: { 'X-Vox-Message-Key': 'k4' },
    messageId: '<m4@example.org>',
  },
};

describe('buildMail', () => {
  for (const [name, mail] of Object.entries(mails)) {
    it(`writes what Nodemailer's composer streams: ${name}`, async () => {
      const built = buildMail(mail);
      const node = new MailComposer(mail).compile();
      const streamed = await new Promise<Buffer>((resolve, reject) => node.build((error, source) => (error ? reject(error) : resolve(source))));
      assert.equal(comparable(built.raw), comparable(onTheWire(streamed.toString('utf8'))));
      assert.doesNotMatch(built.raw, BARE_LINE_BREAK, 'every line break is CRLF');
      assert.deepEqual(built.envelope, node.getEnvelope());
      assert.doesNotMatch(built.raw, /^Bcc:/m, 'bulk recipients are in the envelope only');
    });
  }

  it('writes the commonest message (HTML and text to one recipient) without the composer, byte for byte as it would', async () => {
    const names = ['Ann', '', 'Zoë Ünïcode', 'A, B', '"Quoted" Name', 'x'.repeat(90), 'Tom & Jerry', "O'Brien", '=?utf-8?Q?x?=', 'Λέξη'];
    const subjects = ['New: Hello', '', 'Ünïcode sübject '.repeat(6), 's'.repeat(200), 'Re: a; b: c', '=?utf-8?B?eA==?=', '😀 emoji'];
    const bodies = ['Hi', 'héllo wörld '.repeat(30), `${'y'.repeat(100)}\nshort`, 'Ελληνικά κείμενα πολλά '.repeat(10), 'tab\there \r\n crlf\n'];
    const froms = ['blog@example.org', '"Blög Ünïcode" <blog@example.org>', 'Blog <blog@example.org>'];
    let k = 0;
    for (const name of names) {
      for (const subject of subjects) {
        const text = bodies[k % bodies.length] ?? '';
        const html = `<p>${bodies[(k + 1) % bodies.length]}</p>`;
        const mail: MailMessage = { from: froms[k % froms.length] ?? '', to: [{ name, address: `r${k}@example.org` }], subject, text, html, headers: { 'X-Vox-Message-Key': `i1:t1:${k}` }, messageId: `<m${k}@example.org>` };
        k++;
        const fast = alternativeOf(mail);
        assert.ok(fast, 'the fast path takes this message');
        const sent = buildMail(mail);
        assert.doesNotMatch(sent.raw, BARE_LINE_BREAK, JSON.stringify({ name, subject }));
        assert.equal(comparable(sent.raw), comparable(onTheWire(fast.raw)));
        const node = new MailComposer(mail).compile();
        const streamed = await new Promise<Buffer>((resolve, reject) => node.build((error, source) => (error ? reject(error) : resolve(source))));
        assert.equal(comparable(fast.raw), comparable(streamed.toString('utf8')), JSON.stringify({ name, subject }));
        assert.deepEqual(fast.envelope, node.getEnvelope());
      }
    }
  });

  it('makes a message a mail reader reads back', async () => {
    const parsed = await simpleParser(buildMail(mails['attachments, text and binary']!).raw);
    assert.equal(parsed.subject, 's');
    assert.equal(parsed.text?.trim(), 't');
    assert.equal(parsed.html, '<b>h</b>');
    assert.deepEqual(parsed.attachments.map((a) => [a.filename, a.content.length]), [['a file ü.pdf', 309], ['b.txt', 17], ['c.bin', 7]]);
  });
});

describe('email backend transports', () => {
  const outbound = { id: 1, idempotencyKey: 'i1:t1:k', from: undefined, to: [{ name: 'Ann', address: 'ann@example.org', protocol: 'email' }], payload: { subject: 'Hello', html: '<p>Hi</p>', text: 'Hi' } };
  const recorder = () => {
    const calls: unknown[] = [];
    const transport: MailTransport = { sendMail: async (mail) => (calls.push(mail), { messageId: 'transport-id' }) };
    return { calls, transport };
  };

  it('gives a transport that is not Nodemailer the fields of the mail', async () => {
    const { calls, transport } = recorder();
    const result = await htmlEmail({ transport, from: 'blog@example.org' }).send(outbound);
    const [mail] = calls as { subject: string; html: string; to: unknown }[];
    assert.equal(mail?.subject, 'Hello');
    assert.equal(mail?.html, '<p>Hi</p>');
    assert.deepEqual(mail?.to, [{ name: 'Ann', address: 'ann@example.org' }]);
    assert.equal(result.providerMessageId, 'transport-id');
  });

  it('gives it the built source with raw: true, with the Message-ID inside it', async () => {
    const { calls, transport } = recorder();
    await htmlEmail({ transport, from: 'blog@example.org', raw: true }).send(outbound);
    const [mail] = calls as { envelope: unknown; raw: string; messageId: string }[];
    assert.deepEqual(mail?.envelope, { from: 'blog@example.org', to: ['ann@example.org'] });
    const parsed = await simpleParser(mail?.raw ?? '');
    assert.equal(parsed.subject, 'Hello');
    assert.equal(parsed.messageId, mail?.messageId);
    assert.equal(parsed.headers.get('x-vox-message-key'), 'i1:t1:k');
  });
});
