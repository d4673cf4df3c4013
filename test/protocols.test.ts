/**
 * End to end, for each backend of the seed's chapter 2: createVox → template → notify → worker →
 * the peer received it, and the message log shows what a user would see.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import { contact, createVox, type Backend, type Vox } from '../src/index.ts';
import { postmarkTemplate } from '../src/backends/postmark.ts';
import { slackWebhook } from '../src/backends/slack.ts';
import { twilio, twilioStatusCallback } from '../src/backends/twilio.ts';
import { twitter } from '../src/backends/twitter.ts';
import { jsonWebhook } from '../src/backends/webhook.ts';
import { xmpp } from '../src/backends/xmpp.ts';
import { startHttpPeer, type HttpPeer } from './support/http-peer.ts';
import { startPostmark, type PostmarkPeer } from './support/postmark.ts';
import { startProsody, xmppInbox, xmppSkip, XMPP_DOMAIN, type TestProsody } from './support/prosody.ts';
import { startTwilioContract, type TwilioContractServer } from './support/twilio-contract.ts';
import { startXApi, type XApiServer } from './support/x-api.ts';
import { waitFor } from './support/wait.ts';

interface Customer {
  id: number;
  name: string;
  phone?: string;
  email?: string;
  handle?: string;
  jid?: string;
}
interface Order {
  id: number;
  title: string;
  customer: Customer;
}

/** A Vox with the given backends, an order model whose customer is reachable by every protocol, and quick retries. */
async function shop(backends: readonly Backend[]) {
  const vox = createVox({ database: { dialect: 'sqlite', path: ':memory:' }, backends, retry: { attempts: 2, initialDelayMs: 50, jitter: 0 } });
  const Customer = vox.model('shop.customer', {
    id: (c: Customer) => c.id,
    contacts: {
      sms: (c) => (c.phone ? [contact(c.name, 'sms', c.phone)] : []),
      email: (c) => (c.email ? [contact(c.name, 'email', c.email)] : []),
      twitter: (c) => (c.handle ? [contact(c.name, 'twitter', c.handle)] : []),
      xmpp: (c) => (c.jid ? [contact(c.name, 'xmpp', c.jid)] : []),
    },
  });
  const Order = vox.model('shop.order', {
    id: (o: Order) => o.id,
    notifications: { shipped: 'An order was shipped' },
    channels: { customer: { label: 'Customer', recipients: Customer, resolve: (o) => [o.customer] } },
  });
  await vox.migrate();
  await vox.sync();
  return { vox, Order };
}

const ann: Customer = { id: 1, name: 'Ann', phone: '+14155550100', email: 'ann@example.org', handle: 'vox_reader', jid: `bob@${XMPP_DOMAIN}` };
const order = (customer: Customer = ann): Order => ({ id: 42, title: 'Blue <teapot>', customer });

