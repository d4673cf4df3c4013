/** The contract every backend passes: capabilities, compose, send, failures. */
import assert from 'node:assert/strict';
import { nodeTest } from './node-test.ts';
import { editorOf, type Backend } from '../vocabulary/backend.ts';
import { type OutboundMessage, type RenderedTemplate } from '../vocabulary/payload.ts';
import { DeliveryError } from '../vocabulary/errors.ts';

/** A backend wired to a peer it really talks to (a local SMTP server, an HTTP server checking the provider's API), for one contract test. */
export interface BackendHarness {
  /** The backend under test, configured to reach the peer. */
  readonly backend: Backend;
  /** An address the peer accepts. */
  readonly address: string;
  /** What a template of the backend's format renders to; `compose` makes the payload sent from it. */
  readonly rendered: RenderedTemplate;
  /** A from address to send with, for backends that need one; undefined for the backend's default. */
  readonly from?: string;
  /** Whether the peer gives an id for each message, which `send` must return. */
  readonly providerIds: boolean;
  /** Addresses malformed for the backend's protocol. */
  readonly invalidAddresses: readonly string[];
  /**
   * Makes the peer fail the next message: `permanent` as a refusal that retrying cannot change
   * (an invalid number, an unknown user), `transient` as one worth a retry (rate limit, a 5xx, a
   * dropped connection). Returns the address to send that message to when the failure is tied to
   * one (an XMPP user that does not exist); otherwise the harness's `address` is used.
   */
  failNext(kind: 'permanent' | 'transient'): string | void | Promise<string | void>;
  /**
   * How many messages the peer has accepted so far. A peer that learns of a message after `send`
   * resolves (a chat server passing it on to the recipient's session) may count it late: the suite
   * waits up to 10 seconds for an expected message to show.
   */
  delivered(): number | Promise<number>;
  /** Stops the peer, and closes what the backend holds open. */
  close(): Promise<void>;
}

/** Makes a fresh {@link BackendHarness} for one contract test. */
export type BackendHarnessFactory = () => Promise<BackendHarness>;

const FORMATS = ['html', 'markdown', 'text', 'blocks', 'fields', 'slack', 'slack-blocks'];
const EDITORS = ['html', 'markdown', 'text', 'blocks', 'fields', 'json'];

let messageIds = 0;

/** Waits until the peer has accepted `expected` messages, for up to 10 seconds, then checks that it has exactly that many. */
async function deliveredReaches(h: BackendHarness, expected: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await h.delivered()) < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(await h.delivered(), expected);
}

/**
 * The contract every {@link Backend} keeps, as node:test tests: capabilities declared, payloads
 * JSON, messages reaching the peer with its id, permanent and transient failures told apart,
 * malformed and blank addresses refused before anything is sent. Run it for your own backend
 * the way Vox runs it for each of its own.
 *
 * @example
 * testBackendContract('my SMS', async () => {
 *   const peer = await startMyFakeProvider();
 *   return { backend: mySms({ baseUrl: peer.url }), address: '+14155552671', rendered: { subject: '', parts: { text: 'Hi' } },
 *     providerIds: true, invalidAddresses: ['555'], failNext: (kind) => peer.failNext(kind), delivered: () => peer.count, close: () => peer.close() };
 * });
 */
