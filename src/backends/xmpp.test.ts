import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DeliveryError } from '../vocabulary/errors.ts';
import { testBackendContract } from '../testing/backend-contract.ts';
import { startProsody, xmppInbox, xmppSkip, XMPP_DOMAIN, type TestProsody } from '../../test/support/prosody.ts';
import type { OutboundMessage } from '../vocabulary/payload.ts';
import { xmpp } from './xmpp.ts';
import { waitFor } from '../../test/support/wait.ts';

if (xmppSkip) console.log(`# ${xmppSkip}`);

let prosody: TestProsody | undefined;
before(async () => {
  if (!xmppSkip) prosody = await startProsody(['vox', 'bob']);
});
after(async () => {
  await prosody?.stop();
});

/** Long enough for prosody's SCRAM sign-in on a loaded machine; no passing test waits for it to run out. */
const XMPP_TIMEOUT_MS = 10_000;

const server = (): TestProsody => {
  if (!prosody) throw new Error('prosody is not started');
  return prosody;
};
/** Waits until the inbox holds `count` messages; a message that never arrives fails the test at the deadline. */
const arrived = (inbox: { readonly messages: readonly unknown[] }, count: number) => waitFor(() => inbox.messages.length >= count, { what: `${count} chat messages in the inbox` });
let ids = 0;
const chat = (to: string, text: string): OutboundMessage => ({ id: ++ids, idempotencyKey: `x${ids}`, from: undefined, to: [{ name: 'Bob', protocol: 'xmpp', address: to }], payload: { text } });

testBackendContract(
  'xmpp',
  async () => {
    const p = server();
    const inbox = await xmppInbox(p.directService, 'bob', p.accounts.bob as string);
    const backend = xmpp({ jid: `vox@${XMPP_DOMAIN}`, password: p.accounts.vox as string, service: p.service, timeoutMs: XMPP_TIMEOUT_MS });
    return {
      backend,
      address: `bob@${XMPP_DOMAIN}`,
      rendered: { subject: '', parts: { text: 'Hello from the contract suite' } },
      providerIds: true,
      invalidAddresses: ['bob', '@localhost', 'bob@localhost <bob>'],
      failNext(kind) {
        if (kind === 'permanent') return `nobody@${XMPP_DOMAIN}`;
        p.refuseConnections(true);
        p.dropConnections();
      },
      delivered: () => inbox.messages.length,
      async close() {
        p.refuseConnections(false);
        await backend.close?.();
        await inbox.stop();
      },
    };
  },
  { skip: xmppSkip },
);

describe('xmpp connection', { skip: xmppSkip }, () => {
  test('one connection carries every message, and the recipient gets each', async () => {
    const p = server();
    const inbox = await xmppInbox(p.directService, 'bob', p.accounts.bob as string);
    const backend = xmpp({ jid: `vox@${XMPP_DOMAIN}`, password: p.accounts.vox as string, service: p.service });
    try {
      const before = p.connections();
      for (const n of [1, 2, 3]) await backend.send(chat(`bob@${XMPP_DOMAIN}`, `message ${n}`));
      await arrived(inbox, 3);
      assert.equal(p.connections() - before, 1, 'three messages, one connection');
      assert.deepEqual(inbox.messages.map((m) => m.body), ['message 1', 'message 2', 'message 3']);
      assert.match(inbox.messages[0]?.from ?? '', /^vox@localhost\//);
    } finally {
      await backend.close?.();
      await inbox.stop();
    }
  });

  test('a dropped connection is opened again for the next message', async () => {
    const p = server();
    const inbox = await xmppInbox(p.directService, 'bob', p.accounts.bob as string);
    const backend = xmpp({ jid: `vox@${XMPP_DOMAIN}`, password: p.accounts.vox as string, service: p.service, timeoutMs: XMPP_TIMEOUT_MS });
    try {
      const before = p.connections();
      await backend.send(chat(`bob@${XMPP_DOMAIN}`, 'before the drop'));
      p.dropConnections();
      // Vox retries a transient failure; so does this test, in case the send beat the backend to the drop.
      await backend.send(chat(`bob@${XMPP_DOMAIN}`, 'after the drop')).catch((error: unknown) => {
        assert.ok(error instanceof DeliveryError && !error.permanent, String(error));
        return backend.send(chat(`bob@${XMPP_DOMAIN}`, 'after the drop'));
      });
      await backend.send(chat(`bob@${XMPP_DOMAIN}`, 'and on the new connection'));
      await arrived(inbox, 3);
      assert.equal(p.connections() - before, 2, 'a second connection, then reused');
      assert.deepEqual(inbox.messages.map((m) => m.body), ['before the drop', 'after the drop', 'and on the new connection']);
    } finally {
      await backend.close?.();
      await inbox.stop();
    }
  });

  test('a message sent into a connection that just died fails as transient, and the next one gets through', async () => {
    const p = server();
    const inbox = await xmppInbox(p.directService, 'bob', p.accounts.bob as string);
    const backend = xmpp({ jid: `vox@${XMPP_DOMAIN}`, password: p.accounts.vox as string, service: p.service, timeoutMs: XMPP_TIMEOUT_MS });
    try {
      await backend.send(chat(`bob@${XMPP_DOMAIN}`, 'one'));
      p.dropConnections();
      // Sent before the backend may have seen the drop: it either goes out on a new connection or fails
      // transiently. What it may not do is resolve and never arrive.
      const two = await backend.send(chat(`bob@${XMPP_DOMAIN}`, 'two')).then(
        () => 'sent',
        (error: unknown) => {
          assert.ok(error instanceof DeliveryError && !error.permanent, String(error));
          return 'failed';
        },
      );
      await backend.send(chat(`bob@${XMPP_DOMAIN}`, 'three'));
      const expected = two === 'sent' ? ['one', 'two', 'three'] : ['one', 'three'];
      await arrived(inbox, expected.length);
      assert.deepEqual(inbox.messages.map((m) => m.body), expected, `'two' ${two}`);
    } finally {
      await backend.close?.();
      await inbox.stop();
    }
  });

  test('a wrong password is a permanent failure that names the account', async () => {
    const p = server();
    const backend = xmpp({ jid: `vox@${XMPP_DOMAIN}`, password: 'wrong', service: p.service, timeoutMs: XMPP_TIMEOUT_MS });
    try {
      await assert.rejects(backend.send(chat(`bob@${XMPP_DOMAIN}`, 'hi')), (error: unknown) => {
        assert.ok(error instanceof DeliveryError);
        assert.equal(error.permanent, true);
        assert.match(error.message, /vox@localhost/);
        assert.equal(error.providerCode, 'not-authorized');
        return true;
      });
    } finally {
      await backend.close?.();
    }
  });
});
