import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { DeliveryError } from '../vocabulary/errors.ts';
import { testBackendContract } from '../testing/backend-contract.ts';
import { startTwilioContract, type TwilioContractServer } from '../../test/support/twilio-contract.ts';
import type { OutboundMessage } from '../vocabulary/payload.ts';
import { twilio, validTwilioSignature } from './twilio.ts';

let ids = 0;
const sms = (to: string, text = 'Your order shipped', from?: string): OutboundMessage => ({
  id: ++ids,
  idempotencyKey: `t${ids}`,
  from,
  to: [{ name: 'Ann', protocol: 'sms', address: to }],
  payload: { text },
});

testBackendContract('twilio', async () => {
  const peer = await startTwilioContract();
  return {
    backend: twilio({ accountSid: peer.accountSid, authToken: peer.authToken, from: '+14155552345', baseUrl: peer.baseUrl }),
    address: '+14155550100',
    rendered: { subject: '', parts: { text: '  Hello from the contract suite  ' } },
    providerIds: true,
    invalidAddresses: ['4155550100', '+0155550100', '+1 415 555 0100', '+1234567890123456'],
    failNext: (kind) => peer.failNext(kind === 'permanent' ? { status: 400, code: 21211, message: "The 'To' number +14155550100 is not a valid phone number." } : { status: 429, code: 20429, message: 'Too Many Requests' }),
    delivered: () => peer.received.length,
    async close() {
      await peer.close();
      assert.deepEqual(peer.violations, [], 'every request met the OpenAPI contract');
    },
  };
});

describe('twilio against the OpenAPI contract', () => {
  let peer: TwilioContractServer;
  before(async () => {
    peer = await startTwilioContract();
  });
  afterEach(() => {
    peer.received.splice(0);
    peer.violations.splice(0);
  });
  after(async () => {
    await peer.close();
  });
  const backend = (options: Partial<Parameters<typeof twilio>[0]> = {}) => twilio({ accountSid: peer.accountSid, authToken: peer.authToken, baseUrl: peer.baseUrl, ...options });

  test('sends To, From and Body as the contract names them; the template’s from number wins over the option', async () => {
    const result = await backend({ from: '+14155552345' }).send(sms('+14155550100', 'Hi Ann', '+14155559999'));
    assert.deepEqual(peer.violations, []);
    const form = peer.received[0]?.form;
    assert.equal(form?.get('To'), '+14155550100');
    assert.equal(form?.get('From'), '+14155559999');
    assert.equal(form?.get('Body'), 'Hi Ann');
    assert.match(result.providerMessageId ?? '', /^SM[0-9a-f]{32}$/);
  });

  test('a Messaging Service stands in for a from number, and a status callback URL is sent when configured', async () => {
    const message = sms('+14155550100');
    await backend({ messagingServiceSid: `MG${'b'.repeat(32)}`, statusCallback: 'https://example.org/twilio/status' }).send(message);
    assert.deepEqual(peer.violations, []);
    assert.equal(peer.received[0]?.form.get('MessagingServiceSid'), `MG${'b'.repeat(32)}`);
    assert.equal(peer.received[0]?.form.get('StatusCallback'), `https://example.org/twilio/status?vox_message=${message.id}`);
    assert.equal(peer.received[0]?.form.has('From'), false);
  });

  test('the contract check fails a request with a field the spec does not know', async () => {
    // Proves the server is a real check: a request Vox would never make is caught.
    const response = await fetch(`${peer.baseUrl}/2010-04-01/Accounts/${peer.accountSid}/Messages.json`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`${peer.accountSid}:${peer.authToken}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ To: '+14155550100', From: '+14155552345', Body: 'x', Priority: 'high', RiskCheck: 'maybe' }).toString(),
    });
    assert.equal(response.status, 400);
    assert.deepEqual(peer.violations.sort(), ['form field Priority is not in the contract', 'form field RiskCheck "maybe" is not one of enable, disable']);
  });

  test('no from number and no Messaging Service is a permanent failure, before calling Twilio', async () => {
    await assert.rejects(backend().send(sms('+14155550100')), (error: unknown) => error instanceof DeliveryError && error.permanent && error.providerCode === 'ENOFROM');
    assert.equal(peer.received.length, 0);
  });

  for (const [code, status, permanent] of [
    [21211, 400, true],
    [21610, 400, true],
    [21408, 400, true],
    [20003, 401, true],
    [20429, 429, false],
    [20500, 500, false],
    [30001, 400, false],
  ] as const) {
    test(`Twilio error ${code} (HTTP ${status}) is ${permanent ? 'permanent' : 'transient'}, with its code`, async () => {
      peer.failNext({ status, code, message: `error ${code}` });
      await assert.rejects(backend({ from: '+14155552345' }).send(sms('+14155550100')), (error: unknown) => {
        assert.ok(error instanceof DeliveryError);
        assert.equal(error.permanent, permanent);
        assert.equal(error.statusCode, status);
        assert.equal(error.providerCode, String(code));
        assert.match(error.message, new RegExp(`Twilio error ${code}: error ${code}`));
        return true;
      });
    });
  }

  test('a Twilio that does not answer in time is a transient failure', async () => {
    const { createServer } = await import('node:http');
    const silent = createServer(() => {});
    await new Promise<void>((ready) => silent.listen(0, '127.0.0.1', ready));
    const { port } = silent.address() as { port: number };
    try {
      await assert.rejects(backend({ from: '+14155552345', baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 200 }).send(sms('+14155550100')), (error: unknown) => error instanceof DeliveryError && !error.permanent && error.providerCode === 'ETIMEDOUT');
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});

// What a status report does to the message log is tested end to end in test/twilio-status.test.ts.
describe('twilio status callback', () => {
  test('checks the signature as Twilio computes it', () => {
    // A voice request Twilio signed, from the test suite of Twilio's own Ruby library.
    const params = new URLSearchParams({ ToState: 'California', CalledState: 'California', Direction: 'inbound', FromState: 'CA', AccountSid: 'ACba8bc05eacf94afdae398e642c9cc32d', Caller: '+14153595711', CallerZip: '94108', CallerCountry: 'US', From: '+14153595711', FromCity: 'SAN FRANCISCO', CallerCity: 'SAN FRANCISCO', To: '+14157669926', FromZip: '94108', FromCountry: 'US', ToCity: '', CallStatus: 'ringing', CalledCity: '', CallerState: 'CA', CalledZip: '', ToZip: '', ToCountry: 'US', CallSid: 'CA136d09cd59a3c0ec8dbff44da5c03f31', CalledCountry: 'US', Called: '+14157669926', ApiVersion: '2010-04-01', ApplicationSid: 'AP44efecad51364e80b133bb7c07eb8204' });
    const url = 'http://twiliotests.heroku.com/validate/voice';
    assert.equal(validTwilioSignature('2bd9e9638872de601313dc77410d3b23', url, params, 'oVb2kXoVy8GEfwBDjR8bk/ZZ6eA='), true);
    assert.equal(validTwilioSignature('2bd9e9638872de601313dc77410d3b24', url, params, 'oVb2kXoVy8GEfwBDjR8bk/ZZ6eA='), false);
    params.set('CallStatus', 'completed');
    assert.equal(validTwilioSignature('2bd9e9638872de601313dc77410d3b23', url, params, 'oVb2kXoVy8GEfwBDjR8bk/ZZ6eA='), false);
  });
});