export function testBackendContract(name: string, create: BackendHarnessFactory, options: { readonly skip?: string | false } = {}): void {
  const { describe, test } = nodeTest();
  const withHarness = (body: (h: BackendHarness) => Promise<void>) => async () => {
    const harness = await create();
    try {
      await body(harness);
    } finally {
      await harness.close();
    }
  };
  const message = (h: BackendHarness, addresses: readonly string[]): OutboundMessage => {
    messageIds += 1;
    return {
      id: messageIds,
      idempotencyKey: `contract:${messageIds}`,
      from: h.from,
      to: addresses.map((address) => ({ name: 'Contract Test', protocol: h.backend.protocol, address })),
      payload: h.backend.compose(h.rendered),
    };
  };
  const refused = async (promise: Promise<unknown>, h: BackendHarness, permanent: boolean) => {
    await assert.rejects(promise, (error: unknown) => {
      assert.ok(error instanceof DeliveryError, `expected a DeliveryError, got ${String(error)}`);
      assert.equal(error.backend, h.backend.id);
      assert.equal(error.permanent, permanent, `expected permanent: ${permanent} for: ${error.message}`);
      return true;
    });
  };

  describe(`backend contract: ${name}`, { skip: options.skip ?? false }, () => {
    test('declares its id, protocol, label, format and capabilities', withHarness(async (h) => {
      const { backend } = h;
      for (const field of ['id', 'protocol', 'label'] as const) assert.ok(typeof backend[field] === 'string' && backend[field] !== '', `${field} is a non-empty string`);
      assert.ok(FORMATS.includes(backend.format), `format ${backend.format} is a ContentFormat`);
      for (const flag of ['subject', 'fromAddress', 'attachments', 'manualSending'] as const) assert.equal(typeof backend.capabilities[flag], 'boolean', `capabilities.${flag} is declared`);
      assert.ok(EDITORS.includes(editorOf(backend)), `editor ${editorOf(backend)} is an EditorType`);
      const max = backend.capabilities.maxRecipients;
      assert.ok(max === undefined || (Number.isInteger(max) && max > 0), 'maxRecipients is a positive integer when set');
      assert.equal(typeof backend.validateAddress, 'function', 'validateAddress checks the protocol’s address form');
    }));

    test('compose gives a payload that survives JSON, as the message log stores it', withHarness(async (h) => {
      const payload = h.backend.compose(h.rendered);
      assert.deepEqual(JSON.parse(JSON.stringify(payload)), payload);
      assert.ok(payload.text !== undefined || payload.html !== undefined || payload.data !== undefined, 'the payload carries content');
    }));

    test('send reaches the peer and returns its message id', withHarness(async (h) => {
      const before = await h.delivered();
      const result = await h.backend.send(message(h, [h.address]));
      await deliveredReaches(h, before + 1);
      if (h.providerIds) assert.ok(typeof result.providerMessageId === 'string' && result.providerMessageId !== '', 'a providerMessageId');
      assert.equal(result.rejected?.length ?? 0, 0);
    }));

    test('a permanent refusal throws a DeliveryError with permanent: true', withHarness(async (h) => {
      const address = (await h.failNext('permanent')) ?? h.address;
      await refused(h.backend.send(message(h, [address])), h, true);
    }));

    test('a transient failure throws a DeliveryError with permanent: false', withHarness(async (h) => {
      const address = (await h.failNext('transient')) ?? h.address;
      await refused(h.backend.send(message(h, [address])), h, false);
    }));

    test('malformed addresses are refused, permanently, before anything is sent', withHarness(async (h) => {
      assert.ok(h.invalidAddresses.length > 0, 'the harness names malformed addresses');
      const before = await h.delivered();
      for (const address of h.invalidAddresses) {
        assert.equal(typeof h.backend.validateAddress?.(address), 'string', `${JSON.stringify(address)} is reported malformed`);
        await refused(h.backend.send(message(h, [address])), h, true);
      }
      assert.equal(h.backend.validateAddress?.(h.address), undefined, 'the harness address is well-formed');
      assert.equal(await h.delivered(), before);
    }));

    test('a blank address is refused unless the backend gives it a meaning', withHarness(async (h) => {
      const before = await h.delivered();
      if (h.backend.capabilities.blankAddress) {
        assert.equal(h.backend.validateAddress?.(''), undefined);
        await h.backend.send(message(h, ['']));
        await deliveredReaches(h, before + 1);
      } else {
        assert.equal(typeof h.backend.validateAddress?.(''), 'string');
        await refused(h.backend.send(message(h, [''])), h, true);
        assert.equal(await h.delivered(), before);
      }
    }));

    test('one bad address among good ones is reported as rejected; the rest are sent', withHarness(async (h) => {
      const bad = h.invalidAddresses[0] ?? 'not an address';
      const before = await h.delivered();
      const result = await h.backend.send(message(h, [h.address, bad]));
      assert.deepEqual(result.rejected?.map((r) => r.address), [bad]);
      assert.ok(result.rejected?.[0]?.error instanceof DeliveryError && result.rejected[0].error.permanent);
      await deliveredReaches(h, before + 1);
    }));
  });
}
