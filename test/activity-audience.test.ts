// Who may read what a Vox actor sent (docs/activities.md, "Who reads what"): public posts anyone,
// followers-only posts and answers to follows their audience alone, known by the request's HTTP
// signature; the outbox lists each reader the posts they may read; ids sent by earlier versions of
// Vox answer still.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { connect } from '../src/store/connect.ts';
import { migrations } from '../src/store/migrations/index.ts';
import { AS, eventually, startApp, type App, type Post, type User } from './support/activity-app.ts';
import { AS_CONTEXT, startFakeMastodon, type FakeMastodon } from './support/mastodon.ts';

const alice: User = { username: 'alice', name: 'Alice Author' };
const post: Post = { id: 1, title: 'Federation', body: 'Hello, fediverse.', author: alice };
type Json = Record<string, unknown>;

/** Alice's app and two Mastodon accounts: Mona, who follows Alice, and Eve, who does not. */
async function setUp(t: TestContext, database?: string): Promise<{ app: App; mona: FakeMastodon; eve: FakeMastodon }> {
  const dir = database ? undefined : await mkdtemp(join(tmpdir(), 'vox-audience-'));
  const app = await startApp({ dialect: 'sqlite', path: database ?? join(dir ?? '', 'a.db') }, [alice]);
  const [mona, eve] = await Promise.all([startFakeMastodon('mona'), startFakeMastodon('eve')]);
  t.after(async () => {
    await app.close();
    await Promise.all([mona.close(), eve.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const follow = { '@context': AS_CONTEXT, id: `${mona.url}/${randomUUID()}`, type: 'Follow', actor: mona.actor, object: app.actorIri('alice') };
  assert.equal((await mona.post(`${app.actorIri('alice')}/inbox`, follow)).status, 202);
  await eventually(async () => assert.ok(mona.inbox.some((d) => d.activity.type === 'Accept')));
  return { app, mona, eve };
}

/** The status each reader gets at `iri`: anonymous, the follower Mona, the stranger Eve. */
async function statuses(iri: string, mona: FakeMastodon, eve: FakeMastodon): Promise<{ anonymous: number; follower: number; stranger: number }> {
  const anonymous = (await fetch(iri, { headers: { accept: AS } })).status;
  return { anonymous, follower: (await mona.get(iri)).status, stranger: (await eve.get(iri)).status };
}

async function outboxOf(outbox: string, get: (url: string) => Promise<Response>): Promise<string[]> {
  const collection = (await (await get(outbox)).json()) as { totalItems: number; first: string };
  const page = (await (await get(collection.first)).json()) as { orderedItems?: unknown[] };
  const items = (page.orderedItems ?? []).map((item) => (typeof item === 'string' ? item : String((item as Json).id)));
  assert.equal(collection.totalItems, items.length);
  return items;
}

describe('who may read what a Vox actor sent', () => {
  test('a public post answers anyone, one for followers only its followers, an Accept its follower; the outbox lists each reader the posts they may read', async (t) => {
    const { app, mona, eve } = await setUp(t);
    await app.notifyPost(post, 'created', alice);
    await app.notifyPost(post, 'commented');
    const posts = await eventually(async () => {
      const created = mona.inbox.map((d) => d.activity).filter((a) => a.type === 'Create');
      assert.equal(created.length, 2);
      return created;
    });
    const forFollowers = posts.find((p) => String((p.object as Json).content).includes('published'));
    const unlisted = posts.find((p) => String((p.object as Json).content).includes('commented'));
    assert.ok(forFollowers && unlisted);
    for (const iri of [String(forFollowers.id), String((forFollowers.object as Json).id)]) {
      assert.deepEqual(await statuses(iri, mona, eve), { anonymous: 401, follower: 200, stranger: 401 }, iri);
    }
    for (const iri of [String(unlisted.id), String((unlisted.object as Json).id)]) {
      assert.deepEqual(await statuses(iri, mona, eve), { anonymous: 200, follower: 200, stranger: 200 }, iri);
    }
    const accept = mona.inbox.find((d) => d.activity.type === 'Accept')?.activity;
    assert.deepEqual(await statuses(String(accept?.id), mona, eve), { anonymous: 401, follower: 200, stranger: 401 });

    const outbox = `${app.actorIri('alice')}/outbox`;
    assert.deepEqual(await outboxOf(outbox, (url) => fetch(url, { headers: { accept: AS } })), [unlisted.id]);
    assert.deepEqual(await outboxOf(outbox, (url) => eve.get(url)), [unlisted.id]);
    assert.deepEqual(await outboxOf(outbox, (url) => mona.get(url)), [unlisted.id, forFollowers.id], 'posts only, not the Accept');
  });

  test('ids that an earlier version sent still answer: a notification sent as it was, and an Announce of one', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'vox-legacy-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const database = join(dir, 'a.db');
    // The database as the version before migration 0005 left it, with what it had sent: its URL
    // is known once the app listens, so the rows name a placeholder origin, set below.
    const connection = connect({ dialect: 'sqlite', path: database });
    const db = connection.db;
    const before = Object.entries(migrations('sqlite')).filter(([name]) => name < '0005');
    const earlier = await new Migrator({ db, provider: { getMigrations: async () => Object.fromEntries(before) }, migrationTableName: 'vox_migrations', migrationLockTableName: 'vox_migrations_lock' }).migrateToLatest();
    assert.equal(earlier.error, undefined);
    const own = `ORIGIN/activities/${randomUUID()}`;
    const announced = `ORIGIN/activities/${randomUUID()}`;
    const followers = 'ORIGIN/users/alice/followers';
    const rows = [
      { activity_id: own, activity: { id: own, type: 'Create', actor: 'ORIGIN/users/alice', object: { type: 'Object', id: 'ORIGIN/posts/1', name: 'Federation' }, summary: '<p>Own</p>', to: [followers] } },
      {
        activity_id: `${announced}/announces/alice`,
        activity: { id: `${announced}/announces/alice`, type: 'Announce', actor: 'ORIGIN/users/alice', object: { id: announced, type: 'Create', summary: '<p>Shared</p>', object: { type: 'Note', content: 'A comment' } }, to: [followers] },
      },
    ];
    for (const row of rows) {
      await sql`insert into vox_activity_outbox (actor, activity_id, activity, created_at) values ('alice', ${row.activity_id}, ${JSON.stringify(row.activity)}, ${new Date().toISOString()})`.execute(db);
    }
    await connection.close();

    // The new version starts on it, migrates, and learns its origin.
    const { app, mona, eve } = await setUp(t, database);
    const fix = connect({ dialect: 'sqlite', path: database });
    await sql`update vox_activity_outbox set activity_id = replace(activity_id, 'ORIGIN', ${app.url}), activity = replace(activity, 'ORIGIN', ${app.url}), object_id = replace(object_id, 'ORIGIN', ${app.url}), source_id = replace(source_id, 'ORIGIN', ${app.url})`.execute(fix.db);
    await fix.close();
    const at = (iri: string) => iri.replace('ORIGIN', app.url);
    for (const iri of [own, `${announced}/announces/alice`, announced].map(at)) {
      assert.deepEqual(await statuses(iri, mona, eve), { anonymous: 401, follower: 200, stranger: 401 }, iri);
      assert.equal(((await (await mona.get(iri)).json()) as Json).id, iri);
    }
    assert.equal(((await (await mona.get(at(announced))).json()) as Json).summary, '<p>Shared</p>');
  });
});
