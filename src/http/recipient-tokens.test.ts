// Recipient tokens: what is signed comes back; anything forged, truncated or tampered with is
// refused; an old secret listed after the new one still works (rotation); bad secrets fail at set-up.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { RecipientTokens, type RecipientToken } from './recipient-tokens.ts';

const OLD = 'an old secret of the blog, 32 bytes';
const NEW = 'the new secret of the blog, 32 bytes!';
const ann: RecipientToken = { model: 'blog.subscriber', id: '42', protocol: 'email', address: 'ann@example.com', scope: { kind: 'category', category: 'newsletter' } };

test('a signed token names its recipient and scope, in a URL-safe form', () => {
  const tokens = new RecipientTokens([NEW], 'test');
  for (const scope of [{ kind: 'all' }, { kind: 'center' }, { kind: 'notification', notification: 'blog.article.created' }, ann.scope] as const) {
    const token = tokens.sign({ ...ann, scope });
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(tokens.verify(token), { ...ann, scope });
    assert.equal(encodeURIComponent(token), token);
  }
});

test('forged, truncated and tampered tokens are refused', () => {
  const tokens = new RecipientTokens([NEW], 'test');
  const token = tokens.sign(ann);
  const [payload, mac] = token.split('.') as [string, string];
  const otherPayload = Buffer.from(JSON.stringify([1, 'blog.subscriber', '43', 'email', 'bob@example.com', 'a'])).toString('base64url');
  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  const refused = [
    '', '.', token.slice(0, -1), token.slice(0, token.length - 10), token.slice(1), `${token}.`, `${token}x`,
    `${otherPayload}.${mac}`, `${flip(payload, 5)}.${mac}`, `${payload}.${flip(mac, 3)}`, payload,
    // A MAC made with a secret the blog never had.
    `${otherPayload}.${createHmac('sha256', 'a secret of an attacker, long enough').update('vox.recipient-token.').update(otherPayload).digest('base64url')}`,
    // The right MAC without the context string.
    `${payload}.${createHmac('sha256', NEW).update(payload).digest('base64url')}`,
    'x'.repeat(5000),
  ];
  for (const bad of refused) assert.equal(tokens.verify(bad), undefined, bad);
});

test('rotation: tokens of the old secret are accepted while it is listed, new ones are signed with the first secret', () => {
  const before = new RecipientTokens([OLD], 'test');
  const rotated = new RecipientTokens([NEW, OLD], 'test');
  const after = new RecipientTokens([NEW], 'test');
  const oldToken = before.sign(ann);
  assert.deepEqual(rotated.verify(oldToken), ann);
  assert.equal(after.verify(oldToken), undefined);
  const newToken = rotated.sign(ann);
  assert.deepEqual(after.verify(newToken), ann);
  assert.equal(before.verify(newToken), undefined);
});

test('missing or short secrets fail where they are configured', () => {
  assert.throws(() => new RecipientTokens(undefined, 'createVox({ preferenceCenter })'), { code: 'VOX_CONFIGURATION', message: /createVox\(\{ preferenceCenter \}\) needs at least one secret/ });
  assert.throws(() => new RecipientTokens([], 'x'), { code: 'VOX_CONFIGURATION' });
  assert.throws(() => new RecipientTokens([NEW, 'short'], 'x'), { code: 'VOX_CONFIGURATION', message: /secret 2 must be a string of at least 16 bytes/ });
});
