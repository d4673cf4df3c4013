import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { DeliveryError } from '../vocabulary/errors.ts';
import { testBackendContract } from '../testing/backend-contract.ts';
import { startXApi, type XApiServer } from '../../test/support/x-api.ts';
import type { OutboundMessage } from '../vocabulary/payload.ts';
import { twitter } from './twitter.ts';

const backendFor = (x: XApiServer, timeoutMs?: number) => twitter({ ...x.credentials, apiBaseUrl: x.apiBaseUrl, httpAgent: x.agent, ...(timeoutMs ? { timeoutMs } : {}) });

testBackendContract('twitter', async () => {
  const x = await startXApi();
  return {
    backend: backendFor(x),
    address: 'vox_reader',
    rendered: { subject: '', parts: { text: 'A new article is up' } },
    providerIds: true,
    invalidAddresses: ['@vox_reader', 'vox reader', 'a_handle_longer_than_15'],
    failNext: (kind) => x.failNext(kind === 'permanent' ? { status: 403, title: 'Forbidden', detail: 'You are not permitted to send a DM to this user.' } : { status: 503, title: 'Service Unavailable', detail: 'Service Unavailable' }),
    delivered: () => x.delivered.length,
    async close() {
      await x.close();
      assert.deepEqual(x.violations, [], 'every request was signed and shaped as the X API wants');
    },
  };
});

describe('twitter', () => {
  let x: XApiServer;
  before(async () => {
    x = await startXApi();
  });
  afterEach(() => {
    assert.deepEqual(x.violations, []);
    x.delivered.splice(0);
    x.lookups.splice(0);
  });
  after(async () => {
    await x.close();
  });
  let ids = 0;
  const message = (address: string, text: string): OutboundMessage => ({ id: ++ids, idempotencyKey: `x${ids}`, from: undefined, to: [{ name: 'X', protocol: 'twitter', address }], payload: { text } });

  test('a blank address posts a status update (the original never did)', async () => {
    const result = await backendFor(x).send(message('', 'Spring is here'));
    assert.deepEqual(x.delivered, [{ kind: 'post', id: result.providerMessageId, text: 'Spring is here' }]);
    assert.deepEqual(x.lookups, []);
  });

  test('a handle gets a direct message; its user id is looked up once', async () => {
    const backend = backendFor(x);
    await backend.send(message('vox_reader', 'first'));
    await backend.send(message('Vox_Reader', 'second'));
    assert.deepEqual(x.delivered.map((d) => [d.kind, d.participantId, d.text]), [
      ['dm', '2244994945', 'first'],
      ['dm', '2244994945', 'second'],
    ]);
    assert.deepEqual(x.lookups, ['vox_reader']);
  });

  test('a handle nobody has is a permanent failure', async () => {
    await assert.rejects(backendFor(x).send(message('nobody_here', 'hi')), (error: unknown) => error instanceof DeliveryError && error.permanent && /no X account @nobody_here/.test(error.message));
  });

  test('X’s errors keep their status and detail; 429 is transient', async () => {
    x.failNext({ status: 429, title: 'Too Many Requests', detail: 'Too Many Requests' }, { status: 403, title: 'Forbidden', detail: 'You are not allowed to create a Tweet with duplicate content.' });
    await assert.rejects(backendFor(x).send(message('', 'again')), (error: unknown) => error instanceof DeliveryError && !error.permanent && error.statusCode === 429);
    await assert.rejects(backendFor(x).send(message('', 'again')), (error: unknown) => error instanceof DeliveryError && error.permanent && error.statusCode === 403 && error.message === 'X: You are not allowed to create a Tweet with duplicate content.');
  });

  test('requests are signed with OAuth 1.0a: a wrong secret is refused by the server and is permanent', async () => {
    const wrong = twitter({ ...x.credentials, consumerSecret: 'not-the-secret', apiBaseUrl: x.apiBaseUrl, httpAgent: x.agent });
    await assert.rejects(wrong.send(message('', 'hi')), (error: unknown) => error instanceof DeliveryError && error.permanent && error.statusCode === 401);
    assert.deepEqual(x.violations.splice(0), ['POST /2/tweets: the OAuth signature does not verify']);
    assert.deepEqual(x.delivered, []);
  });

  test('an X that refuses connections is a transient failure (test/http-timeouts.test.ts has one that accepts and stays silent)', async () => {
    const backend = twitter({ ...x.credentials, apiBaseUrl: 'https://127.0.0.1:1/2/', httpAgent: x.agent });
    await assert.rejects(backend.send(message('', 'hi')), (error: unknown) => error instanceof DeliveryError && !error.permanent);
  });
});
