// The demo's subscriptions (docs/demo.md): double opt-in (the confirmation email is the only one
// an unconfirmed address gets, and a scanner opening its link confirms nothing), article emails
// with one-click unsubscribe headers and a footer link, unsubscribing that stops the next article
// (the log shows it skipped), a limit on subscriptions per client address, and the logged-in
// author's own notification settings. Before, 100 arbitrary addresses subscribed in 1.2 s.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDemo, type Demo } from '../demo/server.ts';
import { SUBSCRIPTIONS_PER_ADDRESS } from '../demo/subscriptions.ts';
import type { CapturedMail } from '../demo/mailbox.ts';
import { rawRequest } from './support/raw-http.ts';
import { headerOf } from './support/unsubscribe-app.ts';
import { hrefsOf, Visitor } from './support/visitor.ts';
import { waitFor } from './support/wait.ts';

describe('subscribing to the demo blog', () => {
  let demo: Demo;
  before(async () => {
    demo = await startDemo({ port: 0, log: () => {} });
  });
  after(() => demo.close());

  let articles = 0;
  /** The author publishes an article; resolves when every message of it is sent or skipped. */
  async function publish(author: Visitor): Promise<string> {
    const title = `Article ${++articles}`;
    assert.equal((await author.post('/articles', { title, body: 'Some text.' })).status, 303);
    await waitFor(
      async () => {
        const [latest] = await demo.vox.issues.list({ notification: 'blog.article.created', limit: 1 });
        const issue = latest && (await demo.vox.issues.get(latest.id));
        return issue?.status === 'done' && issue.messages.queued + issue.messages.sending + issue.messages.retrying === 0;
      },
      { what: `the messages of ${title}` },
    );
    return `New article: ${title}`;
  }
  const to = (address: string, subject: string) => demo.mails.list().filter((m) => m.subject === subject && m.to.includes(address));

  test('double opt-in: only the confirmation until the address confirms; then articles carry one-click unsubscribe, which stops the next one', async () => {
    const author = new Visitor(demo.url);
    await author.post('/login', { email: 'author@example.org', password: 'password' });
    const zoe = new Visitor(demo.url);
    const subscribed = await zoe.post('/subscribe', { name: 'Zoe', email: 'zoe@example.org' });
    assert.equal(subscribed.status, 303);
    assert.equal(subscribed.headers.get('location'), '/?done=confirm-sent');
    const confirmation = await demo.mails.waitFor((m) => m.subject === 'Please confirm your subscription to Vox demo blog' && m.to.includes('zoe@example.org'));
    assert.equal(headerOf(confirmation.source, 'List-Unsubscribe'), undefined, 'a required notification has no unsubscribe header');

    // Unconfirmed: the next article is not sent to Zoe; a link scanner opening the link confirms nothing.
    assert.deepEqual(to('zoe@example.org', await publish(author)), []);
    const link = new URL(hrefsOf(confirmation.html).find((h) => h.includes('/subscribe/confirm?token='))!, demo.url);
    const scanned = await new Visitor(demo.url).get(link.pathname + link.search);
    assert.equal(scanned.status, 200);
    assert.match(await scanned.text(), /<button type="submit">Confirm my subscription<\/button>/);
    assert.deepEqual(to('zoe@example.org', await publish(author)), []);
    assert.equal(to('admin@example.org', 'New subscriber: Zoe').length, 0, 'the site contact has not heard of Zoe yet');

    // Confirmed with the page's button: the site contact is told, and articles come.
    const confirmed = await zoe.post('/subscribe/confirm', { token: link.searchParams.get('token')! });
    assert.equal(confirmed.status, 303);
    assert.equal(confirmed.headers.get('location'), '/?done=subscribed');
    await demo.mails.waitFor((m) => m.subject === 'New subscriber: Zoe');
    assert.equal((await zoe.post('/subscribe/confirm', { token: link.searchParams.get('token')! })).status, 404, 'a link confirms once');
    const [article] = to('zoe@example.org', await publish(author)) as [CapturedMail];
    assert.ok(article, 'a confirmed subscriber gets the next article');
    const header = headerOf(article.source, 'List-Unsubscribe') ?? '';
    const unsubscribe = /^<(http:\/\/127\.0\.0\.1:\d+\/notifications\/unsubscribe\/[A-Za-z0-9_.-]+)>$/.exec(header)?.[1];
    assert.ok(unsubscribe, header);
    assert.equal(headerOf(article.source, 'List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click');
    assert.ok(hrefsOf(article.html).includes(unsubscribe), 'the footer links to the same URL');
    assert.ok(hrefsOf(article.html).some((h) => h.includes('/notifications/preferences/')), 'and to the preference page');

    // One-click, as a mail provider sends it: no cookie, no Origin.
    const response = await fetch(unsubscribe, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    assert.equal(response.status, 200);
    const next = await publish(author);
    assert.deepEqual(to('zoe@example.org', next), [], 'the next article is not sent to Zoe');
    assert.equal(to('sam@example.org', next).length, 1, 'Sam still gets it');
    const [skipped] = await demo.vox.messages.list({ status: 'skipped', address: 'zoe@example.org' });
    assert.equal(skipped?.notification, 'blog.article.created');
    assert.equal(skipped?.errorCode, 'VOX_OPTED_OUT');
  });

  test(`one client address may subscribe ${SUBSCRIPTIONS_PER_ADDRESS} times an hour; the next gets 429, others go on`, async () => {
    const subscribe = (from: string, n: number) =>
      rawRequest(`${demo.url}/subscribe`, {
        localAddress: from,
        headers: { origin: demo.url, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ name: `Bulk ${n}`, email: `bulk${n}@example.org` }).toString(),
      });
    for (let i = 1; i <= SUBSCRIPTIONS_PER_ADDRESS; i++) assert.equal((await subscribe('127.0.0.7', i)).status, 303, `subscription ${i}`);
    const limited = await subscribe('127.0.0.7', 100);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers['retry-after']) > 0);
    assert.match(limited.body, /Too many subscriptions from here/);
    assert.equal(demo.mails.list().filter((m) => m.to.includes('bulk100@example.org')).length, 0);
    assert.equal((await subscribe('127.0.0.8', 101)).status, 303, 'another address is not limited');
  });

  test('the logged-in author manages their own notifications at /notifications/, which refuses anybody else', async () => {
    assert.equal((await new Visitor(demo.url).get('/notifications/')).status, 401);
    const author = new Visitor(demo.url);
    await author.post('/login', { email: 'author@example.org', password: 'password' });
    const page = await author.page('/notifications/');
    assert.match(page, /Your notifications from Vox demo blog/);
    assert.match(page, /A comment was posted on an article/);
    assert.match(page, new RegExp(`<a href="${demo.url}">Back to Vox demo blog</a>`));
    assert.match(await author.page('/'), /<a href="\/notifications\/">Notification settings<\/a>/);
  });
});
