// Actors as Mastodon finds them (docs/activities.md, "Registering actors"): a handle of the model's
// choosing, found through WebFinger in any case, and checked: valid as Mastodon requires and
// unique, or the request fails with a coded error instead of serving an actor Mastodon refuses.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { activity, validateHandle } from '../src/activitypub/index.ts';
import { createVox, ErrorCode, VoxError } from '../src/index.ts';
import { AS, startApp, type App, type User } from './support/activity-app.ts';

const withCode = (code: string) => (error: unknown) => {
  assert.ok(error instanceof VoxError, `expected a VoxError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return true;
};

async function appOf(t: TestContext, users: User[]): Promise<App> {
  const dir = await mkdtemp(join(tmpdir(), 'vox-actors-'));
  const app = await startApp({ dialect: 'sqlite', path: join(dir, 'a.db') }, users);
  t.after(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });
  return app;
}

const webfinger = (app: App, resource: string) => new Request(`${app.url}/.well-known/webfinger?resource=${encodeURIComponent(resource)}`);
const actorRequest = (app: App, identifier: string) => new Request(app.actorIri(identifier), { headers: { accept: AS } });

describe('actors as Mastodon finds them', () => {
  test("WebFinger finds an actor by the model's handle, in any case, not by its identifier; the actor document has the model's name, bio, page and picture", async (t) => {
    const app = await appOf(t, [
      { username: '7', handle: 'alan', name: 'Alan Author', bio: '<p>Writes.</p>', avatar: true },
      { username: '8', handle: 'bea.b-c', name: 'Bea' },
    ]);
    const host = new URL(app.url).host;
    const self = async (resource: string) => {
      const response = await fetch(webfinger(app, resource));
      if (response.status !== 200) return response.status;
      return ((await response.json()) as { links: { rel: string; href: string }[] }).links.find((l) => l.rel === 'self')?.href;
    };
    assert.equal(await self(`acct:alan@${host}`), app.actorIri('7'));
    assert.equal(await self(`acct:ALAN@${host}`), app.actorIri('7'), 'Mastodon matches handles in any case');
    assert.equal(await self(`acct:bea.b-c@${host}`), app.actorIri('8'));
    assert.equal(await self(`acct:7@${host}`), 404, 'the identifier is no handle');
    assert.equal(await self(`acct:nobody@${host}`), 404);
    // Looked up by its IRI, the actor names its handle.
    const byIri = (await (await fetch(webfinger(app, app.actorIri('7')))).json()) as { aliases: string[] };
    assert.ok(byIri.aliases.includes(`acct:alan@${host}`), JSON.stringify(byIri.aliases));

    const alan = (await (await fetch(actorRequest(app, '7'))).json()) as Record<string, unknown>;
    assert.equal(alan.preferredUsername, 'alan');
    assert.equal(alan.name, 'Alan Author');
    assert.equal(alan.summary, '<p>Writes.</p>');
    assert.equal(alan.url, `${app.url}/people/7`);
    assert.deepEqual(alan.icon, { type: 'Image', url: `${app.url}/avatars/7.png` });
    const bea = (await (await fetch(actorRequest(app, '8'))).json()) as Record<string, unknown>;
    assert.equal(bea.preferredUsername, 'bea.b-c');
    assert.equal(bea.icon, undefined, 'no picture, no icon');
  });

  test('validateHandle accepts what Mastodon accepts, in lowercase', () => {
    for (const handle of ['alan', 'a_b', '7', 'bea.b-c', 'x'.repeat(64)]) assert.equal(validateHandle(handle), undefined, handle);
    for (const handle of ['', 'Alan', 'a b', '.alan', 'alan.', 'a..b', 'al@n', 'äsa', 'x'.repeat(65)]) assert.equal(typeof validateHandle(handle), 'string', handle);
  });

  test('an invalid handle fails with VOX_INVALID_HANDLE, a shared one with VOX_DUPLICATE_HANDLE, instead of serving an actor Mastodon refuses', async (t) => {
    // The users of the test before, whose keys are made already.
    const app = await appOf(t, [
      { username: '7', handle: 'Not Valid', name: 'Bad' },
      { username: '8', handle: 'twin', name: 'First' },
      { username: '9', handle: 'twin', name: 'Second' },
    ]);
    await assert.rejects(app.ap.fetch(actorRequest(app, '7')), withCode(ErrorCode.invalidHandle));
    // findByHandle finds the first: the second's handle leads elsewhere.
    await assert.rejects(app.ap.fetch(actorRequest(app, '9')), withCode(ErrorCode.duplicateHandle));
    assert.equal((await app.ap.fetch(actorRequest(app, '8'))).status, 200);
    // Over HTTP the app's server answers the failure with a 500: no actor document goes out.
    assert.equal((await fetch(actorRequest(app, '9'))).status, 500);
  });

  test('a handle that actors of two models share fails WebFinger with VOX_DUPLICATE_HANDLE; handle without findByHandle fails at start with VOX_CONFIGURATION', async () => {
    const ap = activity();
    const vox = createVox({ database: { dialect: 'sqlite', path: ':memory:' }, backends: [ap.backend], site: { baseUrl: 'https://blog.example' } });
    try {
      vox.model('auth.user', {
        id: (u: { id: string; username: string }) => u.id,
        actor: { path: '/actors/{identifier}', identifier: (u) => u.id, find: (id) => (id === 'u1' ? { id, username: 'sam' } : undefined), handle: (u) => u.username, findByHandle: (h) => (h === 'sam' ? { id: 'u1', username: h } : undefined) },
      });
      // A bot whose handle is its identifier: `sam` too.
      vox.model('team.bot', { id: (b: { id: string }) => b.id, actor: { path: '/actors/{identifier}', identifier: (b) => b.id, find: (id) => (id === 'sam' ? { id } : undefined) } });
      await vox.migrate();
      await assert.rejects(ap.fetch(new Request('https://blog.example/.well-known/webfinger?resource=acct:sam@blog.example')), withCode(ErrorCode.duplicateHandle));
      await assert.rejects(ap.fetch(new Request('https://blog.example/actors/u1', { headers: { accept: AS } })), withCode(ErrorCode.duplicateHandle));
    } finally {
      await vox.close();
    }

    const half = activity();
    const other = createVox({ database: { dialect: 'sqlite', path: ':memory:' }, backends: [half.backend], site: { baseUrl: 'https://blog.example' } });
    try {
      other.model('auth.user', { id: (u: { id: string }) => u.id, actor: { path: '/users/{identifier}', identifier: (u) => u.id, find: () => undefined, handle: (u) => u.id } });
      await assert.rejects(half.start(), withCode(ErrorCode.configuration));
    } finally {
      await other.close();
    }
  });
});
