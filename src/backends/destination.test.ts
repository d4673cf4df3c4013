import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DeliveryError } from '../vocabulary/errors.ts';
import { startHttpPeer, type HttpPeer } from '../../test/support/http-peer.ts';
import { DestinationGuard, refusedKind } from './destination.ts';
import { httpRequest } from './http.ts';
import { jsonWebhook } from './webhook.ts';
import { slackWebhook } from './slack.ts';

describe('webhook destinations', () => {
  test('every special-purpose range is refused, IPv4 inside IPv6 judged as IPv4; public addresses are not', () => {
    const cases: [string, string | undefined][] = [
      ['127.0.0.1', 'loopback'],
      ['127.8.9.10', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['169.254.169.254', 'link-local'],
      ['100.64.0.1', 'shared (carrier-grade NAT)'],
      ['0.0.0.0', 'unspecified'],
      ['224.0.0.1', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['192.0.2.1', 'reserved'],
      ['198.18.0.1', 'reserved'],
      ['240.0.0.1', 'reserved'],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fe80::1', 'link-local'],
      ['fd12:3456::1', 'unique local (private)'],
      ['ff02::1', 'multicast'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:a9fe:a9fe', 'link-local'],
      ['64:ff9b::a00:1', 'private'],
      ['2002:c0a8:101::1', 'private'],
      // IPv4-translated (RFC 6145), missed before ipaddr.js named the ranges; and IPv4-compatible.
      ['::ffff:0:127.0.0.1', 'loopback'],
      ['::ffff:0:a00:1', 'private'],
      ['::7f00:1', 'loopback'],
      ['2001::1', 'Teredo tunnel'],
      ['100::1', 'discard'],
      ['2001:db8::1', 'reserved'],
      ['not-an-address', 'invalid'],
      ['::ffff:0:93.184.215.14', undefined],
      ['64:ff9b::5db8:d70e', undefined],
      ['93.184.215.14', undefined],
      ['172.32.0.1', undefined],
      ['2606:4700::6810:84e5', undefined],
      ['::ffff:93.184.215.14', undefined],
    ];
    for (const [address, kind] of cases) assert.equal(refusedKind(address), kind, address);
  });

  test('allowHosts permits host names, addresses and ranges, and nothing else', () => {
    const guard = new DestinationGuard({ allowHosts: ['127.0.0.1', 'hooks.internal', '10.20.0.0/16', 'fd00::/8'] });
    assert.equal(guard.problem('127.0.0.1', '127.0.0.1'), undefined);
    assert.equal(guard.problem('hooks.internal', '10.9.9.9'), undefined);
    assert.equal(guard.problem('a.example', '10.20.3.4'), undefined);
    assert.equal(guard.problem('a.example', 'fd00::5'), undefined);
    assert.match(guard.problem('a.example', '10.21.0.1') ?? '', /a\.example \(10\.21\.0\.1\): it is a private address; list it in the backend's allowHosts/);
    assert.match(guard.problem('127.0.0.2', '127.0.0.2') ?? '', /loopback/);
  });

  describe('sending', () => {
    let peer: HttpPeer;
    before(async () => {
      peer = await startHttpPeer();
    });
    after(async () => {
      await peer.close();
    });
    const message = (address: string) => ({ id: 1, idempotencyKey: 'k', from: undefined, to: [{ name: 'hook', protocol: 'json-webhook', address }], payload: { data: { a: 'b' } } });

    for (const [name, backend] of [
      ['json-webhook', jsonWebhook()],
      ['slack-webhook', slackWebhook()],
    ] as const) {
      test(`${name} without allowHosts refuses a site contact pointing at this machine, permanently, and sends nothing`, async () => {
        for (const address of [peer.url('/internal'), `http://localhost:${peer.port}/internal`, `http://[::ffff:127.0.0.1]:${peer.port}/internal`]) {
          await assert.rejects(backend.send({ ...message(address), payload: { text: 'x', data: { a: 'b' } } }), (error: unknown) => {
            assert.ok(error instanceof DeliveryError, String(error));
            assert.equal(error.permanent, true);
            assert.equal(error.providerCode, 'EDESTINATION');
            assert.match(error.message, /refused to send to .*loopback address/);
            return true;
          });
        }
        assert.equal(peer.requests.length, 0);
      });
    }

    test('a host name is checked when connecting, so one resolving to loopback is refused though its name looks harmless', async () => {
      // localhost is such a name here; a rebinding attacker's name behaves the same at connection time.
      await assert.rejects(
        httpRequest('json-webhook', { url: `http://localhost:${peer.port}/x`, method: 'POST', body: '{}', timeoutMs: 2000, guard: new DestinationGuard() }),
        (error: unknown) => error instanceof DeliveryError && error.permanent && /localhost \((127\.0\.0\.1|::1)\)/.test(error.message),
      );
      assert.equal(peer.requests.length, 0);
    });

    test('with allowHosts listing the address, the same request goes through', async () => {
      await jsonWebhook({ allowHosts: ['127.0.0.1'] }).send(message(peer.url('/allowed')));
      assert.equal(peer.requests.at(-1)?.path, '/allowed');
    });
  });
});
