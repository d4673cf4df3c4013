import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BackendHost, ComposeContext, HostModel } from '../vocabulary/backend.ts';
import type { ModelOptions, NotificationsSpec } from '../vocabulary/model.ts';
import { composeActivity } from './index.ts';
import { Iris, activityTypeOf, defaultActivityObject, expandActorPath, summaryOf } from './vocabulary.ts';

const model = (name: string, options: Partial<ModelOptions<unknown, NotificationsSpec>> = {}): HostModel => ({
  name,
  label: name.split('.').at(-1) ?? name,
  options: { id: (o) => String((o as { id: unknown }).id), ...options },
  idOf: (o) => String((o as { id: unknown }).id),
});

describe('activity types', () => {
  test('follow the codename: the verb, its past tense or snake case; Create by default', () => {
    assert.equal(activityTypeOf('created'), 'Create');
    assert.equal(activityTypeOf('create'), 'Create');
    assert.equal(activityTypeOf('like'), 'Like');
    assert.equal(activityTypeOf('liked'), 'Like');
    assert.equal(activityTypeOf('Updated'), 'Update');
    assert.equal(activityTypeOf('deleted'), 'Delete');
    assert.equal(activityTypeOf('followed'), 'Follow');
    assert.equal(activityTypeOf('announced'), 'Announce');
    assert.equal(activityTypeOf('flagged'), 'Flag');
    assert.equal(activityTypeOf('left'), 'Leave');
    assert.equal(activityTypeOf('read'), 'Read');
    assert.equal(activityTypeOf('tentative_accept'), 'TentativeAccept');
    assert.equal(activityTypeOf('posted'), 'Create');
    assert.equal(activityTypeOf('on_hold'), 'Create');
  });

  test('a declared activityType wins', () => {
    assert.equal(activityTypeOf('created', 'Announce'), 'Announce');
  });
});

describe('activity objects', () => {
  const iris = new Iris('https://blog.example/ignored/path');

  test('the default is an Object with an id from url() and the name or title', () => {
    const article = model('blog.article', { url: (a) => `/articles/${(a as { id: string }).id}` });
    assert.deepEqual(defaultActivityObject(article, { id: 'hello', title: 'Hello' }, iris), { type: 'Object', id: 'https://blog.example/articles/hello', name: 'Hello' });
  });

  test('without url() the id is a urn:vox: URN and the name falls back to the label and id', () => {
    assert.deepEqual(defaultActivityObject(model('shop.order'), { id: 'a b' }, iris), { type: 'Object', id: 'urn:vox:shop.order:a%20b', name: 'order a b' });
  });

  test('actor paths expand like RFC 6570 simple expansion', () => {
    assert.equal(expandActorPath('/users/{identifier}', "o'neil (2)"), '/users/o%27neil%20%282%29');
  });

  test('summaries come from the activity, its object or a language map', () => {
    assert.equal(summaryOf({ summary: '<p>Hi</p>' }), '<p>Hi</p>');
    assert.equal(summaryOf({ summaryMap: { en: 'Hello' } }), 'Hello');
    assert.equal(summaryOf({ type: 'Announce', object: { summary: 'Inner' } }), 'Inner');
    assert.equal(summaryOf({ object: { content: 'Note text' } }), 'Note text');
    assert.equal(summaryOf({}), '');
  });
});

describe('composing an activity', () => {
  const user = model('auth.user', { actor: { path: '/users/{identifier}', identifier: (u) => (u as { id: string }).id, find: () => undefined } });
  const comment = model('blog.comment', {
    notifications: { posted: 'A comment', liked: { description: 'Liked', activityType: 'Like' } },
    toActivity: (c) => ({ type: 'Note', content: (c as { body: string }).body }),
    url: (c) => `/comments/${(c as { id: number }).id}`,
  });
  const models = new Map([user, comment].map((m) => [m.name, m]));
  const host = { site: { baseUrl: 'https://blog.example' }, model: (name: string) => models.get(name), models: () => [...models.values()] } as unknown as BackendHost;
  const site = { host, iris: new Iris('https://blog.example') };
  const context = (codename: string): ComposeContext => ({
    notification: { id: `blog.comment.${codename}`, model: 'blog.comment', codename, description: '' },
    actorModel: 'auth.user',
    targetModel: null,
    object: { id: 7, body: 'Nice' },
    actor: { id: 'sam' },
    to: [{ name: 'Alan', protocol: 'activity', address: 'https://blog.example/users/alan' }],
  });

  test("type from the codename, actor's IRI, the model's toActivity with its url as id, the template as summary", () => {
    const payload = composeActivity({ subject: 'New comment', parts: { html: '<p>Sam said <b>Nice</b></p>' } }, context('posted'), site);
    const activity = payload.data?.activity as Record<string, unknown>;
    assert.equal(activity.type, 'Create');
    assert.equal(activity.actor, 'https://blog.example/users/sam');
    assert.deepEqual(activity.object, { type: 'Note', content: 'Nice', id: 'https://blog.example/comments/7' });
    assert.equal(activity.summary, '<p>Sam said <b>Nice</b></p>');
    assert.equal(activity.name, 'New comment');
    assert.deepEqual(activity.to, ['https://blog.example/users/alan']);
    assert.match(String(activity.id), /^https:\/\/blog\.example\/activities\/[0-9a-f-]{36}$/);
    assert.equal(payload.text, 'Sam said Nice');
  });

  test("the notification's declared activityType", () => {
    const activity = composeActivity({ subject: '', parts: { html: 'x' } }, context('liked'), site).data?.activity as Record<string, unknown>;
    assert.equal(activity.type, 'Like');
    assert.equal('name' in activity, false);
  });

  test('a preview (no issue) shows the summary and carries no sendable activity', () => {
    const payload = composeActivity({ subject: 'S', parts: { html: '<p>Preview</p>' } }, undefined, site);
    assert.equal(payload.html, '<p>Preview</p>');
    assert.equal((payload.data?.activity as Record<string, unknown>).id, undefined);
  });
});
