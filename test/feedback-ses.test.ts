/**
 * Amazon SES through SNS (delivery feedback, docs/feedback.md): a message really goes out by SMTP
 * to a local server, then SES's documented notifications (test/contracts/ses-notifications.json)
 * arrive in SNS envelopes signed as SNS signs them, with a certificate made here by openssl and
 * served from a local server in place of sns.<region>.amazonaws.com. The test reads the message's
 * status and history and the suppression list, on SQLite and PostgreSQL; and checks that the
 * certificate is never fetched from anywhere but SNS.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { htmlEmail } from '../src/backends/email/index.ts';
import type { FeedbackHandler, Vox } from '../src/index.ts';
import { databases } from './support/databases.ts';
import { answerLater, emailShop, readableDatabase, stateOf } from './support/feedback.ts';
import { startHttpPeer, type HttpPeer } from './support/http-peer.ts';
import { startSmtp, type TestSmtp } from './support/smtp.ts';
import { waitFor } from './support/wait.ts';

type Json = Record<string, unknown>;
const documented = JSON.parse(readFileSync(new URL('./contracts/ses-notifications.json', import.meta.url), 'utf8')) as Record<string, Json>;
const topicArn = 'arn:aws:sns:us-west-2:123456789012:vox-feedback';
const certUrl = 'https://sns.us-west-2.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem';
const hookUrl = 'https://shop.example.org/vox/feedback/ses';

/** The text SNS signs, written from AWS's documentation (not from Vox's code). */
function stringToSign(message: Json): string {
  const names = message.Type === 'Notification' ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return names.filter((n) => message[n] !== undefined).map((n) => `${n}\n${String(message[n])}\n`).join('');
}

