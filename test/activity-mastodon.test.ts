// Vox's ActivityPub as Mastodon sees it (docs/activities.md, "What Mastodon sees"): a stand-in
// Mastodon on 127.0.0.1 finds a Vox actor through WebFinger, follows it with a signed Follow,
// receives a notification, and fetches every id in it the way Mastodon does, checking what Mastodon
// checks before it shows a post.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { eventually, startApp, type Post, type User } from './support/activity-app.ts';
import { AS_CONTEXT, startFakeMastodon, type FakeMastodon } from './support/mastodon.ts';

const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';
// The user's identifier (its IRI is /users/7) is not its handle: people look for @alan.
const alan: User = { username: '7', handle: 'alan', name: 'Alan Author', bio: '<p>Writes about federation.</p>', avatar: true };
const post: Post = { id: 1, title: 'Federation', body: 'Hello, fediverse.', author: alan };

type Json = Record<string, unknown>;

/**
 * Fetches an id as Mastodon does (signed, with its Accept header) and checks what Mastodon checks of
 * the answer: 200, an ActivityPub content type, the ActivityStreams context, and the id it asked for.
 */
async function dereference(mastodon: FakeMastodon, iri: string): Promise<Json> {
  const response = await mastodon.get(iri);
  assert.equal(response.status, 200, `GET ${iri}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/(activity\+json|ld\+json)/, `content type of ${iri}`);
  const json = (await response.json()) as Json;
  const context = [json['@context']].flat();
  assert.ok(context.includes(AS_CONTEXT), `${iri} names the ActivityStreams context`);
  assert.equal(json.id, iri, 'the document has the id it was fetched by');
  return json;
}

const idOf = (value: unknown) => (typeof value === 'string' ? value : ((value as Json | undefined)?.id as string | undefined));
const hostOf = (iri: string) => new URL(iri).host;

describe('ActivityPub as Mastodon sees it', () => {
  test('finds the actor by its handle, follows it, and gets its notification as a post whose every id answers', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'vox-mastodon-'));
    const vox = await startApp({ dialect: 'sqlite', path: join(dir, 'vox.db') }, [alan]);
    const mastodon = await startFakeMastodon('mona');
    t.after(async () => {
      await vox.close();
      await mastodon.close();
      await rm(dir, { recursive: true, force: true });
    });
    const host = new URL(vox.url).host;
    const finger = async (acct: string) => {
      const response = await fetch(`${vox.url}/.well-known/webfinger?resource=${encodeURIComponent(acct)}`);
      assert.equal(response.status, 200, acct);
      assert.match(response.headers.get('content-type') ?? '', /^application\/jrd\+json/);
      return (await response.json()) as { subject: string; links: { rel: string; type?: string; href?: string }[] };
    };

    // Somebody on Mastodon searches for @alan@host.
    const jrd = await finger(`acct:alan@${host}`);
    assert.equal(jrd.subject, `acct:alan@${host}`);
    const self = jrd.links.find((l) => l.rel === 'self' && l.type === 'application/activity+json')?.href;
    assert.equal(self, vox.actorIri('7'));

    const actor = await dereference(mastodon, self);
    assert.equal(actor.type, 'Person');
    assert.equal(actor.preferredUsername, 'alan', 'Mastodon refuses an actor without preferredUsername');
    assert.equal(actor.name, 'Alan Author');
    assert.equal(actor.summary, '<p>Writes about federation.</p>');
    for (const field of ['inbox', 'outbox', 'followers', 'following']) assert.equal(hostOf(String(actor[field])), host, field);
    assert.equal((actor.endpoints as Json).sharedInbox, `${vox.url}/inbox`);
    const key = actor.publicKey as Json;
    assert.equal(key.owner, actor.id);
    assert.match(String(key.publicKeyPem), /^-----BEGIN PUBLIC KEY-----/);
    // Mastodon keeps the handle only if WebFinger of preferredUsername@host leads back to this actor.
    assert.equal((await finger(`acct:${String(actor.preferredUsername)}@${host}`)).links.find((l) => l.rel === 'self')?.href, actor.id);
    // The profile page and the picture Mastodon links to and shows.
    const page = await fetch(String(actor.url), { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await page.text(), /Alan Author/);
    assert.equal((actor.icon as Json).type, 'Image');
    const picture = await fetch(String((actor.icon as Json).url));
    assert.equal(picture.status, 200);
    assert.equal(picture.headers.get('content-type'), 'image/png');

    // Mona follows Alan, with a Follow signed the way Mastodon signs it.
    const follow = { '@context': AS_CONTEXT, id: `${mastodon.url}/${crypto.randomUUID()}`, type: 'Follow', actor: mastodon.actor, object: actor.id };
    assert.equal((await mastodon.post(String(actor.inbox), follow)).status, 202);
    const accept = await eventually(async () => {
      const found = mastodon.inbox.find((d) => d.activity.type === 'Accept');
      assert.ok(found, `an Accept, signed by Alan (refused: ${mastodon.refused.join(', ') || 'none'})`);
      return found.activity;
    });
    assert.equal(accept.actor, actor.id);
    assert.equal(idOf(accept.object), follow.id);
    assert.equal((await dereference(mastodon, String(accept.id))).type, 'Accept');

    // A notification without an actor: somebody commented on Alan's post.
    await vox.notifyPost(post, 'commented');
    const create = await eventually(async () => {
      const found = mastodon.inbox.find((d) => d.activity.type === 'Create');
      assert.ok(found, 'a Create, signed by Alan');
      return found.activity;
    });
    assert.equal(create.actor, actor.id);
    const note = create.object as Json;
    assert.equal(note.type, 'Note', 'Mastodon shows Notes');
    assert.equal(note.attributedTo, actor.id, 'Mastodon drops a Note it cannot attribute');
    assert.equal(hostOf(String(note.id)), host, "the Note's id is on its author's host");
    assert.equal(note.content, '<p>Somebody commented on <em>Federation</em></p>');
    assert.ok(typeof note.published === 'string');
    // Unlisted: Mastodon reads the visibility from to and cc (a value or an array of them).
    assert.deepEqual([note.to].flat(), [actor.followers]);
    assert.deepEqual([note.cc].flat(), [PUBLIC]);

    // Every id in it answers, as Mastodon would fetch them.
    const fetchedCreate = await dereference(mastodon, String(create.id));
    assert.equal(fetchedCreate.type, 'Create');
    assert.equal(idOf(fetchedCreate.object), note.id);
    const fetchedNote = await dereference(mastodon, String(note.id));
    assert.equal(fetchedNote.type, 'Note');
    assert.equal(fetchedNote.attributedTo, actor.id);
    assert.equal(fetchedNote.content, note.content);
    assert.equal((await dereference(mastodon, String(fetchedNote.attributedTo))).id, actor.id);
    for (const audience of [...[note.to, note.cc].flat(), ...[create.to, create.cc].flat()].filter((a) => typeof a === 'string' && a !== PUBLIC)) {
      assert.equal((await dereference(mastodon, String(audience))).type, 'OrderedCollection');
    }
    // The Note's url is the page of what it is about.
    assert.equal(note.url, `${vox.url}/posts/1`);
    assert.equal((await fetch(String(note.url), { headers: { accept: 'text/html' } })).status, 200);
    // And the post is on Alan's profile: his outbox lists it to anyone.
    const outbox = (await (await fetch(String(actor.outbox), { headers: { accept: 'application/activity+json' } })).json()) as { totalItems: number; first: string };
    assert.equal(outbox.totalItems, 1);
    const first = (await (await fetch(outbox.first, { headers: { accept: 'application/activity+json' } })).json()) as { orderedItems: Json[] };
    assert.deepEqual(first.orderedItems.map((item) => idOf(item)), [create.id]);
    assert.deepEqual(mastodon.refused.filter((r) => !r.includes('nobody')), [], 'every delivery was signed by its actor');
    assert.deepEqual(vox.errors, []);
  });
});
