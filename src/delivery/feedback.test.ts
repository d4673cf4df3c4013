/** Payloads kept in a message's history are cut to the configured size. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trimmed } from './feedback.ts';

test('a payload under the limit is kept whole, as JSON', () => {
  assert.equal(trimmed({ a: 1 }, 100), '{"a":1}');
});

test('a payload over the limit is cut to at most that many bytes, ending in …, never inside a character', () => {
  const text = trimmed({ note: 'é'.repeat(200) }, 64);
  assert.ok(Buffer.byteLength(text) <= 64, `${Buffer.byteLength(text)} bytes`);
  assert.ok(text.endsWith('…'));
  assert.ok(!text.includes('\uFFFD'));
  assert.ok(text.startsWith('{"note":"éé'));
});