describe('Amazon SES through SNS', () => {
  let dir: string;
  let privateKey: string;
  let certificate: string;
  let smtp: TestSmtp;
  let sns: HttpPeer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vox-sns-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=sns.amazonaws.com'], { stdio: 'ignore' });
    privateKey = readFileSync(join(dir, 'key.pem'), 'utf8');
    certificate = readFileSync(join(dir, 'cert.pem'), 'utf8');
    smtp = await startSmtp();
    // Plays sns.us-west-2.amazonaws.com: the certificate, and subscription confirmations.
    sns = await startHttpPeer((request) => (request.path.endsWith('.pem') ? { status: 200, body: certificate } : { status: 200, body: '<ConfirmSubscriptionResponse/>' }));
  });
  after(async () => {
    await sns.close();
    await smtp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Fetches SNS URLs from the local stand-in instead: how, never which (Vox checked the host). */
  const fromLocalSns = async (url: URL) => {
    assert.equal(url.hostname, 'sns.us-west-2.amazonaws.com');
    return fetch(sns.url(url.pathname + url.search));
  };

  /** An SNS envelope around `message`, signed with version 2 (SHA256withRSA) unless told otherwise. */
  const envelope = (fields: Json, options: { version?: '1' | '2'; key?: string } = {}): Json => {
    const message: Json = { ...documented.snsNotification, MessageId: randomUUID(), TopicArn: topicArn, Timestamp: new Date().toISOString(), SigningCertURL: certUrl, ...fields, SignatureVersion: options.version ?? '2' };
    delete message.Subject;
    message.Signature = sign(options.version === '1' ? 'sha1' : 'sha256', Buffer.from(stringToSign(message)), options.key ?? privateKey).toString('base64');
    return message;
  };
  const post = (handler: FeedbackHandler, body: Json | string) => handler.fetch(new Request(hookUrl, { method: 'POST', headers: { 'Content-Type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': String((body as Json).Type ?? '') }, body: typeof body === 'string' ? body : JSON.stringify(body) }));

  test('the default never fetches a certificate off sns.<region>.amazonaws.com: no request is made', async () => {
    const db = await readableDatabase(databases[0] as (typeof databases)[number]);
    const { vox } = await emailShop(db.options, htmlEmail({ transport: smtp.transport, from: 'shop@example.org' }), { subject: 'Shipped', content: '<p>On its way</p>' });
    const feedback = vox.feedback({ ses: { topicArns: [topicArn] } });
    const before = sns.requests.length;
    for (const url of [sns.url('/cert.pem'), 'https://sns.us-west-2.amazonaws.com.attacker.example/cert.pem', 'http://sns.us-west-2.amazonaws.com/cert.pem', 'https://sns.us-west-2.amazonaws.com:8443/cert.pem', 'https://user@sns.us-west-2.amazonaws.com/cert.pem', 'https://example.org/sns.us-west-2.amazonaws.com/cert.pem']) {
      const response = await post(feedback, envelope({ Message: JSON.stringify(documented.sesDelivery), SigningCertURL: url }));
      assert.equal(response.status, 401, url);
    }
    assert.equal(sns.requests.length, before, 'no certificate was requested');
    await vox.close();
    await db.drop();
  });

  for (const database of databases) {
    describe(database.name, { skip: database.skip }, () => {
      let vox: Vox;
      let feedback: FeedbackHandler;
      let db: Awaited<ReturnType<typeof readableDatabase>>;
      let send: (orderId: number, email: string) => Promise<{ id: number; providerMessageId: string }>;
      let sent: { id: number; providerMessageId: string };
      let held: ReturnType<typeof answerLater>;
      beforeEach(async () => {
        db = await readableDatabase(database);
        held = answerLater(smtp);
        ({ vox, send } = await emailShop(db.options, htmlEmail({ transport: held.transport, raw: true, from: 'shop@example.org' }), { subject: 'Shipped', content: '<p>Order {{ object.id }} is on its way</p>' }));
        feedback = vox.feedback({ ses: { topicArns: [topicArn], fetchFromSns: fromLocalSns } });
        sent = await send(42, 'ann@example.org');
      });
      afterEach(async () => {
        await vox.close();
        await db.drop();
      });

      /** SES's documented notification `kind` about the mail as it reached the SMTP server (its Message-ID and headers), to `address`. */
      const notification = (kind: string, messageId: string, address = 'ann@example.org'): Json => {
        const mail = smtp.received.find((m) => m.parsed.messageId === messageId.replace(/^<|>$/g, '') || m.parsed.messageId === messageId);
        assert.ok(mail, `the SMTP server received ${messageId}`);
        const payload = structuredClone(documented[kind]) as Json & { mail: Json & { commonHeaders: Json } };
        payload.mail.destination = [address];
        payload.mail.commonHeaders.messageId = messageId;
        payload.mail.headers = [...mail.parsed.headerLines.map((h) => ({ name: h.key, value: h.line.slice(h.line.indexOf(':') + 1).trim() }))];
        const swap = (list: unknown) => (Array.isArray(list) ? list.map((r) => (typeof r === 'string' ? address : { ...r, emailAddress: address })) : list);
        if (payload.bounce) (payload.bounce as Json).bouncedRecipients = swap((payload.bounce as Json).bouncedRecipients);
        if (payload.complaint) (payload.complaint as Json).complainedRecipients = swap((payload.complaint as Json).complainedRecipients);
        if (payload.delivery) (payload.delivery as Json).recipients = swap((payload.delivery as Json).recipients);
        return payload;
      };
      const ok = async (response: Response) => {
        assert.equal(response.status, 200);
        return response.json();
      };

      test('a delivery notification (signature version 1 and 2) moves the message to delivered', async () => {
        assert.deepEqual(await ok(await post(feedback, envelope({ Message: JSON.stringify(notification('sesDelivery', sent.providerMessageId)) }, { version: '1' }))), { recorded: 1, duplicates: 0, orphans: 0 });
        const state = await stateOf(vox, sent.id);
        assert.deepEqual([state.status, state.events], ['delivered', [{ event: 'delivered', code: null, recipient: 'ann@example.org' }]]);
        const second = await send(43, 'bob@example.org');
        await ok(await post(feedback, envelope({ Message: JSON.stringify(notification('sesDelivery', second.providerMessageId, 'bob@example.org')) })));
        assert.equal((await stateOf(vox, second.id)).status, 'delivered');
      });

      test('a permanent bounce bounces the message and suppresses the address; a transient one does neither', async () => {
        await ok(await post(feedback, envelope({ Message: JSON.stringify(notification('sesTransientBounce', sent.providerMessageId)) })));
        assert.equal((await stateOf(vox, sent.id)).status, 'sent');
        assert.deepEqual(await db.suppressions(), []);
        await ok(await post(feedback, envelope({ Message: JSON.stringify(notification('sesBounce', sent.providerMessageId)) })));
        const state = await stateOf(vox, sent.id);
        assert.deepEqual([state.status, state.errorCode, state.error], ['bounced', '5.1.1', 'Amazon SES reports the message bounced (error 5.1.1): smtp; 550 5.1.1 user unknown']);
        assert.deepEqual(state.events, [
          { event: 'deferred', code: '4.2.2', recipient: 'ann@example.org' },
          { event: 'bounced', code: '5.1.1', recipient: 'ann@example.org' },
        ]);
        assert.deepEqual(await db.suppressions(), [{ protocol: 'email', address: 'ann@example.org', reason: 'bounced', source: 'ses' }]);
      });

      test('a complaint: complained, suppressed; a delivery arriving after it does not move it back', async () => {
        await ok(await post(feedback, envelope({ Message: JSON.stringify(notification('sesComplaint', sent.providerMessageId)) })));
        await ok(await post(feedback, envelope({ Message: JSON.stringify(notification('sesDelivery', sent.providerMessageId)) })));
        const state = await stateOf(vox, sent.id);
        assert.equal(state.status, 'complained');
        assert.deepEqual(state.events.map((e) => e.event).sort(), ['complained', 'delivered']);
        assert.deepEqual(await db.suppressions(), [{ protocol: 'email', address: 'ann@example.org', reason: 'complained', source: 'ses' }]);
      });

      test('a wrong signature, another key, a tampered message or another topic get 401 and nothing is written', async () => {
        const message = JSON.stringify(notification('sesBounce', sent.providerMessageId));
        const other = execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], { encoding: 'utf8' });
        const tampered = envelope({ Message: message });
        tampered.Message = message.replace('Permanent', 'Transient');
        for (const body of [{ ...envelope({ Message: message }), Signature: 'bm90IHNucw==' }, envelope({ Message: message }, { key: other }), tampered, envelope({ Message: message, TopicArn: 'arn:aws:sns:us-west-2:999999999999:other' })]) {
          const response = await post(feedback, body);
          assert.equal(response.status, 401);
          assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'VOX_UNAUTHORIZED');
        }
        const { Signature: _signature, ...unsigned } = envelope({ Message: message });
        assert.equal((await post(feedback, unsigned)).status, 401);
        assert.deepEqual(await stateOf(vox, sent.id), { status: 'sent', error: null, errorCode: null, permanent: false, events: [] });
        assert.deepEqual(await db.suppressions(), []);
      });

      test('a notification SNS delivers twice is recorded once', async () => {
        const message = JSON.stringify(notification('sesBounce', sent.providerMessageId));
        await ok(await post(feedback, envelope({ Message: message })));
        assert.deepEqual(await ok(await post(feedback, envelope({ Message: message }))), { recorded: 0, duplicates: 1, orphans: 0 });
        assert.equal((await stateOf(vox, sent.id)).events.length, 1);
      });

      test('a bounce that arrives before Vox has written the sent record is applied once it is', async () => {
        let early: unknown;
        held.beforeAnswer(async (messageId) => {
          early = await ok(await post(feedback, envelope({ Message: JSON.stringify(notification('sesBounce', messageId, 'carol@example.org')) })));
        });
        const late = await send(44, 'carol@example.org');
        assert.deepEqual(early, { recorded: 1, duplicates: 0, orphans: 1 });
        await waitFor(async () => (await vox.messages.get(late.id))?.status === 'bounced', { what: 'the early bounce to be applied' });
        assert.deepEqual(await db.suppressions(), [{ protocol: 'email', address: 'carol@example.org', reason: 'bounced', source: 'ses' }]);
      });

      test('matched by X-Vox-Message-Key when the Message-ID is not the one Vox recorded', async () => {
        const payload = notification('sesBounce', sent.providerMessageId);
        (payload.mail as Json & { commonHeaders: Json }).commonHeaders.messageId = '<rewritten@email.amazonses.com>';
        await ok(await post(feedback, envelope({ Message: JSON.stringify(payload) })));
        assert.equal((await stateOf(vox, sent.id)).status, 'bounced');
      });

      test('a subscription confirmation of the configured topic is confirmed at its SubscribeURL; of another topic, refused', async () => {
        const token = randomUUID();
        const subscribeUrl = `https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(topicArn)}&Token=${token}`;
        const confirmation = (arn: string) => envelope({ ...documented.snsSubscriptionConfirmation, Type: 'SubscriptionConfirmation', TopicArn: arn, Token: token, SubscribeURL: subscribeUrl, MessageId: randomUUID() });
        const before = sns.requests.length;
        assert.equal((await post(feedback, confirmation(topicArn))).status, 200);
        assert.deepEqual(sns.requests.slice(before).map((r) => r.path).filter((p) => !p.endsWith('.pem')), [`/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(topicArn)}&Token=${token}`]);
        assert.equal((await post(feedback, confirmation('arn:aws:sns:us-west-2:999999999999:other'))).status, 401);
        assert.equal(sns.requests.slice(before).filter((r) => !r.path.endsWith('.pem')).length, 1);
      });

      test('event publishing: an Open is history only; an event type Vox does not record is answered 200', async () => {
        const open = { ...notification('sesDelivery', sent.providerMessageId), eventType: 'Open', open: { timestamp: '2017-08-09T22:00:19.652Z', userAgent: 'Mozilla/5.0', ipAddress: '192.0.2.1' } } as Json;
        delete open.notificationType;
        delete open.delivery;
        assert.deepEqual(await ok(await post(feedback, envelope({ Message: JSON.stringify(open) }))), { recorded: 1, duplicates: 0, orphans: 0 });
        assert.deepEqual([(await stateOf(vox, sent.id)).status, (await stateOf(vox, sent.id)).events.map((e) => e.event)], ['sent', ['opened']]);
        const other = { ...open, eventType: 'Subscription' };
        assert.deepEqual(await ok(await post(feedback, envelope({ Message: JSON.stringify(other) }))), { recorded: 0, duplicates: 0, orphans: 0 });
      });

      test('a notification of no message Vox knows is an orphan, answered 200', async () => {
        const payload = notification('sesDelivery', sent.providerMessageId);
        const mail = payload.mail as Json & { commonHeaders: Json };
        mail.commonHeaders.messageId = '<unknown@example.org>';
        mail.headers = [];
        assert.deepEqual(await ok(await post(feedback, envelope({ Message: JSON.stringify(payload) }))), { recorded: 1, duplicates: 0, orphans: 1 });
      });
    });
  }
});
