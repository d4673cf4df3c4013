// ActivityPub promises of docs/activities.md beyond the happy path: gone inboxes lose their followers,
// duplicate deliveries are dropped, refused follows get a Reject, and the feed API's limits.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { signRequest } from '@fedify/fedify';
import { AS, eventually, startApp, type App, type Post, type StartOptions, type User } from './support/activity-app.ts';

const alice: User = { username: 'alice', name: 'Alice Author' };
const carol: User = { username: 'carol', name: 'Carol Critic' };
const bob: User = { username: 'bob', name: 'Bob Reader' };
const post: Post = { id: 1, title: 'Federation', body: 'Hello, fediverse.', author: alice };

/** A request as a server received it. */
interface Received {
  readonly method: string;
  readonly path: string;
  readonly body: Record<string, unknown> | undefined;
}

// The tests are independent, each with its own apps in its own directory.
describe('ActivityPub delivery and inbox rules', () => {
  /** Starts apps for one test, each on its own SQLite file, closed with the test; what each server receives is kept in `received`. */
  async function starter(t: TestContext) {
    const dir = await mkdtemp(join(tmpdir(), 'vox-federation-'));
    const apps: App[] = [];
    t.after(async () => {
      for (const app of apps) await app.close();
      await rm(dir, { recursive: true, force: true });
    });
    return async (name: string, users: User[], options: StartOptions = {}): Promise<App & { received: Received[] }> => {
      const received: Received[] = [];
      const app = await startApp({ dialect: 'sqlite', path: join(dir, `${name}.db`) }, users, {
        ...options,
        async intercept(request) {
          const text = request.method === 'POST' ? await request.clone().text() : '';
          received.push({ method: request.method, path: new URL(request.url).pathname, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined });
          return options.intercept?.(request);
        },
      });
      apps.push(app);
      return Object.assign(app, { received });
    };
  }

  async function follows(follower: App, identifier: string, followed: App, target: string): Promise<void> {
    await follower.ap.follow(identifier, followed.actorIri(target));
    await eventually(async () => assert.deepEqual((await follower.ap.following(identifier)).map((f) => f.status), ['accepted']));
  }

  test('an inbox that answers 404 or 410 loses its followers; the others keep theirs', async (t) => {
    const start = await starter(t);
    const a = await start('a', [alice, carol]);
    const gone = new Map<string, number>();
    /** A server whose inboxes answer the status in `gone` for its host, once set. */
    const stopped = { intercept: (request: Request) => (gone.has(new URL(request.url).host) && request.method === 'POST' ? new Response('gone', { status: gone.get(new URL(request.url).host) }) : undefined) };
    const notFound = await start('b404', [bob], stopped);
    const removed = await start('b410', [bob], stopped);
    const kept = await start('bok', [bob]);
    await Promise.all([follows(notFound, 'bob', a, 'alice'), follows(removed, 'bob', a, 'alice'), follows(kept, 'bob', a, 'alice')]);
    assert.equal((await a.ap.followers('alice')).length, 3);

    gone.set(new URL(notFound.url).host, 404);
    gone.set(new URL(removed.url).host, 410);
    await a.notifyPost(post, 'created', alice);
    await eventually(async () => assert.deepEqual((await a.ap.followers('alice')).map((f) => f.follower), [kept.actorIri('bob')]));
    await eventually(async () => assert.equal((await kept.ap.inbox('bob').list()).length, 1));
    for (const app of [notFound, removed]) {
      assert.ok(app.received.some((r) => r.method === 'POST' && r.body?.type === 'Create'), 'the Create was tried at the gone inbox');
      assert.deepEqual(await app.ap.inbox('bob').list(), []);
    }
  });

  test('the same activity delivered twice is stored once; one addressed to nobody here is not stored; an Undo takes one back', async (t) => {
    const start = await starter(t);
    const a = await start('a', [alice]);
    const b = await start('b', [bob]);
    const context = (await b.ap.federation()).createContext(new URL(b.url), undefined);
    const [key] = await context.getActorKeyPairs('bob');
    assert.ok(key);
    /** POSTs an activity of Bob's, addressed to Alice, signed with Bob's key, as B's server would. */
    const deliver = async (id: string, content: string, to = a.actorIri('alice')) => {
      const body = JSON.stringify({
        '@context': 'https://www.w3.org/ns/activitystreams',
        id: `${b.url}/activities/${id}`,
        type: 'Create',
        actor: b.actorIri('bob'),
        to: [to],
        object: { id: `${b.url}/notes/${id}`, type: 'Note', attributedTo: b.actorIri('bob'), to: [to], content },
      });
      return post(body);
    };
    const post = async (body: string) => {
      const request = await signRequest(new Request(`${a.actorIri('alice')}/inbox`, { method: 'POST', headers: { 'content-type': AS }, body }), key.privateKey, key.keyId, { spec: 'draft-cavage-http-signatures-12' });
      return (await fetch(request)).status;
    };
    assert.ok([await deliver('twice', 'Once only'), await deliver('twice', 'Once only')].every((status) => status >= 200 && status < 300));
    // Alice does not follow Bob, and this one names nobody of A's: it is nobody's here.
    assert.ok((await deliver('public', 'To the world', 'https://www.w3.org/ns/activitystreams#Public')) < 300);
    // Incoming activities are processed in order: once the next one is in, the ones before were handled.
    assert.ok((await deliver('after', 'Next')) < 300);
    await eventually(async () => assert.ok((await a.ap.inbox('alice').list()).some((i) => i.activityId === `${b.url}/activities/after`)));
    const items = await a.ap.inbox('alice').list();
    assert.deepEqual(items.map((i) => i.activityId).sort(), [`${b.url}/activities/after`, `${b.url}/activities/twice`]);

    // Bob takes his first note back.
    const undo = { '@context': 'https://www.w3.org/ns/activitystreams', id: `${b.url}/activities/undo-twice`, type: 'Undo', actor: b.actorIri('bob'), to: [a.actorIri('alice')], object: `${b.url}/activities/twice` };
    assert.ok((await post(JSON.stringify(undo))) < 300);
    await eventually(async () => assert.deepEqual((await a.ap.inbox('alice').list()).map((i) => i.activityId), [`${b.url}/activities/after`]));
  });

  test('a browser asking for an actor page goes to the app; what the endpoints do not serve is a 404 without next', async (t) => {
    const start = await starter(t);
    const a = await start('a', [alice]);
    const html = await a.ap.fetch(new Request(a.actorIri('alice'), { headers: { accept: 'text/html' } }), async () => new Response('profile page'));
    assert.equal(await html.text(), 'profile page');
    const json = await a.ap.fetch(new Request(a.actorIri('alice'), { headers: { accept: AS } }), async () => new Response('profile page'));
    assert.equal(((await json.json()) as { type: string }).type, 'Person');
    assert.equal((await a.ap.fetch(new Request(`${a.url}/about`))).status, 404);
    assert.equal(await (await a.ap.fetch(new Request(`${a.url}/about`), async () => new Response('about'))).text(), 'about');
  });

  test('acceptFollow refusing a follow answers Reject, and records no follower', async (t) => {
    const start = await starter(t);
    const asked: unknown[] = [];
    const a = await start('a', [alice], {
      acceptFollow: (follow) => {
        asked.push(follow);
        return false;
      },
    });
    const b = await start('b', [bob]);
    const record = await b.ap.follow('bob', a.actorIri('alice'));
    assert.equal(record.status, 'pending');
    // The Reject reaches B, which forgets the follow.
    await eventually(async () => assert.ok(b.received.some((r) => r.method === 'POST' && r.body?.type === 'Reject')));
    await eventually(async () => assert.deepEqual(await b.ap.following('bob'), []));
    const reject = b.received.find((r) => r.body?.type === 'Reject')?.body;
    assert.equal(reject?.actor, a.actorIri('alice'));
    assert.equal((reject?.object as { type?: string; actor?: string } | undefined)?.type, 'Follow');
    assert.ok(!b.received.some((r) => r.body?.type === 'Accept'), 'no Accept was sent');
    assert.deepEqual(asked, [{ actor: 'alice', follower: b.actorIri('bob') }]);
    assert.deepEqual(await a.ap.followers('alice'), []);
  });

  test('the feed gives 20 items by default, 1 to 100 on request, pages with before, and refuses a limit that is not a whole number', async (t) => {
    const start = await starter(t);
    const a = await start('a', [alice, carol]);
    for (let id = 1; id <= 101; id++) await a.notifyPost({ ...post, id, title: `Post ${id}` }, 'liked', carol);
    const feed = (query: string) => fetch(`${a.url}/activity/feed${query}`, { headers: { 'x-user': 'alice' } });
    const items = async (query: string) => ((await (await feed(query)).json()) as { items: { id: number; summaryText: string }[]; unread: number }).items;

    const response = await feed('');
    assert.equal(response.headers.get('cache-control'), 'no-store', 'never cached');
    const first = await items('');
    assert.equal(first.length, 20);
    assert.equal(first[0]?.summaryText, 'Carol Critic liked Post 101', 'newest first');
    assert.equal((await items('?limit=0')).length, 1);
    assert.equal((await items('?limit=100')).length, 100);
    assert.equal((await items('?limit=1000')).length, 100);
    assert.equal((await a.ap.inbox('alice').list({ limit: 1000 })).length, 100, 'the same in code');
    const next = await items(`?before=${first.at(-1)?.id}`);
    assert.equal(next[0]?.summaryText, 'Carol Critic liked Post 81');
    assert.ok(next.every((i) => i.id < (first.at(-1)?.id ?? 0)));
    for (const query of ['?limit=-1', '?limit=2.5', '?limit=ten', '?before=x']) assert.equal((await feed(query)).status, 400, query);
  });
});
