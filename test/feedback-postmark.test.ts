/**
 * Postmark's webhooks (delivery feedback, docs/feedback.md): a message really goes out through the
 * Postmark backend to the local stand-in, then Postmark's documented payloads
 * (test/contracts/postmark-webhooks.json) are posted with the HTTP Basic credentials of the webhook
 * URL, and the test reads the message's status and history and the suppression list. On SQLite and
 * PostgreSQL.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { postmarkTemplate } from '../src/backends/postmark.ts';
import type { FeedbackHandler, Vox } from '../src/index.ts';
import { databases } from './support/databases.ts';
import { emailShop, readableDatabase, startRelay, stateOf, type Relay } from './support/feedback.ts';
import { startPostmark, type PostmarkPeer } from './support/postmark.ts';
import { waitFor } from './support/wait.ts';

type Payload = Record<string, unknown>;
const documented = JSON.parse(readFileSync(new URL('./contracts/postmark-webhooks.json', import.meta.url), 'utf8')) as Record<string, Payload>;
const hookUrl = 'https://shop.example.org/vox/feedback/postmark';
const credentials = { username: 'postmark', password: 'correct horse battery staple' };

for (const database of databases) {
  describe(`Postmark webhooks (${database.name})`, { skip: database.skip }, () => {
    let peer: PostmarkPeer;
    let relay: Relay;
    let vox: Vox;
    let feedback: FeedbackHandler;
    let db: Awaited<ReturnType<typeof readableDatabase>>;
    let send: Awaited<ReturnType<typeof emailShop>>['send'];
    let sent: Awaited<ReturnType<typeof send>>;
    before(async () => {
      peer = await startPostmark();
      relay = await startRelay(peer.baseUrl);
    });
    after(async () => {
      await relay.close();
      await peer.close();
    });
    beforeEach(async () => {
      relay.beforeAnswer = undefined;
      db = await readableDatabase(database);
      ({ vox, send } = await emailShop(db.options, postmarkTemplate({ token: peer.token, from: 'shop@example.org', baseUrl: relay.baseUrl }), { subject: 'welcome', content: 'order: {{ object.id }}' }));
      feedback = vox.feedback({ postmark: credentials });
      sent = await send(42, 'ann@example.org');
      assert.equal(peer.emails.at(-1)?.MessageID, sent.providerMessageId);
    });
    afterEach(async () => {
      await vox.close();
      await db.drop();
      assert.deepEqual(peer.violations, []);
    });

    /** Posts one of the documented payloads about `message`, as Postmark does with the URL's credentials. */
    const post = (kind: string, message: { providerMessageId: string }, address = 'ann@example.org', auth: string | null = `${credentials.username}:${credentials.password}`) => {
      const payload: Payload = { ...documented[kind], MessageID: message.providerMessageId };
      if ('Email' in payload) payload.Email = address;
      if ('Recipient' in payload) payload.Recipient = address;
      return feedback.fetch(new Request(hookUrl, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(auth === null ? {} : { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` }) }, body: JSON.stringify(payload) }));
    };
    const ok = async (response: Response) => {
      assert.equal(response.status, 200);
      return response.json();
    };

    test('a delivery moves the message to delivered, with the event and Postmark’s time in its history', async () => {
      assert.deepEqual(await ok(await post('Delivery', sent)), { recorded: 1, duplicates: 0, orphans: 0 });
      const state = await stateOf(vox, sent.id);
      assert.equal(state.status, 'delivered');
      assert.deepEqual(state.events, [{ event: 'delivered', code: null, recipient: 'ann@example.org' }]);
      const [event] = await vox.messages.events(sent.id);
      assert.deepEqual([event?.occurredAt, event?.description], ['2019-11-05T16:33:54.907Z', 'Test delivery webhook details']);
      assert.deepEqual(await db.suppressions(), []);
    });

    test('a hard bounce bounces the message and suppresses the address; a soft bounce does neither', async () => {
      const soft = await send(43, 'bob@example.org');
      await ok(await post('SoftBounce', soft, 'bob@example.org'));
      assert.deepEqual((await stateOf(vox, soft.id)).status, 'sent');
      assert.deepEqual((await stateOf(vox, soft.id)).events, [{ event: 'deferred', code: 'SoftBounce', recipient: 'bob@example.org' }]);

      await ok(await post('HardBounce', sent));
      const state = await stateOf(vox, sent.id);
      assert.deepEqual([state.status, state.errorCode, state.permanent, state.error], ['bounced', 'HardBounce', true, 'Postmark reports the message bounced (error HardBounce): Test bounce details']);
      assert.deepEqual(await db.suppressions(), [{ protocol: 'email', address: 'ann@example.org', reason: 'bounced', source: 'postmark' }]);
      const issue = await vox.issues.get(sent.issueId);
      assert.deepEqual([issue?.messages.bounced, issue?.messages.sent], [1, 0]);
      const settled = await sent.settled();
      assert.deepEqual([settled.sent, settled.bounced, settled.delivered, settled.messages[0]?.status], [1, 1, 0, 'bounced']);
    });

    test('a spam complaint after the delivery: complained, and the address suppressed', async () => {
      await ok(await post('Delivery', sent));
      await ok(await post('SpamComplaint', sent));
      const state = await stateOf(vox, sent.id);
      assert.equal(state.status, 'complained');
      assert.deepEqual(state.events.map((e) => e.event), ['delivered', 'complained']);
      assert.deepEqual(await db.suppressions(), [{ protocol: 'email', address: 'ann@example.org', reason: 'complained', source: 'postmark' }]);
    });

    test('a subscription change that suppresses sending puts the address on the list, the message stays delivered', async () => {
      await ok(await post('Delivery', sent));
      await ok(await post('SubscriptionChange', sent));
      assert.deepEqual((await stateOf(vox, sent.id)).events.map((e) => e.event), ['delivered', 'unsubscribed']);
      assert.equal((await stateOf(vox, sent.id)).status, 'delivered');
      assert.deepEqual(await db.suppressions(), [{ protocol: 'email', address: 'ann@example.org', reason: 'unsubscribed', source: 'postmark' }]);
    });

    test('missing or wrong credentials get 401 and nothing is written', async () => {
      for (const auth of [null, 'postmark:wrong', 'someone:correct horse battery staple']) {
        const response = await post('HardBounce', sent, 'ann@example.org', auth);
        assert.equal(response.status, 401);
        assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'VOX_UNAUTHORIZED');
      }
      assert.deepEqual(await stateOf(vox, sent.id), { status: 'sent', error: null, errorCode: null, permanent: false, events: [] });
      assert.deepEqual(await db.suppressions(), []);
    });

    test('the payload kept in the history is cut at payloadBytes', async () => {
      feedback = vox.feedback({ postmark: credentials, payloadBytes: 256 });
      await ok(await post('HardBounce', sent));
      const [event] = await vox.messages.events(sent.id);
      assert.ok(Buffer.byteLength(event?.payload ?? '') <= 256);
      assert.ok(event?.payload.startsWith('{"RecordType":"Bounce"') && event.payload.endsWith('…'));
      assert.ok(Buffer.byteLength(JSON.stringify({ ...documented.HardBounce })) > 600, 'the documented payload is larger than that');
    });

    test('a replayed webhook is recorded once', async () => {
      await ok(await post('HardBounce', sent));
      assert.deepEqual(await ok(await post('HardBounce', sent)), { recorded: 0, duplicates: 1, orphans: 0 });
      assert.equal((await stateOf(vox, sent.id)).events.length, 1);
    });

    test('out of order, the status does not move back: a delivery after the bounce leaves it bounced', async () => {
      await ok(await post('HardBounce', sent));
      await ok(await post('Delivery', sent));
      const state = await stateOf(vox, sent.id);
      assert.equal(state.status, 'bounced');
      assert.deepEqual(state.events.map((e) => e.event).sort(), ['bounced', 'delivered']);
    });

    test('a bounce that arrives before Vox has written the sent record is applied once it is', async () => {
      let early: unknown;
      relay.beforeAnswer = async (body) => {
        relay.beforeAnswer = undefined;
        early = await ok(await post('HardBounce', { providerMessageId: (JSON.parse(body) as { MessageID: string }).MessageID }, 'carol@example.org'));
      };
      const late = await send(44, 'carol@example.org');
      assert.deepEqual(early, { recorded: 1, duplicates: 0, orphans: 1 });
      await waitFor(async () => (await vox.messages.get(late.id))?.status === 'bounced', { what: 'the early bounce to be applied' });
      assert.deepEqual((await stateOf(vox, late.id)).events, [{ event: 'bounced', code: 'HardBounce', recipient: 'carol@example.org' }]);
      assert.deepEqual(await db.suppressions(), [{ protocol: 'email', address: 'carol@example.org', reason: 'bounced', source: 'postmark' }]);
    });

    test('a record type Vox does not know is answered 200 and not recorded; a body that is no webhook, 400', async () => {
      assert.deepEqual(await ok(await feedback.fetch(new Request(hookUrl, { method: 'POST', headers: { Authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}` }, body: JSON.stringify({ RecordType: 'Inbound', MessageID: sent.providerMessageId }) }))), { recorded: 0, duplicates: 0, orphans: 0 });
      const response = await feedback.fetch(new Request(hookUrl, { method: 'POST', headers: { Authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}` }, body: '[1, 2]' }));
      assert.equal(response.status, 400);
      assert.deepEqual((await stateOf(vox, sent.id)).events, []);
    });

    test('when the database is down the report is answered 503, so that Postmark sends it again', async () => {
      const other = await readableDatabase(database);
      const shop = await emailShop(other.options, postmarkTemplate({ token: peer.token, from: 'shop@example.org', baseUrl: relay.baseUrl }), { subject: 'welcome', content: 'order: {{ object.id }}' });
      const handler = shop.vox.feedback({ postmark: credentials });
      await shop.vox.close();
      const response = await handler.fetch(new Request(hookUrl, { method: 'POST', headers: { Authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}` }, body: JSON.stringify(documented.Delivery) }));
      assert.equal(response.status, 503);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'VOX_DELIVERY');
      await other.drop();
    });

    test('a report of a message Vox does not know is kept as an orphan and answered 200', async () => {
      assert.deepEqual(await ok(await post('Delivery', { providerMessageId: '00000000-0000-0000-0000-000000000000' })), { recorded: 1, duplicates: 0, orphans: 1 });
      assert.equal((await stateOf(vox, sent.id)).status, 'sent');
    });
  });
}
