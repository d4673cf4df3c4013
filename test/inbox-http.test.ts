import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ErrorCode, toNodeHandler, type InboxHandler } from '../src/index.ts';
import { databases } from './support/databases.ts';
import { inboxApp, type InboxApp, type Member } from './support/inbox-app.ts';
import { openEvents, type OpenEvents } from './support/sse.ts';
import { waitFor, withDeadline } from './support/wait.ts';

const SECRET = 'a-test-secret-of-at-least-32-characters!';
const FRONT_END = 'https://app.example.org';

for (const database of databases) {
  describe(`in-app inbox over HTTP on ${database.name}`, { skip: database.skip }, () => {
    let app: InboxApp;
    let drop: () => Promise<void>;
    let handler: InboxHandler<Member>;
    let server: Server;
    let base: string;
    const streams: OpenEvents[] = [];

    beforeEach(async () => {
      const db = await database.create();
      drop = db.drop;
      app = await inboxApp(db.options);
      handler = app.vox.inboxHandler({
        basePath: '/inbox',
        model: app.Member,
        // The host app's session: a cookie naming the member.
        authenticate: (request) => app.members.find((m) => request.headers.get('cookie') === `member=${m.id}`),
        tokens: { secrets: [SECRET] },
        corsOrigins: [FRONT_END],
        heartbeatMs: 150,
      });
      server = createServer(toNodeHandler(handler));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as { port: number }).port}/inbox`;
    });
    afterEach(async () => {
      for (const stream of streams.splice(0)) stream.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await app.vox.close();
      await drop();
    });

    const open = async (path: string, headers: Record<string, string>) => {
      const stream = await openEvents(`${base}${path}`, headers);
      streams.push(stream);
      return stream;
    };
    const asMember = (id: number) => ({ cookie: `member=${id}` });

    test('the stream sends counts on connecting, then each new item and the counts, with heartbeats', async () => {
      const stream = await open('/stream', asMember(2));
      assert.equal(stream.response.status, 200);
      assert.match(stream.response.headers.get('content-type') ?? '', /^text\/event-stream/);
      const first = await stream.next((e) => e.event === 'counts');
      assert.deepEqual(JSON.parse(first.data), { unread: 0, unseen: 0 });
      assert.equal(stream.retry, 3000);

      const from = stream.events.length;
      await app.publish({ id: 1, title: 'Live', body: 'hello' });
      const item = await stream.next((e) => e.event === 'item', { from, timeoutMs: 1000 });
      const parsed = JSON.parse(item.data) as { id: number; title: string; html: string };
      assert.equal(parsed.title, 'Member 1 published Live');
      assert.equal(item.id, String(parsed.id));
      const counts = await stream.next((e) => e.event === 'counts', { from: stream.events.indexOf(item) });
      assert.deepEqual(JSON.parse(counts.data), { unread: 1, unseen: 1 });

      // Marking read elsewhere (another tab) updates the counts on this stream.
      const marked = await fetch(`${base}/items/${parsed.id}/read`, { method: 'POST', headers: asMember(2) });
      assert.equal(marked.status, 200);
      assert.deepEqual(await marked.json(), { marked: 1, counts: { unread: 0, unseen: 0 } });
      await stream.next((e) => e.event === 'counts' && JSON.parse(e.data).unread === 0, { from: stream.events.indexOf(counts) + 1 });
      await waitFor(() => stream.comments.includes(' heartbeat') || stream.comments.includes('heartbeat'), { what: 'a heartbeat', timeoutMs: 2000 });
      assert.equal(handler.openStreams, 1);
      stream.close();
      await waitFor(() => handler.openStreams === 0, { what: 'the stream to close on the server' });
    });

    test('Last-Event-ID resumes: a reconnecting client first gets the items it missed', async () => {
      await app.publish({ id: 1, title: 'Seen', body: '' });
      const items = (await app.vox.inbox(app.Member, app.members[1]!).list()).items;
      const lastSeen = items[0]!.id;
      await app.publish({ id: 2, title: 'Missed A', body: '' });
      await app.publish({ id: 3, title: 'Missed B', body: '' });
      const stream = await open('/stream', { ...asMember(2), 'Last-Event-ID': String(lastSeen) });
      const counts = await stream.next((e) => e.event === 'counts');
      const missed = stream.events.slice(0, stream.events.indexOf(counts)).filter((e) => e.event === 'item').map((e) => JSON.parse(e.data).title);
      assert.deepEqual(missed, ['Member 1 published Missed A', 'Member 1 published Missed B']);
      assert.deepEqual(JSON.parse(counts.data), { unread: 3, unseen: 3 });
      assert.equal(Number(counts.id) > lastSeen, true);
      // The polling fallback answers the same.
      const changes = await (await fetch(`${base}/changes?after=${lastSeen}`, { headers: asMember(2) })).json();
      assert.deepEqual(changes.items.map((i: { title: string }) => i.title), missed);
      assert.deepEqual(changes.counts, { unread: 3, unseen: 3 });
    });

    test('JSON endpoints: list with filter and cursor, counts, marks; another recipient\'s item answers 404', async () => {
      for (let id = 1; id <= 3; id++) await app.publish({ id, title: `P${id}`, body: '' });
      const page = await (await fetch(`${base}/items?limit=2`, { headers: asMember(2) })).json();
      assert.deepEqual(page.items.map((i: { title: string }) => i.title.slice(-2)), ['P3', 'P2']);
      assert.deepEqual(page.counts, { unread: 3, unseen: 3 });
      const rest = await (await fetch(`${base}/items?limit=2&cursor=${page.nextCursor}`, { headers: asMember(2) })).json();
      assert.deepEqual(rest.items.map((i: { title: string }) => i.title.slice(-2)), ['P1']);
      const seen = await fetch(`${base}/mark`, { method: 'POST', headers: { ...asMember(2), 'Content-Type': 'application/json' }, body: JSON.stringify({ as: 'seen', all: true }) });
      assert.deepEqual(await seen.json(), { marked: 3, counts: { unread: 3, unseen: 0 } });
      const unread = await (await fetch(`${base}/items?filter=unread`, { headers: asMember(2) })).json();
      assert.equal(unread.items.length, 3);

      const theirs = (await app.vox.inbox(app.Member, app.members[2]!).list()).items[0]!;
      const get = await fetch(`${base}/items/${theirs.id}`, { headers: asMember(2) });
      assert.equal(get.status, 404);
      assert.equal((await get.json()).error.code, ErrorCode.notFound);
      const mark = await fetch(`${base}/items/${theirs.id}/read`, { method: 'POST', headers: asMember(2) });
      assert.equal(mark.status, 404);
      const many = await fetch(`${base}/mark`, { method: 'POST', headers: { ...asMember(2), 'Content-Type': 'application/json' }, body: JSON.stringify({ as: 'read', ids: [page.items[0].id, theirs.id] }) });
      assert.equal(many.status, 404);
      assert.equal((await app.vox.inbox(app.Member, app.members[2]!).get(theirs.id))?.readAt, null);
      assert.deepEqual(await app.vox.inbox(app.Member, app.members[1]!).counts(), { unread: 3, unseen: 0 }, 'nothing was marked');

      const bad = await fetch(`${base}/items?filter=new`, { headers: asMember(2) });
      assert.equal(bad.status, 400);
      assert.equal((await bad.json()).error.code, ErrorCode.invalidInput);
      const big = await fetch(`${base}/mark`, { method: 'POST', headers: { ...asMember(2), 'Content-Type': 'application/json' }, body: JSON.stringify({ as: 'read', ids: Array(600_000).fill(1) }) });
      assert.equal(big.status, 413);
      assert.equal((await big.json()).error.code, ErrorCode.bodyTooLarge);
    });

    test('cookie-authenticated writes must come from the site; nobody signed in answers 401', async () => {
      await app.publish({ id: 1, title: 'P', body: '' });
      const [item] = (await app.vox.inbox(app.Member, app.members[1]!).list()).items;
      const forged = await fetch(`${base}/items/${item!.id}/read`, { method: 'POST', headers: { ...asMember(2), Origin: 'https://evil.example' } });
      assert.equal(forged.status, 403);
      assert.equal((await forged.json()).error.code, ErrorCode.csrf);
      assert.equal((await app.vox.inbox(app.Member, app.members[1]!).get(item!.id))?.readAt, null);
      const anonymous = await fetch(`${base}/counts`);
      assert.equal(anonymous.status, 401);
      assert.equal((await anonymous.json()).error.code, ErrorCode.unauthorized);
      const stream = await open('/stream', {});
      assert.equal(stream.response.status, 401);
    });

    test('recipient tokens: good ones work across origins with CORS for configured origins only; bad or expired ones answer 401', async () => {
      await app.publish({ id: 1, title: 'P', body: '' });
      const token = await handler.token(app.members[1]!);
      const counts = await fetch(`${base}/counts`, { headers: { Authorization: `Bearer ${token}`, Origin: FRONT_END } });
      assert.equal(counts.status, 200);
      assert.equal(counts.headers.get('access-control-allow-origin'), FRONT_END);
      assert.deepEqual(await counts.json(), { unread: 1, unseen: 1 });
      const other = await fetch(`${base}/counts`, { headers: { Authorization: `Bearer ${token}`, Origin: 'https://evil.example' } });
      assert.equal(other.headers.get('access-control-allow-origin'), null, 'no CORS for an origin not configured');
      const preflight = await fetch(`${base}/mark`, { method: 'OPTIONS', headers: { Origin: FRONT_END, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' } });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), FRONT_END);
      assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/);
      const refused = await fetch(`${base}/mark`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' } });
      assert.equal(refused.headers.get('access-control-allow-origin'), null);
      // A token-authenticated write from the configured origin needs no cookie and passes.
      const marked = await fetch(`${base}/mark`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, Origin: FRONT_END, 'Content-Type': 'application/json' }, body: JSON.stringify({ as: 'read', all: true }) });
      assert.deepEqual(await marked.json(), { marked: 1, counts: { unread: 0, unseen: 0 } });
      // EventSource cannot send headers: the stream takes the token in the query.
      const stream = await open(`/stream?token=${encodeURIComponent(token)}`, { Origin: FRONT_END });
      assert.equal(stream.response.status, 200);
      assert.equal(stream.response.headers.get('access-control-allow-origin'), FRONT_END);
      await stream.next((e) => e.event === 'counts');

      const tampered = token.slice(0, -2) + (token.at(-2) === 'A' ? 'B' : 'A') + token.slice(-1);
      assert.notEqual(tampered, token);
      for (const bad of [tampered, 'v1.e30.AAAA', 'nonsense', await handler.token(app.members[1]!, { ttlSeconds: 1 })]) {
        if (bad.startsWith('v1.') && bad !== tampered && bad !== 'v1.e30.AAAA') await new Promise((resolve) => setTimeout(resolve, 2100));
        const response = await fetch(`${base}/counts`, { headers: { Authorization: `Bearer ${bad}` } });
        assert.equal(response.status, 401, `token ${bad.slice(0, 20)}…`);
        assert.equal((await response.json()).error.code, ErrorCode.unauthorized);
      }
      const badStream = await open(`/stream?token=x`, {});
      assert.equal(badStream.response.status, 401);
      // A token's stream ends when the token expires.
      const short = await open(`/stream?token=${encodeURIComponent(await handler.token(app.members[1]!, { ttlSeconds: 2 }))}`, {});
      await short.next((e) => e.event === 'counts');
      await withDeadline(short.ended, 4000, 'the stream to end with its token');
      await waitFor(() => handler.openStreams === 1, { what: 'only the long-lived stream open' });
    });

    test('a stream whose client stops reading is closed once it holds maxBacklogBytes; one that reads gets every item', async () => {
      assert.throws(() => app.vox.inboxHandler({ model: app.Member, authenticate: () => undefined, maxBacklogBytes: 10 }), (e: unknown) => (e as { code?: string }).code === ErrorCode.configuration);
      const stalled = app.vox.inboxHandler({ basePath: '/inbox', model: app.Member, authenticate: (request) => app.members.find((m) => request.headers.get('cookie') === `member=${m.id}`), maxBacklogBytes: 8192 });
      // A client that never reads: the handler's Response, its body left alone.
      const response = await stalled.fetch(new Request('http://127.0.0.1/inbox/stream', { headers: asMember(2) }));
      assert.equal(response.status, 200);
      const reading = await open('/stream', asMember(2));
      await reading.next((e) => e.event === 'counts');
      const body = 'A long post. '.repeat(150);
      for (let id = 1; id <= 8; id++) await app.publish({ id, title: `Post ${id}`, body });
      for (let id = 1; id <= 8; id++) await reading.next((e) => e.event === 'item' && JSON.parse(e.data).link === `/posts/${id}`);
      await waitFor(() => stalled.openStreams === 0, { what: 'the stalled stream closed' });
      // What it held is still there to read, and then it ends: at most the limit and one refresh more.
      const held = await withDeadline(response.text(), 4000, 'the stalled stream to end');
      const items = held.match(/^event: item$/gm) ?? [];
      assert.ok(items.length >= 1 && items.length < 8, `${items.length} items held`);
      assert.ok(Buffer.byteLength(held) < 8192 + 2 * Buffer.byteLength(body) + 2048, `${Buffer.byteLength(held)} bytes held`);
      assert.equal(handler.openStreams, 1, 'the reading client is still connected');
    });
  });
}
