import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { DeliveryError } from '../vocabulary/errors.ts';
import { Renderer } from '../render/renderer.ts';
import { testBackendContract } from '../testing/backend-contract.ts';
import { startHttpPeer, type HttpPeer } from '../../test/support/http-peer.ts';
import type { Backend } from '../vocabulary/backend.ts';
import type { OutboundMessage, RenderedTemplate } from '../vocabulary/payload.ts';
import { slackWebhook } from './slack.ts';

for (const blocks of [false, true]) {
  testBackendContract(`slack-webhook${blocks ? ' (Block Kit)' : ''}`, async () => {
    const peer = await startHttpPeer();
    return {
      backend: slackWebhook({ allowHosts: ['127.0.0.1'], blocks }),
      address: peer.url('/services/T000/B000/XXXX'),
      rendered: (blocks ? { subject: '', parts: { 'slack-blocks': '{"text": "New post", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*New post*"}}]}' } } : { subject: '', parts: { slack: 'A *new* post' } }) as RenderedTemplate,
      providerIds: false,
      invalidAddresses: ['hooks.slack.com/services/T000', 'mailto:ann@example.org'],
      failNext: (kind) => peer.replyNext(kind === 'permanent' ? { status: 404, body: 'channel_not_found' } : { status: 429, body: 'rate_limited' }),
      delivered: () => peer.accepted.length,
      close: () => peer.close(),
    };
  });
}

describe('slack-webhook', () => {
  let peer: HttpPeer;
  const renderer = new Renderer();
  before(async () => {
    peer = await startHttpPeer();
  });
  afterEach(() => {
    peer.requests.splice(0);
  });
  after(async () => {
    await peer.close();
  });
  let ids = 0;
  const post = async (backend: Backend, content: string, variables: Record<string, unknown>): Promise<unknown> => {
    const parts = await renderer.renderContent(content, backend.format, variables);
    const message: OutboundMessage = { id: ++ids, idempotencyKey: `s${ids}`, from: undefined, to: [{ name: '#news', protocol: 'slack-webhook', address: peer.url('/services/T/B/X') }], payload: backend.compose({ subject: '', parts }) };
    await backend.send(message);
    return JSON.parse(peer.requests.at(-1)?.body ?? 'null');
  };

  test('plain text: variables cannot mention @channel or hide a link; the template’s own link stays', async () => {
    const body = await post(slackWebhook({ allowHosts: ['127.0.0.1'] }), '<https://blog.example.org|New>: {{ title }}', { title: '<!channel> & <https://evil.example|click>' });
    assert.deepEqual(body, { text: '<https://blog.example.org|New>: &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;' });
  });

  test('Block Kit: a variable stays inside its JSON string', async () => {
    const template = '{"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*{{ title }}*"}}]}';
    const body = await post(slackWebhook({ allowHosts: ['127.0.0.1'], blocks: true }), template, { title: 'Quote " and \\ and <!here>"}]}' });
    assert.deepEqual(body, { blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*Quote " and \\ and &lt;!here&gt;"}]}*' } }] });
  });

  test('Block Kit content that is not JSON fails to compose', () => {
    assert.throws(() => slackWebhook({ blocks: true }).compose({ subject: '', parts: { 'slack-blocks': '{"blocks": [' } }), /not JSON/);
  });

  test('Slack’s one-word errors become the provider code', async () => {
    peer.replyNext({ status: 410, body: 'channel_is_archived' });
    await assert.rejects(post(slackWebhook({ allowHosts: ['127.0.0.1'] }), 'hi', {}), (error: unknown) => error instanceof DeliveryError && error.permanent && error.providerCode === 'channel_is_archived' && error.message === 'HTTP 410: Slack: channel_is_archived');
  });
});
