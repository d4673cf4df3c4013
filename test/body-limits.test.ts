// Request bodies are bounded in every fetch(Request) handler Vox mounts (docs/activities.md,
// docs/admin.md): refused by Content-Length before a byte is read, and cut off while streaming.
// Before the limit, three unsigned 300 MB POSTs to an inbox took a process from 135 MB to 2 GB.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SessionInfo } from '../src/admin/api.ts';
import type { AdminOptions } from '../src/index.ts';
import { startApp, type App } from './support/activity-app.ts';
import { adminAppsForSuite } from './support/admin-app.ts';
import { rawRequest, type RawAnswer } from './support/raw-http.ts';

const MiB = 1024 * 1024;
const codeOf = (answer: RawAnswer) => (JSON.parse(answer.body) as { error: { code: string } }).error.code;
const activityJson = { 'content-type': 'application/activity+json' };

describe('the ActivityPub handler bounds request bodies', () => {
  let app: App;
  before(async () => {
    app = await startApp({ dialect: 'sqlite', path: ':memory:' }, [{ username: 'alice', name: 'Alice' }]);
  });
  after(() => app.close());

  test('an inbox POST whose Content-Length says 5 MB is answered 413 VOX_BODY_TOO_LARGE before its body is sent', async () => {
    for (const inbox of ['/inbox', '/users/alice/inbox']) {
      const answer = await rawRequest(`${app.url}${inbox}`, { headers: { ...activityJson, 'content-length': String(5 * MiB) }, body: 'withheld' });
      assert.equal(answer.status, 413, inbox);
      assert.equal(codeOf(answer), 'VOX_BODY_TOO_LARGE');
      assert.equal(answer.headers.connection, 'close');
    }
  });

  test('a 5 MB body streamed to the inbox without a Content-Length is cut off with 413', async () => {
    const answer = await rawRequest(`${app.url}/inbox`, { headers: activityJson, body: { chunks: 80, bytes: 64 * 1024 } });
    assert.equal(answer.status, 413);
    assert.equal(codeOf(answer), 'VOX_BODY_TOO_LARGE');
  });

  test('three clients streaming 300 MB each to the inbox are cut off early, and the memory of the process stays where it was', async () => {
    const before = process.memoryUsage().rss;
    let peak = before;
    const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    try {
      for (let i = 0; i < 3; i++) {
        const answer = await rawRequest(`${app.url}/inbox`, { headers: activityJson, body: { chunks: 300, bytes: MiB } });
        assert.equal(answer.status, 413);
        // What the sockets' buffers took in besides the 1 MiB read; unbounded, all 300 MB went.
        assert.ok(answer.bytesSent < 32 * MiB, `${Math.round(answer.bytesSent / MiB)} MB sent before the answer`);
      }
    } finally {
      clearInterval(sample);
    }
    // Unbounded, each body was held twice (Fedify clones the request to parse it): +1,600 MB.
    assert.ok(peak - before < 64 * MiB, `RSS grew by ${Math.round((peak - before) / MiB)} MB`);
  });

  test('the feed API is bounded too', async () => {
    const answer = await rawRequest(`${app.url}/activity/feed/read`, { headers: { 'content-type': 'application/json', 'x-user': 'alice', origin: app.url }, body: { chunks: 40, bytes: 64 * 1024 } });
    assert.equal(answer.status, 413);
    assert.equal(codeOf(answer), 'VOX_BODY_TOO_LARGE');
  });

  test('a request the handler passes on to next keeps its whole body, however large', async () => {
    const upload = new Request(`${app.url}/uploads`, { method: 'POST', body: new Uint8Array(5 * MiB) });
    const response = await app.ap.fetch(upload, async () => new Response(String((await upload.arrayBuffer()).byteLength)));
    assert.equal(await response.text(), String(5 * MiB));
  });
});

describe('activity({ maxBodyBytes })', () => {
  let app: App;
  before(async () => {
    app = await startApp({ dialect: 'sqlite', path: ':memory:' }, [{ username: 'alice', name: 'Alice' }], { maxBodyBytes: 1000 });
  });
  after(() => app.close());

  test('lowers the limit: a 2 KB activity is refused, and a small one reaches the signature check', async () => {
    const activity = (padding: number) => JSON.stringify({ '@context': 'https://www.w3.org/ns/activitystreams', type: 'Create', actor: 'https://remote.example/users/bob', summary: 'x'.repeat(padding) });
    const large = await rawRequest(`${app.url}/inbox`, { headers: activityJson, body: activity(2000) });
    assert.equal(large.status, 413);
    assert.equal(codeOf(large), 'VOX_BODY_TOO_LARGE');
    const small = await rawRequest(`${app.url}/inbox`, { headers: activityJson, body: activity(10) });
    assert.equal(small.status, 401, 'unsigned, so refused by the signature check rather than by size');
  });
});

describe('the admin bounds request bodies', () => {
  const start = adminAppsForSuite();
  async function signedIn(options: Partial<AdminOptions> = {}) {
    const app = await start(options);
    const cookie = `session=${app.signIn()}`;
    const session = (await (await fetch(`${app.url}/admin/api/session`, { headers: { cookie } })).json()) as SessionInfo;
    return { app, headers: { cookie, 'x-csrf-token': session.csrfToken, 'content-type': 'application/json' } };
  }

  test('a POST whose Content-Length says 5 MB is answered 413 before its body is sent; one streamed past 1 MiB is cut off', async () => {
    const { app, headers } = await signedIn();
    const declared = await rawRequest(`${app.url}/admin/api/site-contacts`, { headers: { ...headers, 'content-length': String(5 * MiB) }, body: 'withheld' });
    assert.equal(declared.status, 413);
    assert.equal(codeOf(declared), 'VOX_BODY_TOO_LARGE');
    const streamed = await rawRequest(`${app.url}/admin/api/templates/preview`, { headers, body: { chunks: 80, bytes: 64 * 1024 } });
    assert.equal(streamed.status, 413);
    assert.equal(codeOf(streamed), 'VOX_BODY_TOO_LARGE');
    assert.deepEqual((await app.blog.vox.siteContacts.list()).map((c) => c.name), ['Site admin']);
  });

  test('maxBodyBytes lowers the limit', async () => {
    const { app, headers } = await signedIn({ maxBodyBytes: 1000 });
    const contact = (name: string) => JSON.stringify({ name, protocol: 'email', address: 'x@example.org' });
    const large = await rawRequest(`${app.url}/admin/api/site-contacts`, { headers, body: contact('x'.repeat(1000)) });
    assert.equal(large.status, 413);
    assert.equal(codeOf(large), 'VOX_BODY_TOO_LARGE');
    assert.equal((await rawRequest(`${app.url}/admin/api/site-contacts`, { headers, body: contact('Editors') })).status, 201);
  });
});
