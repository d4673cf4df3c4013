/**
 * SendGrid's signed Event Webhook (delivery feedback, docs/feedback.md): a message really goes out
 * by SMTP (SendGrid's SMTP relay played by a local server), then SendGrid's documented events
 * (test/contracts/sendgrid-events.json) are posted in a batch signed with an ECDSA P-256 key made
 * here, as SendGrid signs them. The test reads the message's status and history and the
 * suppression list, on SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { htmlEmail } from '../src/backends/email/index.ts';
import type { FeedbackHandler, Vox } from '../src/index.ts';
import { databases } from './support/databases.ts';
import { answerLater, emailShop, readableDatabase, stateOf } from './support/feedback.ts';
import { startSmtp, type TestSmtp } from './support/smtp.ts';
import { waitFor } from './support/wait.ts';

type Json = Record<string, unknown>;
const documented = JSON.parse(readFileSync(new URL('./contracts/sendgrid-events.json', import.meta.url), 'utf8')) as Record<string, Json>;
const hookUrl = 'https://shop.example.org/vox/feedback/sendgrid';

const keys = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
/** The verification key as SendGrid shows it: base64 of the DER public key. */
const shown = (key: KeyObject) => key.export({ format: 'der', type: 'spki' }).toString('base64');

describe('SendGrid event webhook', () => {
  let smtp: TestSmtp;
  const pair = keys();
  before(async () => {
    smtp = await startSmtp();
  });
  after(async () => {
    await smtp.close();
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
        feedback = vox.feedback({ sendgrid: { publicKey: shown(pair.publicKey) } });
        sent = await send(42, 'ann@example.org');
        assert.ok(smtp.received.some((m) => `<${m.parsed.messageId}>` === sent.providerMessageId || m.parsed.messageId === sent.providerMessageId), 'the mail reached the SMTP server');
      });
      afterEach(async () => {
        await vox.close();
        await db.drop();
      });

      /** SendGrid's documented event `kind` about the message whose Message-ID is `messageId`. */
      const event = (kind: string, messageId: string, address = 'ann@example.org', sgMessageId = `sg${messageId.replace(/\W/g, '').slice(0, 20)}`): Json => {
        const entry: Json = { ...documented[kind], email: address, timestamp: Math.floor(Date.now() / 1000), sg_event_id: randomUUID(), sg_message_id: `${sgMessageId}.filterdrecv-5bd7b8bcdb-xyz-1-5F1B3A6C-1.0` };
        if ('smtp-id' in entry) entry['smtp-id'] = messageId;
        return entry;
      };
      /** Posts a batch as SendGrid does, signed over timestamp + body with `key` (default: the configured pair's). */
      const post = (events: Json[] | string, options: { key?: KeyObject; timestamp?: number; signature?: string | null } = {}) => {
        const body = typeof events === 'string' ? events : JSON.stringify(events);
        const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
        const signature = options.signature === undefined ? sign('sha256', Buffer.from(timestamp + body), options.key ?? pair.privateKey).toString('base64') : options.signature;
        return feedback.fetch(new Request(hookUrl, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Twilio-Email-Event-Webhook-Timestamp': timestamp, ...(signature === null ? {} : { 'X-Twilio-Email-Event-Webhook-Signature': signature }) }, body }));
      };
      const ok = async (response: Response) => {
        assert.equal(response.status, 200);
        return response.json();
      };

      test('a batch (processed, delivered, open, click) moves the message to delivered, with every event in its history', async () => {
        const batch = ['processed', 'delivered', 'open', 'click'].map((kind) => event(kind, sent.providerMessageId));
        assert.deepEqual(await ok(await post(batch)), { recorded: 4, duplicates: 0, orphans: 0 });
        const state = await stateOf(vox, sent.id);
        assert.equal(state.status, 'delivered');
        // Opens and clicks carry no smtp-id: they are matched through the earlier events' sg_message_id.
        assert.deepEqual(state.events.map((e) => e.event), ['queued', 'delivered', 'opened', 'clicked']);
        assert.deepEqual(await db.suppressions(), []);
      });

      test('a bounce bounces and suppresses; a block fails the message but suppresses nothing', async () => {
        await ok(await post([event('bounce', sent.providerMessageId)]));
        const state = await stateOf(vox, sent.id);
        assert.deepEqual([state.status, state.errorCode, state.error], ['bounced', '5.0.0', 'SendGrid reports the message bounced (error 5.0.0): 500 unknown recipient']);
        assert.deepEqual(await db.suppressions(), [{ protocol: 'email', address: 'ann@example.org', reason: 'bounced', source: 'sendgrid' }]);
        const other = await send(43, 'bob@example.org');
        await ok(await post([event('blocked', other.providerMessageId, 'bob@example.org')]));
        const blocked = await stateOf(vox, other.id);
        assert.deepEqual([blocked.status, blocked.permanent], ['failed', false]);
        assert.equal((await db.suppressions()).length, 1);
      });

      test('a spam report (matched through the delivery’s sg_message_id) complains and suppresses', async () => {
        await ok(await post([event('delivered', sent.providerMessageId)]));
        await ok(await post([event('spamreport', sent.providerMessageId)]));
        assert.equal((await stateOf(vox, sent.id)).status, 'complained');
        assert.deepEqual(await db.suppressions(), [{ protocol: 'email', address: 'ann@example.org', reason: 'complained', source: 'sendgrid' }]);
      });

      test('a wrong, missing or other key’s signature, or an old timestamp, gets 401 and nothing is written', async () => {
        const batch = [event('bounce', sent.providerMessageId)];
        for (const options of [{ signature: null }, { signature: 'MEUCIQDnotavalidsignature==' }, { key: keys().privateKey }, { timestamp: Math.floor(Date.now() / 1000) - 3600 }]) {
          const response = await post(batch, options);
          assert.equal(response.status, 401);
          assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'VOX_UNAUTHORIZED');
        }
        // A body changed after signing.
        const body = JSON.stringify(batch);
        const timestamp = String(Math.floor(Date.now() / 1000));
        const signature = sign('sha256', Buffer.from(timestamp + body), pair.privateKey).toString('base64');
        const tampered = await feedback.fetch(new Request(hookUrl, { method: 'POST', headers: { 'X-Twilio-Email-Event-Webhook-Timestamp': timestamp, 'X-Twilio-Email-Event-Webhook-Signature': signature }, body: body.replace('bounce', 'delivered') }));
        assert.equal(tampered.status, 401);
        assert.deepEqual(await stateOf(vox, sent.id), { status: 'sent', error: null, errorCode: null, permanent: false, events: [] });
        assert.deepEqual(await db.suppressions(), []);
      });

      test('a batch SendGrid posts again is recorded once (by sg_event_id)', async () => {
        const batch = [event('delivered', sent.providerMessageId), event('bounce', sent.providerMessageId)];
        await ok(await post(batch));
        assert.deepEqual(await ok(await post(batch)), { recorded: 0, duplicates: 2, orphans: 0 });
        assert.equal((await stateOf(vox, sent.id)).events.length, 2);
      });

      test('out of order: processed and deferred after the delivery leave it delivered', async () => {
        await ok(await post([event('delivered', sent.providerMessageId), event('deferred', sent.providerMessageId), event('processed', sent.providerMessageId)]));
        const state = await stateOf(vox, sent.id);
        assert.equal(state.status, 'delivered');
        assert.deepEqual(state.events.map((e) => e.event).sort(), ['deferred', 'delivered', 'queued']);
      });

      test('an event that arrives before Vox has written the sent record is applied once it is', async () => {
        let early: unknown;
        held.beforeAnswer(async (messageId) => {
          early = await ok(await post([event('delivered', messageId, 'carol@example.org')]));
        });
        const late = await send(44, 'carol@example.org');
        assert.deepEqual(early, { recorded: 1, duplicates: 0, orphans: 1 });
        await waitFor(async () => (await vox.messages.get(late.id))?.status === 'delivered', { what: 'the early delivery to be applied' });
      });

      test('an event of no message Vox knows is an orphan, answered 200; a body that is not an array is refused', async () => {
        assert.deepEqual(await ok(await post([event('delivered', '<unknown@example.org>', 'ann@example.org', 'unknownsg')])), { recorded: 1, duplicates: 0, orphans: 1 });
        const response = await post('{"event":"delivered"}');
        assert.equal(response.status, 400);
        assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'VOX_INVALID_INPUT');
      });
    });
  }
});
