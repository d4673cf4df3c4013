// ActivityPub between two Vox apps (docs/activities.md). Each test starts its own pair, so that none
// depends on what an earlier one left behind; the steps a test needs first are named helpers.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { generateCryptoKeyPair, signRequest } from '@fedify/fedify';
import { Read } from '@fedify/vocab';
import { activity, type ActivityPub } from '../src/activitypub/index.ts';
import { createVox } from '../src/index.ts';
import { AS, eventually, startApp, type App, type Post, type User } from './support/activity-app.ts';
import { databases } from './support/databases.ts';

// A keeps its data in a SQLite file; B in PostgreSQL when the tests have it, else in SQLite too.
const bDatabase = databases.find((d) => d.name === 'postgres' && !d.skip) ?? databases[0];

/** Two apps of one test, closed with it. */
interface Pair {
  readonly a: App;
  readonly b: App;
  readonly dir: string;
}

// Each test starts its own pair; the tests run two at a time, since most of their time is spent
// waiting for the other app.
describe(`ActivityPub between two Vox apps on 127.0.0.1 (A on SQLite, B on ${bDatabase?.name})`, { concurrency: 2 }, () => {
  const alice: User = { username: 'alice', name: 'Alice Author' };
  const carol: User = { username: 'carol', name: 'Carol Critic' };
  const bob: User = { username: 'bob', name: 'Bob Reader' };
  const post: Post = { id: 1, title: 'Federation <works>', body: 'Hello, fediverse.', author: alice };

  async function pair(t: TestContext): Promise<Pair> {
    const dir = await mkdtemp(join(tmpdir(), 'vox-activity-'));
    const a = await startApp({ dialect: 'sqlite', path: join(dir, 'a.db') }, [alice, carol]);
    const created = await (bDatabase as (typeof databases)[number]).create();
    const b = await startApp(created.options, [bob]);
    t.after(async () => {
      await a.close();
      await b.close();
      await created.drop();
      await rm(dir, { recursive: true, force: true });
    });
    return { a, b, dir };
  }

  /** B's user follows A's user, and A has accepted. */
  async function bobFollowsAlice({ a, b }: Pair): Promise<void> {
    await b.ap.follow('bob', a.actorIri('alice'));
    await eventually(async () => assert.deepEqual((await b.ap.following('bob')).map((f) => f.status), ['accepted']));
    assert.equal((await a.ap.followers('alice')).length, 1);
  }

  /** A's post is created by Alice, then liked by Carol, and both reached Bob. */
  async function createdAndLiked({ a, b }: Pair): Promise<void> {
    await a.notifyPost(post, 'created', alice);
    await a.notifyPost(post, 'liked', carol);
    await eventually(async () => assert.equal((await b.ap.inbox('bob').list()).length, 2));
  }

  test('serves actor documents with a public key, WebFinger and 404 for strangers', async (t) => {
    const { a } = await pair(t);
    const response = await fetch(a.actorIri('alice'), { headers: { accept: AS } });
    assert.equal(response.status, 200);
    const actor = (await response.json()) as Record<string, unknown> & { publicKey: { id: string; owner: string; publicKeyPem: string } };
    assert.equal(actor.type, 'Person');
    assert.equal(actor.id, a.actorIri('alice'));
    assert.equal(actor.name, 'Alice Author');
    assert.equal(actor.inbox, `${a.actorIri('alice')}/inbox`);
    assert.equal(actor.followers, `${a.actorIri('alice')}/followers`);
    assert.equal(actor.following, `${a.actorIri('alice')}/following`);
    assert.equal(actor.outbox, `${a.actorIri('alice')}/outbox`);
    assert.equal(actor.publicKey.owner, a.actorIri('alice'));
    assert.match(actor.publicKey.publicKeyPem, /^-----BEGIN PUBLIC KEY-----/);
    const again = (await (await fetch(a.actorIri('alice'), { headers: { accept: AS } })).json()) as typeof actor;
    assert.equal(again.publicKey.publicKeyPem, actor.publicKey.publicKeyPem, 'keys are generated once');

    const host = new URL(a.url).host;
    const finger = await fetch(`${a.url}/.well-known/webfinger?resource=${encodeURIComponent(`acct:alice@${host}`)}`);
    assert.equal(finger.status, 200);
    const links = ((await finger.json()) as { links: { rel: string; href?: string }[] }).links;
    assert.ok(links.some((l) => l.rel === 'self' && l.href === a.actorIri('alice')), JSON.stringify(links));

    assert.equal((await fetch(a.actorIri('nobody'), { headers: { accept: AS } })).status, 404);
  });

  test("B's user follows A's user with a signed Follow; A accepts and records it", async (t) => {
    const { a, b } = await pair(t);
    const record = await b.ap.follow('bob', a.actorIri('alice'));
    assert.equal(record.status, 'pending');
    const followers = await eventually(async () => {
      const list = await a.ap.followers('alice');
      assert.equal(list.length, 1);
      return list;
    });
    assert.equal(followers[0]?.follower, b.actorIri('bob'));
    await eventually(async () => assert.deepEqual((await b.ap.following('bob')).map((f) => [f.target, f.status]), [[a.actorIri('alice'), 'accepted']]));
    const collection = (await (await fetch(`${a.actorIri('alice')}/followers`, { headers: { accept: AS } })).json()) as { totalItems: number };
    assert.equal(collection.totalItems, 1);
  });

  test("A's notification lands in A's user's inbox and, signed, in B's user's inbox", async (t) => {
    const apps = await pair(t);
    const { a, b } = apps;
    await bobFollowsAlice(apps);
    await a.notifyPost(post, 'created', alice);
    const [local] = await a.ap.inbox('alice').list();
    assert.ok(local);
    assert.equal(local.type, 'Create');
    assert.equal(local.remote, false);
    assert.equal(local.actor, a.actorIri('alice'));
    assert.equal(local.object, `${a.url}/posts/1`);
    assert.equal(local.summaryText, 'Alice Author published Federation <works>');
    assert.equal(local.activity.name, 'Federation <works>');

    const remote = await eventually(async () => {
      const [item] = await b.ap.inbox('bob').list();
      assert.ok(item, 'the Create reached B');
      return item;
    });
    assert.equal(remote.type, 'Create');
    assert.equal(remote.remote, true);
    assert.equal(remote.activityId, local.activityId);
    assert.equal(remote.actor, a.actorIri('alice'));
    assert.equal(remote.object, `${a.url}/posts/1`);
    assert.equal(remote.summary, '<p>Alice Author published <em>Federation &lt;works&gt;</em></p>');
    assert.equal(remote.read, false);

    // What A shared with its followers is in the outbox, readable by them only.
    assert.equal((await fetch(`${a.actorIri('alice')}/outbox`, { headers: { accept: AS } })).status, 401);
    const loader = await (await b.ap.federation()).createContext(new URL(b.url), undefined).getDocumentLoader({ identifier: 'bob' });
    const outbox = (await loader(`${a.actorIri('alice')}/outbox`)).document as { totalItems: number };
    assert.equal(outbox.totalItems, 1);
  });

  test("another user's activity reaches followers as the followed actor's Announce", async (t) => {
    const apps = await pair(t);
    const { a, b } = apps;
    await bobFollowsAlice(apps);
    await a.notifyPost(post, 'liked', carol);
    const [local] = await a.ap.inbox('alice').list({ limit: 1 });
    assert.equal(local?.type, 'Like');
    assert.equal(local?.actor, a.actorIri('carol'));
    const announce = await eventually(async () => {
      const [item] = await b.ap.inbox('bob').list({ limit: 1 });
      assert.equal(item?.type, 'Announce');
      return item;
    });
    assert.equal(announce.actor, a.actorIri('alice'));
    assert.equal(announce.summaryText, 'Carol Critic liked Federation <works>');
    assert.equal((announce.activity.object as { type?: string }).type, 'Like');
  });

  test('a forged or unsigned activity is refused and changes nothing', async (t) => {
    const { a, b } = await pair(t);
    const inbox = `${a.actorIri('alice')}/inbox`;
    const before = { items: (await a.ap.inbox('alice').list()).length, followers: (await a.ap.followers('alice')).length };
    const forgedFollow = {
      '@context': 'https://www.w3.org/ns/activitystreams',
      id: `${b.url}/forged/${Date.now()}`,
      type: 'Follow',
      actor: b.actorIri('mallory'),
      object: a.actorIri('alice'),
    };
    const create = { ...forgedFollow, id: `${b.url}/forged/create`, type: 'Create', actor: b.actorIri('bob'), object: { type: 'Note', content: 'forged' } };

    const unsigned = await fetch(inbox, { method: 'POST', headers: { 'content-type': AS }, body: JSON.stringify(create) });
    assert.equal(unsigned.status, 401);

    // Signed, but not with bob's key: the signature names bob's key, whose owner never signed this.
    const stranger = await generateCryptoKeyPair('RSASSA-PKCS1-v1_5');
    const body = JSON.stringify(create);
    const forged = await signRequest(new Request(inbox, { method: 'POST', headers: { 'content-type': AS }, body }), stranger.privateKey, new URL(`${b.actorIri('bob')}#main-key`), { spec: 'draft-cavage-http-signatures-12' });
    assert.equal((await fetch(forged)).status, 401);

    const forgedFollowRequest = await signRequest(
      new Request(inbox, { method: 'POST', headers: { 'content-type': AS }, body: JSON.stringify(forgedFollow) }),
      stranger.privateKey,
      new URL(`${b.actorIri('bob')}#main-key`),
      { spec: 'draft-cavage-http-signatures-12' },
    );
    assert.equal((await fetch(forgedFollowRequest)).status, 401);

    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await a.ap.inbox('alice').list()).length, before.items);
    assert.equal((await a.ap.followers('alice')).length, before.followers);
  });

  test("a follower's Read marks the item read in the followed user's inbox", async (t) => {
    const apps = await pair(t);
    const { a, b } = apps;
    await bobFollowsAlice(apps);
    await createdAndLiked(apps);
    const [created] = (await a.ap.inbox('alice').list()).filter((item) => item.type === 'Create');
    assert.ok(created);
    assert.equal(await a.ap.inbox('alice').unreadCount(), 2);
    const ctx = (await b.ap.federation()).createContext(new URL(b.url), undefined);
    await ctx.sendActivity(
      { identifier: 'bob' },
      { id: new URL(a.actorIri('alice')), inboxId: new URL(`${a.actorIri('alice')}/inbox`) },
      new Read({ id: new URL(`${b.actorIri('bob')}#reads/1`), actor: new URL(b.actorIri('bob')), object: new URL(created.activityId) }),
    );
    await eventually(async () => assert.equal(await a.ap.inbox('alice').unreadCount(), 1));
    const items = await a.ap.inbox('alice').list();
    assert.deepEqual(
      items.map((i) => [i.type, i.read]),
      [
        ['Like', false],
        ['Create', true],
      ],
    );
  });

  test('the feed API: the signed-in user, newest first with a limit, unread count, mark read with CSRF protection', async (t) => {
    const apps = await pair(t);
    const { b } = apps;
    await bobFollowsAlice(apps);
    await createdAndLiked(apps);
    const feed = `${b.url}/activity/feed`;
    assert.equal((await fetch(feed)).status, 401);
    const page = (await (await fetch(`${feed}?limit=1`, { headers: { 'x-user': 'bob' } })).json()) as { items: { id: number; type: string }[]; unread: number };
    assert.deepEqual(
      page.items.map((i) => i.type),
      ['Announce'],
    );
    assert.equal(page.unread, 2);
    const older = (await (await fetch(`${feed}?limit=5&before=${page.items[0]?.id}`, { headers: { 'x-user': 'bob' } })).json()) as { items: { type: string }[] };
    assert.deepEqual(
      older.items.map((i) => i.type),
      ['Create'],
    );
    assert.deepEqual(await (await fetch(`${feed}/unread`, { headers: { 'x-user': 'bob' } })).json(), { unread: 2 });

    const markRead = (headers: Record<string, string>, body = JSON.stringify({ ids: [page.items[0]?.id] })) =>
      fetch(`${feed}/read`, { method: 'POST', headers: { 'x-user': 'bob', 'content-type': 'application/json', ...headers }, body });
    assert.equal((await markRead({ origin: 'https://evil.example' })).status, 403);
    assert.equal((await markRead({ 'sec-fetch-site': 'cross-site', origin: b.url })).status, 403);
    assert.equal((await markRead({})).status, 403, 'no Origin, no Sec-Fetch-Site');
    assert.equal((await markRead({ origin: b.url, 'content-type': 'text/plain' })).status, 415);
    assert.equal(await b.ap.inbox('bob').unreadCount(), 2);
    const marked = await markRead({ origin: b.url });
    assert.equal(marked.status, 200);
    assert.deepEqual(await marked.json(), { marked: 1, unread: 1 });
    assert.deepEqual(await (await markRead({ origin: b.url }, JSON.stringify({ all: true }))).json(), { marked: 1, unread: 0 });
    assert.equal((await fetch(feed, { headers: { 'x-user': 'nobody' } })).status, 401);
  });

  test('Undo Follow removes the follower', async (t) => {
    const apps = await pair(t);
    const { a, b } = apps;
    await bobFollowsAlice(apps);
    assert.equal(await b.ap.unfollow('bob', a.actorIri('alice')), true);
    assert.deepEqual(await b.ap.following('bob'), []);
    await eventually(async () => assert.deepEqual(await a.ap.followers('alice'), []));
    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
  });

  test("A's key pairs survive a restart: they are in the database, never regenerated", async (t) => {
    const { a, dir } = await pair(t);
    const key = async (ap: ActivityPub) => {
      const response = await ap.fetch(new Request(a.actorIri('alice'), { headers: { accept: AS } }));
      return ((await response.json()) as { publicKey: { publicKeyPem: string } }).publicKey.publicKeyPem;
    };
    const before = await key(a.ap);
    // A second process on the same database file, as after a restart.
    const ap = activity({ allowPrivateAddress: true });
    const vox = createVox({ database: { dialect: 'sqlite', path: join(dir, 'a.db') }, backends: [ap.backend], site: { baseUrl: a.url } });
    vox.model('auth.user', { id: (u: User) => u.username, actor: { path: '/users/{identifier}', identifier: (u) => u.username, find: (username) => a.users.find((u) => u.username === username) } });
    try {
      assert.equal(await key(ap), before);
      // This one was given no `authorize`: its feed API is off.
      assert.equal((await ap.fetch(new Request(`${a.url}/activity/feed`, { headers: { 'x-user': 'alice' } }))).status, 404);
    } finally {
      await vox.close();
    }
  });
});
