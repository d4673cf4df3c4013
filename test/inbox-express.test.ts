// The inbox handler mounted in Express as docs/inbox.md says: events stream through, JSON writes
// reach the handler before Express's body parser, and the component's script is served.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, test } from 'node:test';
import express from 'express';
import { toNodeHandler } from '../src/index.ts';
import { inboxApp, type InboxApp } from './support/inbox-app.ts';
import { openEvents } from './support/sse.ts';

let app: InboxApp;
let server: Server;
let base: string;
before(async () => {
  app = await inboxApp({ dialect: 'sqlite', path: ':memory:' });
  const inbox = app.vox.inboxHandler({ basePath: '/inbox', model: app.Member, authenticate: (request) => (request.headers.get('cookie') === 'sid=2' ? app.members[1] : null) });
  const web = express();
  web.use('/inbox', toNodeHandler(inbox));
  web.use(express.json());
  web.get('/', (_req, res) => res.send('<vox-inbox src="/inbox"></vox-inbox>'));
  server = web.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await app.vox.close();
});

test('in Express: the stream gets a new item, a JSON mark answers, and the script is served', async () => {
  const stream = await openEvents(`${base}/inbox/stream`, { cookie: 'sid=2' });
  try {
    assert.equal(stream.response.status, 200);
    await stream.next((e) => e.event === 'counts');
    await app.publish({ id: 1, title: 'Via Express', body: '' });
    const item = JSON.parse((await stream.next((e) => e.event === 'item')).data) as { id: number; title: string };
    assert.equal(item.title, 'Member 1 published Via Express');
    const marked = await fetch(`${base}/inbox/mark`, { method: 'POST', headers: { cookie: 'sid=2', 'Content-Type': 'application/json', Origin: base }, body: JSON.stringify({ as: 'read', ids: [item.id] }) });
    assert.deepEqual(await marked.json(), { marked: 1, counts: { unread: 0, unseen: 0 } });
    await stream.next((e) => e.event === 'counts' && JSON.parse(e.data).unread === 0);
    const script = await fetch(`${base}/inbox/vox-inbox.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.match(await script.text(), /vox-inbox/);
    assert.equal((await fetch(`${base}/`)).status, 200, 'the rest of the app is untouched');
  } finally {
    stream.close();
  }
});
