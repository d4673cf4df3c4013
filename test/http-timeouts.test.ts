/**
 * Every HTTP backend gives up on a server that accepts the connection and never answers, after its
 * `timeoutMs`, with a transient failure (so that the message is retried): docs/backends.md. A
 * refused connection is transient too, with the code ECONNREFUSED.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DeliveryError, type Backend, type OutboundMessage, type RenderedTemplate } from '../src/index.ts';
import { postmarkTemplate } from '../src/backends/postmark.ts';
import { slackWebhook } from '../src/backends/slack.ts';
import { twilio } from '../src/backends/twilio.ts';
import { twitter } from '../src/backends/twitter.ts';
import { jsonWebhook } from '../src/backends/webhook.ts';
import { startSilentServer, type SilentServer } from './support/silent-server.ts';
import { startXApi, type XApiServer } from './support/x-api.ts';

const TIMEOUT_MS = 300;

describe('an HTTP peer that accepts and stays silent', () => {
  let silent: SilentServer;
  let x: XApiServer;
  before(async () => {
    silent = await startSilentServer();
    x = await startXApi();
  });
  after(async () => {
    await silent.close();
    await x.close();
  });

  const cases: { name: string; backend: () => Backend; address: () => string; rendered: RenderedTemplate; code?: string }[] = [
    {
      name: 'twilio',
      backend: () => twilio({ accountSid: `AC${'0'.repeat(32)}`, authToken: 'token', from: '+14155552345', baseUrl: `http://127.0.0.1:${silent.port}`, timeoutMs: TIMEOUT_MS }),
      address: () => '+14155550100',
      rendered: { subject: '', parts: { text: 'Your order shipped' } },
      code: 'ETIMEDOUT',
    },
    {
      name: 'postmark',
      backend: () => postmarkTemplate({ token: 'token', from: 'blog@example.org', baseUrl: `http://127.0.0.1:${silent.port}`, timeoutMs: TIMEOUT_MS }),
      address: () => 'ann@example.org',
      rendered: { subject: 'welcome', parts: { fields: 'name: Ann' } },
      code: 'ETIMEDOUT',
    },
    {
      name: 'slack',
      backend: () => slackWebhook({ allowHosts: ['127.0.0.1'], timeoutMs: TIMEOUT_MS }),
      address: () => `http://127.0.0.1:${silent.port}/services/T000/B000/XXXX`,
      rendered: { subject: '', parts: { slack: 'A *new* post' } },
      code: 'ETIMEDOUT',
    },
    {
      name: 'json webhook',
      backend: () => jsonWebhook({ allowHosts: ['127.0.0.1'], timeoutMs: TIMEOUT_MS }),
      address: () => `http://127.0.0.1:${silent.port}/hook`,
      rendered: { subject: '', parts: { fields: 'title: Hello' } },
      code: 'ETIMEDOUT',
    },
    {
      // X's client speaks HTTPS: the silent server never finishes the handshake.
      name: 'twitter',
      backend: () => twitter({ ...x.credentials, apiBaseUrl: `https://127.0.0.1:${silent.port}/2/`, httpAgent: x.agent, timeoutMs: TIMEOUT_MS }),
      address: () => '',
      rendered: { subject: '', parts: { text: 'Spring is here' } },
    },
  ];

  let ids = 0;
  for (const c of cases) {
    test(`${c.name}: a transient failure after timeoutMs, not after the 15 s default`, async () => {
      const backend = c.backend();
      const message: OutboundMessage = { id: ++ids, idempotencyKey: `timeout:${ids}`, from: undefined, to: [{ name: 'Ann', protocol: backend.protocol, address: c.address() }], payload: backend.compose(c.rendered) };
      const connectionsBefore = silent.connections();
      const started = Date.now();
      await assert.rejects(backend.send(message), (error: unknown) => {
        assert.ok(error instanceof DeliveryError, String(error));
        assert.equal(error.permanent, false, error.message);
        assert.equal(error.code, 'VOX_DELIVERY');
        if (c.code) assert.equal(error.providerCode, c.code, error.message);
        return true;
      });
      const elapsed = Date.now() - started;
      assert.ok(silent.connections() > connectionsBefore, 'the server accepted the connection: a hang, not a refusal');
      assert.ok(elapsed >= TIMEOUT_MS - 20, `gave up after ${elapsed} ms, before timeoutMs`);
      assert.ok(elapsed < 5_000, `gave up after ${elapsed} ms: timeoutMs was not applied`);
    });
  }
});

describe('an HTTP peer that refuses the connection', () => {
  test('is a transient failure with the code ECONNREFUSED', async () => {
    const closed = await startSilentServer();
    const port = closed.port;
    await closed.close();
    const backend = jsonWebhook({ allowHosts: ['127.0.0.1'], timeoutMs: TIMEOUT_MS });
    const message: OutboundMessage = { id: 1, idempotencyKey: 'refused:1', from: undefined, to: [{ name: 'Hook', protocol: backend.protocol, address: `http://127.0.0.1:${port}/hook` }], payload: backend.compose({ subject: '', parts: { fields: 'a: b' } }) };
    await assert.rejects(backend.send(message), (error: unknown) => {
      assert.ok(error instanceof DeliveryError, String(error));
      assert.deepEqual([error.permanent, error.providerCode], [false, 'ECONNREFUSED']);
      return true;
    });
  });
});