describe('Twilio SMS end to end', () => {
  let peer: TwilioContractServer;
  let vox: Vox;
  before(async () => {
    peer = await startTwilioContract();
  });
  afterEach(async () => {
    await vox.close();
    assert.deepEqual(peer.violations, []);
  });
  after(async () => {
    await peer.close();
  });

  test('the customer gets the SMS; the log shows it sent with Twilio’s SID, then failed when Twilio reports it undelivered', async () => {
    const callbackUrl = 'https://shop.example.org/twilio/status';
    const backend = twilio({ accountSid: peer.accountSid, authToken: peer.authToken, from: '+14155552345', baseUrl: peer.baseUrl, statusCallback: callbackUrl });
    const app = await shop([backend]);
    vox = app.vox;
    await vox.templates.save({ notification: 'shop.order.shipped', backend: 'twilio', recipients: ['c:customer'], content: 'Hi {{ recipient.name }}, order {{ object.id }} ({{ object.title }}) is on its way.' });
    const result = await (await app.Order.notify(order(), 'shipped')).settled();
    assert.equal(result.sent, 1);
    const form = peer.received[0]?.form;
    assert.equal(form?.get('To'), '+14155550100');
    assert.equal(form?.get('Body'), 'Hi Ann, order 42 (Blue <teapot>) is on its way.');
    const [sent] = await vox.messages.list();
    assert.equal(sent?.status, 'sent');
    // The callback URL names the message (reports are matched by Twilio's SID).
    const calledUrl = `${callbackUrl}?vox_message=${sent?.id}`;
    assert.equal(form?.get('StatusCallback'), calledUrl);
    assert.match(sent?.providerMessageId ?? '', /^SM[0-9a-f]{32}$/);

    // Twilio later reports that the handset was unreachable.
    const params = new URLSearchParams({ MessageSid: sent?.providerMessageId ?? '', MessageStatus: 'undelivered', ErrorCode: '30003', AccountSid: peer.accountSid });
    const signature = createHmac('sha1', peer.authToken).update(calledUrl + [...params.keys()].sort().map((k) => k + params.get(k)).join('')).digest('base64');
    const callback = twilioStatusCallback(vox, { authToken: peer.authToken, url: callbackUrl });
    const response = await callback.fetch(new Request(calledUrl, { method: 'POST', headers: { 'X-Twilio-Signature': signature, 'Content-Type': 'application/x-www-form-urlencoded' }, body: params.toString() }));
    assert.equal(response.status, 200);
    const after = await vox.messages.get(sent?.id ?? 0);
    assert.equal(after?.status, 'failed');
    assert.equal(after?.errorCode, '30003');
    assert.equal(after?.error, 'Twilio reports the message failed (error 30003)');
  });

  test('Twilio’s refusal is in the log, with its code, and is not retried; a malformed site contact number is refused when saved', async () => {
    const app = await shop([twilio({ accountSid: peer.accountSid, authToken: peer.authToken, from: '+14155552345', baseUrl: peer.baseUrl })]);
    vox = app.vox;
    await assert.rejects(vox.siteContacts.save({ name: 'Ops', protocol: 'sms', address: '555-0100' }), /not a phone number in E\.164 form/);
    await vox.templates.save({ notification: 'shop.order.shipped', backend: 'twilio', recipients: ['c:customer'], content: 'Shipped.' });
    peer.failNext({ status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' });
    const result = await (await app.Order.notify(order(), 'shipped')).settled();
    assert.equal(result.failed, 1);
    const [failed] = await vox.messages.list();
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.attempts, 1);
    assert.equal(failed?.permanent, true);
    assert.equal(failed?.error, 'Twilio error 21610: Attempt to send to unsubscribed recipient');
  });
});

describe('Postmark templates end to end', () => {
  let peer: PostmarkPeer;
  let vox: Vox;
  before(async () => {
    peer = await startPostmark();
  });
  afterEach(async () => {
    await vox.close();
    assert.deepEqual(peer.violations, []);
  });
  after(async () => {
    await peer.close();
  });

  test('the template model reaches Postmark; an unknown alias shows Postmark’s code and message in the log', async () => {
    const app = await shop([postmarkTemplate({ token: peer.token, from: 'shop@example.org', baseUrl: peer.baseUrl })]);
    vox = app.vox;
    await vox.templates.save({ notification: 'shop.order.shipped', backend: 'postmark-template', recipients: ['c:customer'], subject: 'article-published', content: 'name: {{ recipient.name }}\ntitle: {{ object.title }}' });
    await vox.templates.save({ notification: 'shop.order.shipped', backend: 'postmark-template', recipients: ['c:customer'], subject: 'no-such-alias', content: 'name: {{ recipient.name }}' });
    const result = await (await app.Order.notify(order(), 'shipped')).settled();
    assert.deepEqual([result.sent, result.failed], [1, 1]);
    assert.deepEqual(peer.emails.map((e) => [e.TemplateAlias, e.TemplateModel, e.To]), [['article-published', { name: 'Ann', title: 'Blue <teapot>' }, '"Ann" <ann@example.org>']]);
    const messages = await vox.messages.list();
    const sent = messages.find((m) => m.status === 'sent');
    const failed = messages.find((m) => m.status === 'failed');
    assert.equal(sent?.providerMessageId, peer.emails[0]?.MessageID);
    assert.equal(failed?.error, "Postmark error 1101: The Template's 'Alias' associated with this request is not valid or was not found.");
    assert.equal(failed?.errorCode, '422');
  });
});

describe('webhooks end to end', () => {
  let peer: HttpPeer;
  let vox: Vox;
  before(async () => {
    peer = await startHttpPeer();
  });
  afterEach(async () => {
    await vox.close();
    peer.answerWith(undefined);
    peer.requests.splice(0);
    peer.accepted.splice(0);
  });
  after(async () => {
    await peer.close();
  });

  test('Slack: the site contact’s webhook gets the text', async () => {
    const app = await shop([slackWebhook({ allowHosts: ['127.0.0.1'] })]);
    vox = app.vox;
    await vox.siteContacts.save({ name: '#orders', protocol: 'slack-webhook', address: peer.url('/services/T1/B1/secret') });
    await vox.templates.save({ notification: 'shop.order.shipped', backend: 'slack-webhook', recipients: ['si'], content: 'Order *{{ object.id }}* shipped: {{ object.title }}' });
    const result = await (await app.Order.notify(order(), 'shipped')).settled();
    assert.equal(result.sent, 1);
    assert.deepEqual(JSON.parse(peer.requests[0]?.body ?? ''), { text: 'Order *42* shipped: Blue &lt;teapot&gt;' });
    assert.equal((await vox.messages.list())[0]?.status, 'sent');
  });

  test('JSON webhook: every receiver is checked; one that keeps failing is logged failed while the other is sent', async () => {
    const app = await shop([jsonWebhook({ allowHosts: ['127.0.0.1'] })]);
    vox = app.vox;
    await vox.siteContacts.save({ name: 'Zapier', protocol: 'json-webhook', address: peer.url('/zapier') });
    await vox.siteContacts.save({ name: 'Huginn', protocol: 'json-webhook', address: peer.url('/huginn') });
    await vox.templates.save({ notification: 'shop.order.shipped', backend: 'json-webhook', recipients: ['si'], bulk: true, content: 'order: {{ object.id }}\ntitle: {{ object.title }}' });
    // Huginn answers 503 to every attempt.
    peer.answerWith((request) => (request.path === '/huginn' ? { status: 503, body: 'busy' } : { status: 200, body: 'ok' }));
    const result = await (await app.Order.notify(order(), 'shipped')).settled();
    assert.deepEqual([result.sent, result.failed], [1, 1]);
    const byAddress = new Map((await vox.messages.list()).map((m) => [m.to[0]?.address, m]));
    assert.equal(byAddress.get(peer.url('/zapier'))?.status, 'sent');
    const huginn = byAddress.get(peer.url('/huginn'));
    assert.equal(huginn?.status, 'failed');
    assert.equal(huginn?.errorCode, '503');
    assert.equal(huginn?.attempts, 2, 'a 503 is retried');
    assert.deepEqual(JSON.parse(peer.accepted.find((r) => r.path === '/zapier')?.body ?? ''), { order: '42', title: 'Blue <teapot>' });
  });

  test('a site contact pointing inside the network is refused when allowHosts does not list it, and nothing is sent', async () => {
    const app = await shop([jsonWebhook()]);
    vox = app.vox;
    await vox.siteContacts.save({ name: 'Metadata', protocol: 'json-webhook', address: peer.url('/latest/meta-data') });
    await vox.templates.save({ notification: 'shop.order.shipped', backend: 'json-webhook', recipients: ['si'], content: 'order: {{ object.id }}' });
    const result = await (await app.Order.notify(order(), 'shipped')).settled();
    assert.equal(result.failed, 1);
    const [message] = await vox.messages.list();
    assert.equal(message?.permanent, true);
    assert.equal(message?.errorCode, 'EDESTINATION');
    assert.match(message?.error ?? '', /refused to send to 127\.0\.0\.1: it is a loopback address/);
    assert.equal(peer.requests.length, 0);
  });
});

describe('X end to end', () => {
  let x: XApiServer;
  let vox: Vox;
  before(async () => {
    x = await startXApi();
  });
  afterEach(async () => {
    await vox.close();
    assert.deepEqual(x.violations, []);
  });
  after(async () => {
    await x.close();
  });

  test('a site contact with a blank address posts a status update; a customer’s handle gets a direct message', async () => {
    const app = await shop([twitter({ ...x.credentials, apiBaseUrl: x.apiBaseUrl, httpAgent: x.agent })]);
    vox = app.vox;
    await vox.siteContacts.save({ name: 'Shop account', protocol: 'twitter', address: '' });
    await assert.rejects(vox.siteContacts.save({ name: 'Typo', protocol: 'twitter', address: '@vox_reader' }), /without its @/);
    await vox.templates.save({ notification: 'shop.order.shipped', backend: 'twitter', recipients: ['si'], content: 'Another {{ object.title }} shipped!' });
    await vox.templates.save({ notification: 'shop.order.shipped', backend: 'twitter', recipients: ['c:customer'], content: '{{ recipient.name }}, your order {{ object.id }} shipped.' });
    const result = await (await app.Order.notify(order(), 'shipped')).settled();
    assert.equal(result.sent, 2);
    assert.deepEqual(x.delivered.map((d) => [d.kind, d.text]).sort(), [
      ['dm', 'Ann, your order 42 shipped.'],
      ['post', 'Another Blue <teapot> shipped!'],
    ]);
    const ids = (await vox.messages.list()).map((m) => m.providerMessageId).sort();
    assert.deepEqual(ids, x.delivered.map((d) => d.id).sort());
  });
});

describe('XMPP end to end', { skip: xmppSkip }, () => {
  let prosody: TestProsody;
  before(async () => {
    prosody = await startProsody(['vox', 'bob']);
  });
  after(async () => {
    await prosody?.stop();
  });

  test('the recipient gets each message over one connection; after the connection drops, the next notification opens a new one', async () => {
    // A generous timeout: on a loaded machine prosody may take seconds to sign in or answer a ping, and a
    // timeout here would open a second connection. No passing run waits for it.
    const inbox = await xmppInbox(prosody.directService, 'bob', prosody.accounts.bob as string);
    const app = await shop([xmpp({ jid: `vox@${XMPP_DOMAIN}`, password: prosody.accounts.vox as string, service: prosody.service, timeoutMs: 10_000 })]);
    try {
      await app.vox.templates.save({ notification: 'shop.order.shipped', backend: 'xmpp', recipients: ['c:customer'], content: 'Order {{ object.id }} shipped: {{ object.title }}' });
      const before = prosody.connections();
      for (const id of [1, 2]) assert.equal((await (await app.Order.notify({ ...order(), id }, 'shipped')).settled()).sent, 1);
      assert.equal(prosody.connections() - before, 1);
      prosody.dropConnections();
      // Whether the worker notices the drop first or fails once and retries, the message arrives.
      assert.equal((await (await app.Order.notify({ ...order(), id: 3 }, 'shipped')).settled()).sent, 1);
      assert.equal(prosody.connections() - before, 2);
      await waitFor(() => inbox.messages.length >= 3, { what: 'three chat messages' });
      assert.deepEqual(inbox.messages.map((m) => m.body), ['Order 1 shipped: Blue <teapot>', 'Order 2 shipped: Blue <teapot>', 'Order 3 shipped: Blue <teapot>']);
      const log = await app.vox.messages.list();
      assert.ok(log.every((m) => m.status === 'sent' && m.providerMessageId), 'each message is logged sent, with its stanza id');
    } finally {
      await app.vox.close();
      await inbox.stop();
    }
  });
});
