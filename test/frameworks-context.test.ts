/**
 * The inbox handler and the preference center behind vox/express, mounted after express.json() and
 * a session middleware: their `authenticate(request, context)` sees the framework's request (the
 * session's user), as the admin's `authorize` does; without a signed-in user they answer 401.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { createVox, type Vox } from '../src/index.ts';
import { inApp } from '../src/backends/in-app.ts';
import { toExpress, type ExpressContext } from '../src/frameworks/express.ts';

interface Member {
  readonly id: number;
  readonly name: string;
}
const MEMBERS: Member[] = [{ id: 1, name: 'Ann' }];
/** The signed-in member, as a host app's session middleware leaves it on the request. */
type SignedIn = express.Request & { member?: Member };

describe('handlers that authenticate through the framework request (vox/express)', () => {
  let vox: Vox;
  let origin: string;
  let close: () => Promise<void>;

  before(async () => {
    vox = createVox({ database: { dialect: 'sqlite', path: ':memory:' }, backends: [inApp()], preferenceCenter: { secrets: ['a secret of thirty-two characters or more!'], path: '/notifications', baseUrl: 'http://127.0.0.1' } });
    const Members = vox.model('club.member', { id: (m: Member) => m.id, contacts: { 'in-app': (m) => ({ name: m.name, protocol: 'in-app', address: `member:${m.id}` }) } });
    vox.model('club.club', { id: (c: { id: number }) => c.id, notifications: { news: { description: 'Club news', category: 'news' } }, channels: { members: { recipients: Members, resolve: () => MEMBERS } } });
    await vox.migrate();
    await vox.sync();
    const memberOf = (context: ExpressContext | undefined) => (context?.req as SignedIn | undefined)?.member;
    const inbox = vox.inboxHandler<Member, ExpressContext>({ basePath: '/inbox', model: Members, authenticate: (_request, context) => memberOf(context) ?? null });
    const center = vox.preferenceCenter<ExpressContext>({ authenticate: (_request, context) => {
      const member = memberOf(context);
      return member ? { model: 'club.member', id: member.id } : null;
    } });
    const app = express()
      .use(express.json())
      // The host's own session: a cookie names the member (a stand-in for express-session or passport).
      .use((req: SignedIn, _res, next) => {
        if (req.headers.cookie === 'member=1') req.member = MEMBERS[0];
        next();
      })
      .use('/inbox', toExpress(inbox))
      .use('/notifications', toExpress(center));
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  });
  after(async () => {
    await close();
    await vox.close();
  });

  const get = (path: string, signedIn: boolean) => fetch(`${origin}${path}`, { headers: { accept: 'application/json', ...(signedIn ? { cookie: 'member=1' } : {}) } });

  test("the inbox's authenticate sees the session's member", async () => {
    const counts = await get('/inbox/counts', true);
    assert.equal(counts.status, 200);
    assert.deepEqual(await counts.json(), { unread: 0, unseen: 0 });
    const refused = await get('/inbox/counts', false);
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'VOX_UNAUTHORIZED');
  });

  test("the preference center's authenticate sees the session's member", async () => {
    const page = await get('/notifications/', true);
    assert.equal(page.status, 200);
    const grid = (await page.json()) as { preferences: unknown };
    assert.match(JSON.stringify(grid.preferences), /club\.club\.news/);
    assert.equal((await get('/notifications/', false)).status, 401);
  });
});
