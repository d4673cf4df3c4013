import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { DeliveryError } from '../vocabulary/errors.ts';
import { testBackendContract } from '../testing/backend-contract.ts';
import { startPostmark, type PostmarkPeer } from '../../test/support/postmark.ts';
import type { OutboundMessage } from '../vocabulary/payload.ts';
import { postmarkTemplate } from './postmark.ts';

testBackendContract('postmark-template', async () => {
  const peer = await startPostmark();
  return {
    backend: postmarkTemplate({ token: peer.token, from: 'blog@example.org', baseUrl: peer.baseUrl }),
    address: 'ann@example.org',
    rendered: { subject: 'welcome', parts: { fields: 'name: Ann\ntitle: First post' } },
    providerIds: true,
    invalidAddresses: ['ann', 'Ann <ann@example.org>'],
    failNext(kind) {
      if (kind === 'permanent') peer.inactive.add('ann@example.org');
      else peer.http.replyNext({ status: 500, body: JSON.stringify({ ErrorCode: 0, Message: 'Internal server error' }) });
    },
    delivered: () => peer.emails.length,
    async close() {
      await peer.close();
      assert.deepEqual(peer.violations, []);
    },
  };
});

describe('postmark-template', () => {
  let peer: PostmarkPeer;
  before(async () => {
    peer = await startPostmark();
  });
  afterEach(() => {
    assert.deepEqual(peer.violations, []);
    peer.emails.splice(0);
    peer.inactive.clear();
  });
  after(async () => {
    await peer.close();
  });
  const backend = () => postmarkTemplate({ token: peer.token, from: 'Blog <blog@example.org>', baseUrl: peer.baseUrl, messageStream: 'broadcast' });
  let ids = 0;
  const message = (addresses: readonly string[], fields: string, alias = 'article-published'): OutboundMessage => ({
    id: ++ids,
    idempotencyKey: `p${ids}`,
    from: undefined,
    to: addresses.map((address) => ({ name: address.split('@')[0] as string, protocol: 'email', address })),
    payload: backend().compose({ subject: alias, parts: { fields } }),
  });

  test('the subject is the template alias and the content lines are the template model', async () => {
    const result = await backend().send(message(['ann@example.org'], 'title: Spring\\nnews\nurl: https://blog.example.org/spring\n\nauthor: Bob'));
    const [email] = peer.emails;
    assert.equal(email?.TemplateAlias, 'article-published');
    assert.deepEqual(email?.TemplateModel, { title: 'Spring\nnews', url: 'https://blog.example.org/spring', author: 'Bob' });
    assert.equal(email?.To, '"ann" <ann@example.org>');
    assert.equal(email?.From, 'Blog <blog@example.org>');
    assert.deepEqual(email?.Headers, [{ Name: 'X-Vox-Message-Key', Value: `p${ids}` }]);
    assert.equal(result.providerMessageId, email?.MessageID);
  });

  test('a bulk message is one batch request; an inactive recipient is rejected with Postmark’s code while the rest are sent', async () => {
    peer.inactive.add('bob@example.org');
    const result = await backend().send(message(['ann@example.org', 'bob@example.org', 'cy@example.org'], 'title: Spring'));
    assert.deepEqual(peer.emails.map((e) => e.To), ['"ann" <ann@example.org>', '"cy" <cy@example.org>']);
    assert.equal(peer.http.requests.at(-1)?.path, '/email/batchWithTemplates');
    const [rejected] = result.rejected ?? [];
    assert.equal(rejected?.address, 'bob@example.org');
    assert.ok(rejected?.error instanceof DeliveryError);
    assert.equal(rejected.error.providerCode, '406');
    assert.equal(rejected.error.permanent, true);
    assert.match(rejected.error.message, /^Postmark error 406: You tried to send to recipient\(s\) that have been marked as inactive/);
  });

  test('an unknown template alias fails with Postmark’s error code and message', async () => {
    await assert.rejects(backend().send(message(['ann@example.org'], 'title: x', 'no-such-template')), (error: unknown) => {
      assert.ok(error instanceof DeliveryError);
      assert.equal(error.permanent, true);
      assert.equal(error.statusCode, 422);
      assert.equal(error.providerCode, '1101');
      assert.match(error.message, /Postmark error 1101: The Template's 'Alias'/);
      return true;
    });
  });

  test('a wrong token is permanent (401, error 10)', async () => {
    const wrong = postmarkTemplate({ token: 'wrong', from: 'blog@example.org', baseUrl: peer.baseUrl });
    await assert.rejects(wrong.send(message(['ann@example.org'], 'a: b')), (error: unknown) => error instanceof DeliveryError && error.permanent && error.statusCode === 401 && error.providerCode === '10');
  });

  test('an empty subject cannot be composed: it is the template alias', () => {
    assert.throws(() => backend().compose({ subject: ' ', parts: { fields: 'a: b' } }), /template alias/);
  });

  test('attachments are sent as Postmark attachments', async () => {
    const base = message(['ann@example.org'], 'title: x');
    await backend().send({ ...base, payload: { ...base.payload, attachments: [{ filename: 'ann.vcf', contentType: 'text/vcard', contentBase64: Buffer.from('BEGIN:VCARD').toString('base64') }] } });
    assert.deepEqual(peer.emails[0]?.Attachments, [{ Name: 'ann.vcf', Content: Buffer.from('BEGIN:VCARD').toString('base64'), ContentType: 'text/vcard' }]);
  });

  test("a message's unsubscribe links become one-click List-Unsubscribe headers (RFC 8058)", async () => {
    const base = message(['ann@example.org'], 'title: x');
    const url = 'https://blog.example.org/notifications/unsubscribe/abc.def';
    await backend().send({ ...base, payload: { ...base.payload, unsubscribe: { url, mailto: 'mailto:unsubscribe@blog.example.org?subject=unsubscribe%20abc.def' } } });
    assert.deepEqual(peer.emails[0]?.Headers, [
      { Name: 'X-Vox-Message-Key', Value: base.idempotencyKey },
      { Name: 'List-Unsubscribe', Value: `<${url}>, <mailto:unsubscribe@blog.example.org?subject=unsubscribe%20abc.def>` },
      { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
    ]);
  });
});
