import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { DeliveryError } from '../vocabulary/errors.ts';
import { testBackendContract } from '../testing/backend-contract.ts';
import { startHttpPeer, type HttpPeer } from '../../test/support/http-peer.ts';
import type { OutboundMessage } from '../vocabulary/payload.ts';
import { jsonWebhook, verifyWebhookSignature } from './webhook.ts';

testBackendContract('json-webhook', async () => {
  const peer = await startHttpPeer();
  return {
    backend: jsonWebhook({ allowHosts: ['127.0.0.1'] }),
    address: peer.url('/hook'),
    rendered: { subject: '', parts: { fields: 'parameter_one: 1\nparameter_two: Hello World' } },
    providerIds: false,
    invalidAddresses: ['hooks.example.org/x', 'ftp://127.0.0.1/hook', 'https://user:pw@example.org/'],
    failNext: (kind) => peer.replyNext(kind === 'permanent' ? { status: 404, body: 'no such hook' } : { status: 503, body: 'busy' }),
    delivered: () => peer.accepted.length,
    close: () => peer.close(),
  };
});

describe('json-webhook', () => {
  let peer: HttpPeer;
  before(async () => {
    peer = await startHttpPeer();
  });
  afterEach(() => {
    peer.requests.splice(0);
    peer.accepted.splice(0);
  });
  after(async () => {
    await peer.close();
  });
  let ids = 0;
  const secret = 'a-secret-of-twenty-chars';
  const webhook = jsonWebhook({ allowHosts: ['127.0.0.1'], secret });
  const message = (addresses: readonly string[], fields: string): OutboundMessage => ({
    id: ++ids,
    idempotencyKey: `w${ids}`,
    from: undefined,
    to: addresses.map((address) => ({ name: 'Zapier', protocol: 'json-webhook', address })),
    payload: webhook.compose({ subject: '', parts: { fields } }),
  });

  test('posts the content lines as a JSON object, signed so the receiver can check it', async () => {
    await webhook.send(message([peer.url('/zap')], 'parameter_one: 42\nparameter_two: Hello World'));
    const [request] = peer.requests;
    assert.equal(request?.path, '/zap');
    assert.equal(request?.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(request?.body ?? ''), { parameter_one: '42', parameter_two: 'Hello World' });
    assert.equal(request?.headers['idempotency-key'], `w${ids}`);
    const timestamp = request?.headers['x-vox-timestamp'] as string;
    assert.equal(verifyWebhookSignature(secret, request?.body ?? '', timestamp, request?.headers['x-vox-signature'] as string), true);
    assert.equal(verifyWebhookSignature('another-secret-of-20-chars', request?.body ?? '', timestamp, request?.headers['x-vox-signature'] as string), false);
    assert.equal(verifyWebhookSignature(secret, `${request?.body} `, timestamp, request?.headers['x-vox-signature'] as string), false);
    assert.equal(verifyWebhookSignature(secret, request?.body ?? '', timestamp, request?.headers['x-vox-signature'] as string, { now: (Number(timestamp) + 3600) * 1000 }), false);
  });

  test('every receiver’s reply is checked: a failing one is reported though a later one succeeds', async () => {
    // The original looked only at the last response, so this message would have counted as sent.
    peer.replyNext({ status: 500, body: 'down' }, { status: 200, body: 'ok' });
    const result = await webhook.send(message([peer.url('/first'), peer.url('/second')], 'a: b'));
    assert.equal(peer.requests.length, 2);
    assert.deepEqual(result.rejected?.map((r) => r.address), [peer.url('/first')]);
    assert.equal((result.rejected?.[0]?.error as DeliveryError).statusCode, 500);
    assert.equal((result.rejected?.[0]?.error as DeliveryError).permanent, false);
  });

  test('a receiver’s long error reply is kept on the failure, cut to 2,000 characters', async () => {
    peer.replyNext({ status: 503, body: `${'y'.repeat(4990)}THE END` });
    await assert.rejects(webhook.send(message([peer.url('/long')], 'a: b')), (error: unknown) => {
      assert.ok(error instanceof DeliveryError);
      assert.equal(error.statusCode, 503);
      assert.equal(error.responseBody, 'y'.repeat(2000));
      return true;
    });
  });

  test('a redirect is not followed: it is a permanent failure naming where it pointed', async () => {
    peer.replyNext({ status: 302, headers: { Location: 'http://169.254.169.254/latest/meta-data/' } });
    await assert.rejects(webhook.send(message([peer.url('/moved')], 'a: b')), (error: unknown) => error instanceof DeliveryError && error.permanent && /redirected to http:\/\/169\.254\.169\.254/.test(error.message));
    assert.equal(peer.requests.length, 1);
  });

  test('a line that is not key: value fails to compose, naming the line', () => {
    assert.throws(() => webhook.compose({ subject: '', parts: { fields: 'a: b\njust text' } }), /content line 2 is not `key: value`/);
  });

  test('a short secret is refused at start-up', () => {
    assert.throws(() => jsonWebhook({ secret: 'short' }), /at least 16 characters/);
  });
});
