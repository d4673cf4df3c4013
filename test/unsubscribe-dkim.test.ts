// RFC 8058: when the transport signs with DKIM, List-Unsubscribe and List-Unsubscribe-Post are
// in the signed header list, or mail clients do not offer one-click unsubscribe. Signed by
// Nodemailer's own `dkim` option, received by a real SMTP server, verified with mailauth against
// a resolver that answers the test key's TXT record (no network).
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import nodemailer from 'nodemailer';
import { htmlEmail, type MailTransport } from '../src/backends/email/index.ts';
import { startSmtp, type TestSmtp } from './support/smtp.ts';
import { headerOf, unsubscribeApp, type UnsubscribeApp } from './support/unsubscribe-app.ts';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const dkim = { domainName: 'example.org', keySelector: 'vox', privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString() };
const txt = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
/** A DNS resolver that knows one record: the test key at vox._domainkey.example.org. */
const resolver = async (name: string, type: string) => {
  if (type === 'TXT' && name === 'vox._domainkey.example.org') return [[txt]];
  throw Object.assign(new Error(`no ${type} record for ${name}`), { code: 'ENOTFOUND' });
};

for (const raw of [true, false]) {
  describe(`DKIM-signed unsubscribe headers (${raw ? 'raw messages' : 'Nodemailer composing'})`, () => {
    let smtp: TestSmtp;
    let app: UnsubscribeApp;
    before(async () => {
      smtp = await startSmtp({ transport: { pool: true, dkim } });
      app = await unsubscribeApp({ dialect: 'sqlite', path: ':memory:' }, () => htmlEmail({ transport: smtp.transport, from: 'blog@example.org', raw }));
    });
    after(async () => {
      await app.close();
      await smtp.close();
    });

    test('the signature passes and covers List-Unsubscribe and List-Unsubscribe-Post', async () => {
      await (await app.Article.notify({ id: 1, title: 'Signed' }, 'created')).settled();
      const [mail] = smtp.received;
      assert.ok(mail);
      assert.equal(headerOf(mail.raw, 'List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click');
      const result = await dkimVerify(mail.raw, { resolver });
      const [signature] = result.results;
      assert.equal(signature?.status.result, 'pass', signature?.status.comment);
      const signed = (signature?.signingHeaders?.keys ?? '').toLowerCase().split(':').map((k) => k.trim());
      assert.ok(signed.includes('list-unsubscribe'), signed.join(':'));
      assert.ok(signed.includes('list-unsubscribe-post'), signed.join(':'));
    });
  });
}

test("a transport whose own DKIM header list leaves the unsubscribe headers out is refused at start-up", () => {
  const transport = nodemailer.createTransport({ jsonTransport: true, dkim: { ...dkim, headerFieldNames: 'From:To:Subject:List-Unsubscribe' } }) as unknown as MailTransport;
  assert.throws(() => htmlEmail({ transport, from: 'blog@example.org' }), { code: 'VOX_CONFIGURATION', message: /List-Unsubscribe-Post/ });
  const skipping = nodemailer.createTransport({ jsonTransport: true, dkim: { ...dkim, skipFields: 'list-unsubscribe-post' } }) as unknown as MailTransport;
  assert.throws(() => htmlEmail({ transport: skipping, from: 'blog@example.org' }), { code: 'VOX_CONFIGURATION' });
});
