// The demo's comment digest (docs/demo.md): comments on one article within the window reach its
// author as one email listing them, while the in-app inbox shows each comment at once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDemo, type Demo } from '../demo/server.ts';
import { hrefsOf, Visitor } from './support/visitor.ts';

describe("the demo's comment digest", () => {
  let demo: Demo;
  before(async () => {
    demo = await startDemo({ port: 0, commentDigestMs: 2000, log: () => {} });
  });
  after(() => demo.close());

  test('three comments within the window make one email to the author, listing them in order', async () => {
    const author = new Visitor(demo.url);
    await author.post('/login', { email: 'author@example.org', password: 'password' });
    assert.equal((await author.post('/articles', { title: 'Busy thread', body: 'Discuss.' })).status, 303);
    const news = await demo.mails.waitFor((m) => m.subject === 'New article: Busy thread');
    const link = new URL(hrefsOf(news.html).find((h) => h.includes('?token=')) ?? '');
    const token = link.searchParams.get('token') ?? '';
    const reader = new Visitor(demo.url);
    for (const body of ['First!', 'Second thought', 'Third and last']) {
      assert.equal((await reader.post('/articles/busy-thread/comments', { token, body })).status, 303);
    }
    const digest = await demo.mails.waitFor((m) => m.to.includes('author@example.org') && /on Busy thread$/.test(m.subject));
    assert.equal(digest.subject, '3 new comments on Busy thread');
    assert.match(digest.html ?? '', /<li>Sam Subscriber: First!<\/li><li>Sam Subscriber: Second thought<\/li><li>Sam Subscriber: Third and last<\/li>/);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(demo.mails.list().filter((m) => m.to.includes('author@example.org') && /Busy thread/.test(m.subject)).length, 1, 'one email, not three');
  });
});
