/**
 * Twilio's status callbacks (delivery feedback, docs/feedback.md), seen where a user sees them: the
 * message's status and history in the log, and the suppression list. A message really goes through
 * the Twilio backend to the local contract server; the callbacks are the form posts Twilio documents
 * (test/contracts/twilio-status-callback.md), signed as Twilio signs them. On SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { contact, createVox, type FeedbackHandler, type Vox } from '../src/index.ts';
import { twilio, twilioStatusCallback } from '../src/backends/twilio.ts';
import { databases } from './support/databases.ts';
import { readableDatabase, startRelay, stateOf, type Relay } from './support/feedback.ts';
import { startTwilioContract, type TwilioContractServer } from './support/twilio-contract.ts';
import { waitFor } from './support/wait.ts';

const callbackUrl = 'https://shop.example.org/vox/feedback/twilio';
const phone = '+14155550100';

for (const database of databases) {
  describe(`twilio status callbacks (${database.name})`, { skip: database.skip }, () => {
    let peer: TwilioContractServer;
    let relay: Relay;
    let vox: Vox;
    let feedback: FeedbackHandler;
    let db: Awaited<ReturnType<typeof readableDatabase>>;
    let notify: (id: number) => Promise<{ id: number; sid: string }>;
    let sent: { id: number; sid: string };
    before(async () => {
      peer = await startTwilioContract();
      relay = await startRelay(peer.baseUrl);
    });
    after(async () => {
      await relay.close();
      await peer.close();
      assert.deepEqual(peer.violations, []);
    });
    beforeEach(async () => {
      relay.beforeAnswer = undefined;
      db = await readableDatabase(database);
      vox = createVox({
        database: db.options,
        backends: [twilio({ accountSid: peer.accountSid, authToken: peer.authToken, from: '+14155552345', baseUrl: relay.baseUrl, statusCallback: callbackUrl })],
      });
      const Customer = vox.model('shop.customer', { id: (c: { id: number; phone: string }) => c.id, contacts: { sms: (c) => [contact('Ann', 'sms', c.phone)] } });
      const Order = vox.model('shop.order', {
        id: (o: { id: number }) => o.id,
        notifications: { shipped: 'An order was shipped' },
        channels: { customer: { recipients: Customer, resolve: () => [{ id: 1, phone }] } },
      });
      await vox.migrate();
      await vox.sync();
      await vox.templates.save({ notification: 'shop.order.shipped', backend: 'twilio', recipients: ['c:customer'], content: 'Order {{ object.id }} is on its way.' });
      feedback = vox.feedback({ twilio: { authToken: peer.authToken, url: callbackUrl }, maxBodyBytes: 4096 });
      notify = async (orderId) => {
        const ticket = await Order.notify({ id: orderId }, 'shipped');
        const result = await ticket.settled();
        const [message] = await vox.messages.list({ issueId: ticket.issueId });
        assert.ok(message?.providerMessageId, 'the message has its Twilio SID');
        assert.equal(result.messages.length, 1);
        return { id: message.id, sid: message.providerMessageId };
      };
      sent = await notify(42);
      assert.equal(peer.received.at(-1)?.form.get('StatusCallback'), `${callbackUrl}?vox_message=${sent.id}`);
    });
    afterEach(async () => {
      await vox.close();
      await db.drop();
    });

    /** Posts a status callback as Twilio does (docs: "Outbound Message Status Callback"), signed with the auth token unless told otherwise. */
    const report = async (fields: Record<string, string>, options: { signature?: string; message?: { id: number; sid: string }; handler?: { fetch(request: Request): Promise<Response> } } = {}) => {
      const message = options.message ?? sent;
      const called = `${callbackUrl}?vox_message=${message.id}`;
      const params = new URLSearchParams({ AccountSid: peer.accountSid, From: '+14155552345', To: phone, MessageSid: message.sid, SmsSid: message.sid, ApiVersion: '2010-04-01', ...fields });
      if (!params.has('SmsStatus')) params.set('SmsStatus', params.get('MessageStatus') ?? '');
      const signature = options.signature ?? createHmac('sha1', peer.authToken).update(called + [...params.keys()].sort().map((k) => k + params.get(k)).join('')).digest('base64');
      return (options.handler ?? feedback).fetch(new Request(called, { method: 'POST', headers: { 'X-Twilio-Signature': signature, 'Content-Type': 'application/x-www-form-urlencoded' }, body: params.toString() }));
    };
    const ok = async (response: Response) => {
      assert.equal(response.status, 200);
      return response.json();
    };

    test('delivered moves the message to delivered, with the event in its history', async () => {
      assert.deepEqual(await ok(await report({ MessageStatus: 'sent' })), { recorded: 1, duplicates: 0, orphans: 0 });
      assert.deepEqual(await ok(await report({ MessageStatus: 'delivered' })), { recorded: 1, duplicates: 0, orphans: 0 });
      const state = await stateOf(vox, sent.id);
      assert.equal(state.status, 'delivered');
      assert.deepEqual(state.events, [
        { event: 'sent', code: null, recipient: phone },
        { event: 'delivered', code: null, recipient: phone },
      ]);
      const [history] = await vox.messages.events(sent.id);
      assert.equal(JSON.parse(history?.payload ?? '{}').MessageStatus, 'sent', 'the payload is kept');
      assert.deepEqual(await db.suppressions(), []);
      const issue = await vox.issues.get((await vox.messages.get(sent.id))?.issueId as number);
      assert.equal(issue?.messages.delivered, 1);
    });

    test('failed (30006) fails the message for good, with Twilio’s code; undelivered (30003) as transient, so a resend may help', async () => {
      await ok(await report({ MessageStatus: 'failed', ErrorCode: '30006' }));
      assert.deepEqual({ ...(await stateOf(vox, sent.id)), events: undefined }, { status: 'failed', error: 'Twilio reports the message failed (error 30006)', errorCode: '30006', permanent: true, events: undefined });
      const second = await notify(43);
      await ok(await report({ MessageStatus: 'undelivered', ErrorCode: '30003' }, { message: second }));
      const state = await stateOf(vox, second.id);
      assert.deepEqual([state.status, state.errorCode, state.permanent, state.events], ['failed', '30003', false, [{ event: 'failed', code: '30003', recipient: phone }]]);
    });

    test('error 21610 (the recipient replied STOP) puts the number on the suppression list', async () => {
      await ok(await report({ MessageStatus: 'failed', ErrorCode: '21610' }));
      assert.equal((await stateOf(vox, sent.id)).status, 'failed');
      assert.deepEqual(await db.suppressions(), [{ protocol: 'sms', address: phone, reason: 'unsubscribed', source: 'twilio' }]);
    });

    test('a wrong or missing signature gets 401 and nothing is written', async () => {
      for (const signature of ['bm90IHR3aWxpbw==', '']) {
        const response = await report({ MessageStatus: 'failed', ErrorCode: '21610' }, { signature });
        assert.equal(response.status, 401);
        assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'VOX_UNAUTHORIZED');
      }
      // Signed for another URL: Twilio signs the URL it called.
      const forged = await feedback.fetch(new Request(`${callbackUrl}?vox_message=${sent.id + 1}`, { method: 'POST', headers: { 'X-Twilio-Signature': createHmac('sha1', peer.authToken).update(`${callbackUrl}?vox_message=${sent.id}`).digest('base64'), 'Content-Type': 'application/x-www-form-urlencoded' }, body: '' }));
      assert.equal(forged.status, 401);
      assert.deepEqual(await stateOf(vox, sent.id), { status: 'sent', error: null, errorCode: null, permanent: false, events: [] });
      assert.deepEqual(await db.suppressions(), []);
    });

    test('a replayed callback is recorded once', async () => {
      await ok(await report({ MessageStatus: 'delivered' }));
      assert.deepEqual(await ok(await report({ MessageStatus: 'delivered' })), { recorded: 0, duplicates: 1, orphans: 0 });
      assert.equal((await stateOf(vox, sent.id)).events.length, 1);
    });

    test('out of order, a status never moves back: sent after delivered, delivered after failed', async () => {
      await ok(await report({ MessageStatus: 'delivered' }));
      await ok(await report({ MessageStatus: 'sent' }));
      assert.deepEqual((await stateOf(vox, sent.id)).status, 'delivered');
      const second = await notify(45);
      await ok(await report({ MessageStatus: 'undelivered', ErrorCode: '30005' }, { message: second }));
      await ok(await report({ MessageStatus: 'delivered' }, { message: second }));
      const state = await stateOf(vox, second.id);
      assert.equal(state.status, 'failed');
      assert.deepEqual(state.events.map((e) => e.event), ['failed', 'delivered']);
      assert.deepEqual((await stateOf(vox, sent.id)).events.map((e) => e.event), ['delivered', 'sent']);
    });

    test('a callback that arrives before Vox has written the sent record is kept and applied once it is', async () => {
      let early: Response | undefined;
      relay.beforeAnswer = async (body) => {
        relay.beforeAnswer = undefined;
        const sid = (JSON.parse(body) as { sid: string }).sid;
        const [message] = await vox.messages.list({ limit: 1 });
        assert.deepEqual([message?.status, message?.providerMessageId], ['sending', null], 'Vox has not recorded the send yet');
        early = await report({ MessageStatus: 'delivered' }, { message: { id: message?.id as number, sid } });
      };
      const second = await notify(44);
      assert.deepEqual(await early?.json(), { recorded: 1, duplicates: 0, orphans: 1 });
      await waitFor(async () => (await vox.messages.get(second.id))?.status === 'delivered', { what: 'the early report to be applied' });
      assert.deepEqual((await stateOf(vox, second.id)).events, [{ event: 'delivered', code: null, recipient: phone }]);
    });

    test('a report of a SID Vox does not know is an orphan, answered 200, and changes no message', async () => {
      assert.deepEqual(await ok(await report({ MessageStatus: 'failed', ErrorCode: '30006' }, { message: { id: sent.id, sid: `SM${'0'.repeat(32)}` } })), { recorded: 1, duplicates: 0, orphans: 1 });
      assert.deepEqual(await stateOf(vox, sent.id), { status: 'sent', error: null, errorCode: null, permanent: false, events: [] });
    });

    test('a body over the limit gets 413 and nothing is written', async () => {
      const response = await report({ MessageStatus: 'delivered', Body: 'x'.repeat(5000) });
      assert.equal(response.status, 413);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'VOX_BODY_TOO_LARGE');
      assert.deepEqual((await stateOf(vox, sent.id)).events, []);
    });

    test('twilioStatusCallback, the handler alone at any path, does the same', async () => {
      const callback = twilioStatusCallback(vox, { authToken: peer.authToken, url: callbackUrl });
      await ok(await report({ MessageStatus: 'delivered' }, { handler: callback }));
      assert.equal((await stateOf(vox, sent.id)).status, 'delivered');
    });
  });
}
