/**
 * What a new user meets in the demo, over HTTP: the admin answers as docs/admin.md says, pages
 * have an icon, slugs and links point where they should, the inbox speaks plainly, and the demo
 * will not open its mail viewer to the network by accident.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureAdminUi } from '../admin-ui/build.ts';
import { startDemo, type Demo } from '../demo/server.ts';
import { hrefsOf, Visitor } from './support/visitor.ts';
import { waitFor } from './support/wait.ts';

describe('the demo on first run', () => {
  let demo: Demo;

  before(async () => {
    await ensureAdminUi();
    demo = await startDemo({
      port: 0,
      commentDigestMs: 300,
      log: () => {},
      admin: ({ vox, basePath, staffOf }) => vox.admin({ basePath, authorize: staffOf, loginUrl: '/login', title: 'Vox demo admin' }),
    });
  });
  after(() => demo.close());

  test('signed out, the admin API answers 401, its pages send to the login page, and its assets are public', async () => {
    const visitor = new Visitor(demo.url);
    const api = await visitor.get('/admin/api/session', { accept: 'application/json' });
    assert.equal(api.status, 401);
    const shell = await visitor.get('/admin/');
    assert.equal(shell.status, 303);
    assert.equal(shell.headers.get('location'), '/login?next=%2Fadmin%2F');
    const [asset] = (await readdir(join(import.meta.dirname, '../dist/admin-ui/assets'))).filter((f) => f.endsWith('.js'));
    assert.ok(asset, 'the admin is built');
    const served = await visitor.get(`/admin/assets/${asset}`);
    assert.equal(served.status, 200);
    assert.match(served.headers.get('content-type') ?? '', /javascript/);
  });

  test('every page names an icon that is there', async () => {
    const visitor = new Visitor(demo.url);
    const icon = /<link rel="icon" href="([^"]+)"/.exec(await visitor.page('/'))?.[1];
    assert.ok(icon, 'the page names an icon');
    for (const path of [icon, '/favicon.ico']) {
      const response = await visitor.get(path);
      assert.equal(response.status, 200, path);
      assert.match(response.headers.get('content-type') ?? '', /^image\//);
    }
  });

  test('a title with markup makes a slug of its words; the comment email and the inbox link to the comment, in plain words', async () => {
    const author = new Visitor(demo.url);
    await author.post('/login', { email: 'author@example.org', password: 'password' });
    const posted = await author.post('/articles', { title: '<b>Bold</b> news', body: 'Hello' });
    assert.equal(posted.headers.get('location'), '/articles/bold-news?done=published');

    const news = await demo.mails.waitFor((m) => m.subject === 'New article: <b>Bold</b> news');
    const link = hrefsOf(news.html).find((h) => h.includes('?token='));
    assert.ok(link);
    const reader = new Visitor(demo.url);
    const token = new URL(link).searchParams.get('token') ?? '';
    const commented = await reader.post('/articles/bold-news/comments', { token, body: 'Nice' });
    const commentId = /#comment-(\d+)$/.exec(commented.headers.get('location') ?? '')?.[1];
    assert.ok(commentId, 'the comment has an anchor');

    const toAuthor = await demo.mails.waitFor((m) => m.subject === 'New comment on <b>Bold</b> news');
    assert.ok(hrefsOf(toAuthor.html).includes(`${demo.url}/articles/bold-news#comment-${commentId}`), hrefsOf(toAuthor.html).join(' '));

    type Items = { items: { title: string; link: string }[] };
    const item = await waitFor(async () => ((await (await author.get('/inbox/items')).json()) as Items).items[0], { what: 'the comment in the in-app inbox' });
    assert.equal(item.link, `/articles/bold-news#comment-${commentId}`);
    assert.equal(item.title, 'Sam Subscriber commented on <b>Bold</b> news', 'plain words: the title is text, shown as text');
  });

  test('refuses to listen beyond loopback without --public, saying why', async () => {
    // A demo that starts anyway is closed again, so that the failure does not leave it listening.
    const started = startDemo({ port: 0, host: '0.0.0.0', log: () => {} }).then(async (unexpected) => (await unexpected.close(), unexpected));
    await assert.rejects(started, /refusing to listen on 0\.0\.0\.0: .*mail viewer.*--public/);
  });
});
