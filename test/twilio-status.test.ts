/**
 * Twilio's status callbacks, seen where a user sees them: the message's row in the log. A report
 * of a failed or undelivered SMS fails the row with Twilio's code; anything else, a report for
 * another SID, or a request without Twilio's signature leaves the row as it was (docs/backends.md).
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { contact, createVox, type MessageRecord, type Vox } from '../src/index.ts';
import { twilio, twilioStatusCallback } from '../src/backends/twilio.ts';
import { startTwilioContract, type TwilioContractServer } from './support/twilio-contract.ts';

const callbackUrl = 'https://shop.example.org/twilio/status';

describe('twilio status callbacks and the message log', () => {
  let peer: TwilioContractServer;
  let vox: Vox;
  let sent: MessageRecord;
  before(async () => {
    peer = await startTwilioContract();
  });
  after(async () => {
    await peer.close();
    assert.deepEqual(peer.violations, []);
  });
  beforeEach(async () => {
    await vox?.close();
    vox = createVox({
      database: { dialect: 'sqlite', path: ':memory:' },
      backends: [twilio({ accountSid: peer.accountSid, authToken: peer.authToken, from: '+14155552345', baseUrl: peer.baseUrl, statusCallback: callbackUrl })],
    });
    const Customer = vox.model('shop.customer', { id: (c: { id: number; phone: string }) => c.id, contacts: { sms: (c) => [contact('Ann', 'sms', c.phone)] } });
    const Order = vox.model('shop.order', {
      id: (o: { id: number }) => o.id,
      notifications: { shipped: 'An order was shipped' },
      channels: { customer: { recipients: Customer, resolve: () => [{ id: 1, phone: '+14155550100' }] } },
    });
    await vox.migrate();
    await vox.sync();
    await vox.templates.save({ notification: 'shop.order.shipped', backend: 'twilio', recipients: ['c:customer'], content: 'Order {{ object.id }} is on its way.' });
    assert.equal((await (await Order.notify({ id: 42 }, 'shipped')).settled()).sent, 1);
    [sent] = (await vox.messages.list()) as [MessageRecord];
    assert.deepEqual([sent.status, peer.received.at(-1)?.form.get('StatusCallback')], ['sent', `${callbackUrl}?vox_message=${sent.id}`]);
  });
  after(async () => {
    await vox?.close();
  });

  /** Posts a status report for the message as Twilio would, signed with the auth token unless told otherwise. */
  const report = async (fields: Record<string, string>, options: { signature?: string; messageId?: number } = {}) => {
    const called = `${callbackUrl}?vox_message=${options.messageId ?? sent.id}`;
    const params = new URLSearchParams({ MessageSid: sent.providerMessageId ?? '', AccountSid: peer.accountSid, ...fields });
    const signature = options.signature ?? createHmac('sha1', peer.authToken).update(called + [...params.keys()].sort().map((k) => k + params.get(k)).join('')).digest('base64');
    const callback = twilioStatusCallback(vox, { authToken: peer.authToken, url: callbackUrl });
    return callback.fetch(new Request(called, { method: 'POST', headers: { 'X-Twilio-Signature': signature, 'Content-Type': 'application/x-www-form-urlencoded' }, body: params.toString() }));
  };
  const row = async () => {
    const current = await vox.messages.get(sent.id);
    return current && { status: current.status, error: current.error, errorCode: current.errorCode, permanent: current.permanent };
  };
  const untouched = { status: 'sent', error: null, errorCode: null, permanent: false };

  test('failed (30006) fails the row for good, with Twilio’s code', async () => {
    assert.equal((await report({ MessageStatus: 'failed', ErrorCode: '30006' })).status, 204);
    assert.deepEqual(await row(), { status: 'failed', error: 'Twilio reports the message failed (error 30006)', errorCode: '30006', permanent: true });
  });

  test('undelivered (30003, an unreachable handset) fails the row as transient, so that a resend may help', async () => {
    assert.equal((await report({ MessageStatus: 'undelivered', ErrorCode: '30003' })).status, 204);
    assert.deepEqual(await row(), { status: 'failed', error: 'Twilio reports the message undelivered (error 30003)', errorCode: '30003', permanent: false });
  });

  test('queued, sent and delivered change nothing', async () => {
    for (const status of ['queued', 'sent', 'delivered']) assert.equal((await report({ MessageStatus: status })).status, 204);
    assert.deepEqual(await row(), untouched);
  });

  test('a report whose SID is not the message’s changes nothing', async () => {
    assert.equal((await report({ MessageStatus: 'failed', ErrorCode: '30006', MessageSid: `SM${'0'.repeat(32)}` })).status, 204);
    assert.deepEqual(await row(), untouched);
  });

  test('a wrong or missing signature is refused with 403 and changes nothing', async () => {
    assert.equal((await report({ MessageStatus: 'failed', ErrorCode: '30006' }, { signature: 'bm90IHR3aWxpbw==' })).status, 403);
    assert.equal((await report({ MessageStatus: 'failed', ErrorCode: '30006' }, { signature: '' })).status, 403);
    assert.deepEqual(await row(), untouched);
  });
});
