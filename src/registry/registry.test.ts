import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contactsOf } from '../delivery/context.ts';
import { contact } from '../vocabulary/contact.ts';
import { Registry } from './registry.ts';

function blogRegistry(): Registry {
  const registry = new Registry(['email']);
  registry.add('auth.user', {
    id: (u: { id: number }) => u.id,
    channels: { self: true },
    attachments: { vcard: { label: 'Contact info', mime: 'text/vcard', data: () => 'x' } },
  });
  registry.add('blog.subscriber', { id: (s: { id: number }) => s.id, label: 'Subscriber', channels: { self: true } });
  registry.add('blog.article', {
    id: (a: { slug: string }) => a.slug,
    notifications: { created: { description: 'New', actor: 'auth.user', target: 'blog.article' }, edited: 'Edited' },
    channels: {
      subscribers: { label: 'Subscribers', recipients: 'blog.subscriber', resolve: () => [] },
      author: { recipients: 'auth.user', resolve: () => [] },
    },
    relations: { author: 'auth.user' },
  });
  return registry;
}

test("channel keys and labels follow the seed", () => {
  const registry = blogRegistry();
  const created = registry.findNotification('blog.article', 'created');
  assert.ok(created);
  assert.deepEqual(
    registry.channelChoices(created).map((c) => [c.key, c.label, c.recipientModel]),
    [
      ['si', 'Site Contacts', null],
      ['c:subscribers', 'Subscribers', 'blog.subscriber'],
      ['c:author', 'Author', 'auth.user'],
      ['se', 'Actor', 'auth.user'],
      ['re:subscribers', "Target's Subscribers", 'blog.subscriber'],
      ['re:author', "Target's Author", 'auth.user'],
    ],
  );
  const edited = registry.findNotification('blog.article', 'edited');
  assert.deepEqual(registry.channelChoices(edited!).map((c) => c.key), ['si', 'c:subscribers', 'c:author']);
});

test('attachment choices follow relations, with labels like "Author / Contact info"', () => {
  const registry = blogRegistry();
  const created = registry.findNotification('blog.article', 'created')!;
  assert.deepEqual(registry.attachmentChoices(created), [
    { key: 'object.author.vcard', label: 'Author / Contact info' },
    { key: 'actor.vcard', label: 'Actor / Contact info' },
    { key: 'target.author.vcard', label: 'Target / Author / Contact info' },
  ]);
});

test('bad declarations fail loudly at registration', () => {
  const registry = blogRegistry();
  assert.throws(() => registry.add('auth.user', { id: () => 1 }), /registered twice/);
  assert.throws(() => registry.add('bad name', { id: () => 1 }), /dot-separated words/);
  assert.throws(() => registry.add('x.y', { id: () => 1, notifications: { 'not ok': 'x' } }), /must be a word/);
  // @ts-expect-error -- only `self` may be true; the check at run time is for JavaScript callers.
  assert.throws(() => registry.add('x.z', { id: () => 1, channels: { friends: true } }), /needs a resolve function/);
  assert.throws(() => registry.get('nope'), /model nope is not registered/);
});

test('a contact address string is one contact, never iterated', async () => {
  assert.deepEqual(await contactsOf('ann@example.org', 'email', 'Ann'), [{ name: 'Ann', protocol: 'email', address: 'ann@example.org' }]);
  assert.deepEqual(await contactsOf(Promise.resolve(['a@x.org', contact('B', 'email', 'b@x.org'), contact('B', 'sms', '+15550100')]), 'email', ''), [
    { name: '', protocol: 'email', address: 'a@x.org' },
    { name: 'B', protocol: 'email', address: 'b@x.org' },
  ]);
  async function* generate() {
    yield contact('C', 'email', 'c@x.org');
  }
  assert.deepEqual(await contactsOf(generate(), 'email', ''), [{ name: 'C', protocol: 'email', address: 'c@x.org' }]);
  assert.deepEqual(await contactsOf(null, 'email', ''), []);
  await assert.rejects(contactsOf([42 as unknown as string], 'email', ''), /return contact\(name, protocol, address\)/);
});
