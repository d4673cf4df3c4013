import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ensureAdminUi } from '../admin-ui/build.ts';
import { startDemo, type Demo } from '../demo/server.ts';
import { chromiumPath, launchChromium, skipWithoutChromium } from './support/chromium.ts';
import { hrefsOf, Visitor } from './support/visitor.ts';
import { waitFor } from './support/wait.ts';


describe('the demo blog over HTTP', () => {
  let demo: Demo;
  const logged: string[] = [];

  before(async () => {
    demo = await startDemo({ port: 0, commentDigestMs: 300, log: (line) => logged.push(line) });
  });
  after(() => demo.close());

  test('starts seeded: an article, the subscribe form, an empty mail viewer, no admin link yet', async () => {
    const visitor = new Visitor(demo.url);
    const index = await visitor.page('/');
    assert.match(index, /Welcome to the Vox demo/);
    assert.match(index, /<form method="post" action="\/subscribe"/);
    assert.ok(!index.includes('href="/admin'), 'no link to an admin that is not there');
    assert.match(await visitor.page('/mail'), /No mail yet/);
    assert.equal((await visitor.get('/admin/')).status, 404);
    assert.deepEqual((await demo.vox.siteContacts.list()).map((c) => c.address), ['admin@example.org']);
    assert.equal((await demo.vox.templates.list()).length, 6);
  });

  test('only the logged-in author may post, and forms from other sites are refused', async () => {
    const visitor = new Visitor(demo.url);
    const anonymous = await visitor.post('/articles', { title: 'Spam', body: 'Spam' });
    assert.equal(anonymous.status, 303);
    assert.equal(anonymous.headers.get('location'), '/login?next=%2Farticles%2Fnew');
    assert.equal((await visitor.get('/articles/new')).status, 303);
    const wrong = await visitor.post('/login', { email: 'author@example.org', password: 'wrong' });
    assert.equal(wrong.status, 400);
    assert.match(await wrong.text(), /Wrong email or password/);
    const crossSite = await visitor.post('/login', { email: 'author@example.org', password: 'password' }, { origin: 'https://evil.example' });
    assert.equal(crossSite.status, 403);
    assert.equal((await visitor.post('/login', { email: 'author@example.org', password: 'password', next: 'https://evil.example/' })).headers.get('location'), '/');
    assert.equal((await visitor.get('/articles/new')).status, 200);
  });

  test('the walkthrough without a browser: article → subscriber, comment → author, subscriber → site contact', async () => {
    const author = new Visitor(demo.url);
    await author.post('/login', { email: 'author@example.org', password: 'password' });
    const posted = await author.post('/articles', { title: 'Tags <b>&</b> "quotes"', body: 'Hello <script>alert(1)</script>\n\nBye' });
    assert.equal(posted.status, 303);
    const articlePath = posted.headers.get('location') ?? '';
    assert.match(articlePath, /^\/articles\/tags-quotes\?done=published$/);
    const page = await author.page(articlePath);
    assert.match(page, /<h1>Tags &lt;b&gt;&amp;&lt;\/b&gt; &quot;quotes&quot;<\/h1>/);
    assert.ok(!page.includes('<script>alert'), 'article text is escaped');

    const news = await demo.mails.waitFor((m) => m.subject === 'New article: Tags <b>&</b> "quotes"');
    assert.deepEqual(news.to, ['sam@example.org']);
    assert.equal(news.attachments[0]?.filename, 'vcard.vcf');
    const link = hrefsOf(news.html).find((h) => h.includes('?token='));
    assert.ok(link && link.startsWith(`${demo.url}/articles/tags-quotes?token=`), `the email links to the article with a token: ${link}`);
    assert.ok(logged.includes('mail → sam@example.org: New article: Tags <b>&</b> "quotes"'), logged.join('\n'));

    const mailPage = await author.page(`/mail/${news.id}`);
    assert.match(mailPage, /vcard\.vcf/);
    const html = await author.get(`/mail/${news.id}/html`);
    assert.match(html.headers.get('content-security-policy') ?? '', /^sandbox /);
    const vcard = await author.get(`/mail/${news.id}/attachments/1`);
    assert.equal(vcard.headers.get('content-type'), 'text/vcard');
    assert.match(await vcard.text(), /FN:Alan Author/);
    assert.match(await author.page(`/mail/${news.id}?view=text`), /Hi Sam Subscriber/);

    const reader = new Visitor(demo.url);
    const commentPath = new URL(link).pathname + new URL(link).search;
    assert.match(await reader.page(commentPath), /Commenting as <strong>Sam Subscriber<\/strong>/);
    const token = new URL(link).searchParams.get('token') ?? '';
    const commented = await reader.post('/articles/tags-quotes/comments', { token, body: 'Great <i>post</i>' });
    assert.equal(commented.status, 303);
    const withComment = await reader.page(commented.headers.get('location') ?? '');
    assert.match(withComment, /Comments \(1\)/);
    assert.match(withComment, /Great &lt;i&gt;post&lt;\/i&gt;/);
    assert.match(await reader.page('/articles/tags-quotes'), /Great &lt;i&gt;post/, 'the article page renders once comments exist');
    const toAuthor = await demo.mails.waitFor((m) => m.subject.startsWith('New comment on'));
    assert.deepEqual(toAuthor.to, ['author@example.org'], 'the author is told, not the commenter');
    assert.match(toAuthor.html ?? '', /Great &lt;i&gt;post&lt;\/i&gt;/);
    // The activity backend put the same comment in the author's in-app inbox: the feed API and the page show it.
    type Feed = { items: { type: string; summaryText: string }[]; unread: number };
    const feed = await waitFor(
      async () => {
        const current = (await (await author.get('/activity/feed')).json()) as Feed;
        return current.unread > 0 && current;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: "the comment in the author's feed" },
    );
    assert.equal(feed.unread, 1);
    assert.equal(feed.items[0]?.type, 'Create');
    assert.equal(feed.items[0]?.summaryText, 'Sam Subscriber commented on Tags <b>&</b> "quotes": Great <i>post</i>');
    // The in-app backend put it in the author's inbox, which the bell on every page shows (the handler at /inbox).
    type Items = { items: { title: string; html: string; link: string }[]; counts: { unread: number } };
    const inbox = (await (await author.get('/inbox/items')).json()) as Items;
    assert.equal(inbox.counts.unread, 1);
    assert.equal(inbox.items[0]?.title, 'Sam Subscriber commented on Tags <b>&</b> "quotes"');
    assert.match(inbox.items[0]?.html ?? '', /Great &lt;i&gt;post&lt;\/i&gt;/);
    assert.match(await author.page('/'), /<vox-inbox src="\/inbox"/);
    assert.equal((await reader.get('/inbox/items')).status, 401, "the inbox is the logged-in user's own");
    assert.equal((await reader.get('/activity/feed')).status, 401, "the feed is the logged-in user's own");

    assert.equal((await reader.post('/articles/tags-quotes/comments', { token: 'forged', body: 'x' })).status, 403);
    assert.match(await reader.page('/articles/tags-quotes?token=forged'), /This comment link is not valid/);

    const subscribed = await reader.post('/subscribe', { name: 'Nina <New>', email: 'Nina@Example.org' });
    assert.equal(subscribed.status, 303);
    // Double opt-in: the address confirms before the site contact hears of it (docs/demo.md).
    const confirmation = await demo.mails.waitFor((m) => m.subject === 'Please confirm your subscription to Vox demo blog');
    const confirmPath = hrefsOf(confirmation.html ?? '').find((href) => href.includes('/subscribe/confirm?token='));
    assert.ok(confirmPath);
    const confirmUrl = new URL(confirmPath, demo.url);
    assert.match(await reader.page(confirmUrl.pathname + confirmUrl.search), /Confirm my subscription/);
    const confirmToken = confirmUrl.searchParams.get('token') ?? '';
    assert.equal((await reader.post('/subscribe/confirm', { token: confirmToken })).status, 303);
    const toAdmin = await demo.mails.waitFor((m) => m.subject === 'New subscriber: Nina <New>');
    assert.deepEqual(toAdmin.to, ['admin@example.org']);
    assert.match(toAdmin.html ?? '', /Nina &lt;New&gt; \(nina@example.org\) subscribed to Vox demo blog/);
    const again = await reader.post('/subscribe', { name: 'Nina', email: 'nina@example.org' });
    assert.equal(again.status, 400);
    assert.match(await again.text(), /nina@example.org is already subscribed/);

    const list = await reader.page('/mail');
    const order = ['New subscriber', 'Please confirm', 'New comment on', 'New article: Tags'].map((s) => list.indexOf(s));
    assert.deepEqual([...order].sort((a, b) => a - b), order, 'the mail viewer lists the newest first');
  });

  test('the author is @author on the fediverse: WebFinger finds the actor, whose profile page exists, and the front page says what it takes for Mastodon to follow', async () => {
    const host = new URL(demo.url).host;
    const finger = (acct: string) => fetch(`${demo.url}/.well-known/webfinger?resource=${encodeURIComponent(acct)}`);
    const found = await finger(`acct:author@${host}`);
    assert.equal(found.status, 200);
    const self = ((await found.json()) as { links: { rel: string; href: string }[] }).links.find((l) => l.rel === 'self')?.href;
    assert.equal(self, `${demo.url}/users/1`);
    assert.equal((await finger(`acct:1@${host}`)).status, 404, 'the user id is not the handle');
    const actor = (await (await fetch(self, { headers: { accept: 'application/activity+json' } })).json()) as Record<string, string>;
    assert.equal(actor.preferredUsername, 'author');
    assert.equal(actor.name, 'Alan Author');
    assert.equal(actor.summary, '<p>Alan Author writes the Vox demo blog.</p>');
    assert.equal(actor.url, self);
    const visitor = new Visitor(demo.url);
    const profile = await visitor.page(new URL(actor.url ?? '').pathname);
    assert.match(profile, /<h1>Alan Author<\/h1>/);
    assert.ok(profile.includes(`@author@${host}`));
    assert.match(profile, /Welcome to the Vox demo/, "the author's articles");

    await visitor.post('/login', { email: 'author@example.org', password: 'password' });
    const note = /<p class="muted small" data-fediverse>([\s\S]*?)<\/p>/.exec(await visitor.page('/'))?.[1] ?? '';
    assert.ok(note.includes(`@author@${host}`), note);
    assert.match(note, /no Mastodon server can follow you at this address/);
    assert.match(note, /public https host name/);
  });

  test('unknown pages and mails answer 404, not an error', async () => {
    const visitor = new Visitor(demo.url);
    for (const path of ['/articles/nope', '/mail/999', '/mail/999/html', '/mail/1/attachments/9', '/nothing']) {
      assert.equal((await visitor.get(path)).status, 404, path);
    }
  });
});

describe('the demo on the database of an earlier version', () => {
  test('gives its users a username: the seeded author becomes @author', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vox-demo-upgrade-'));
    const file = join(dir, 'blog.db');
    // What the demo before usernames left: its users table, seeded.
    const old = new DatabaseSync(file);
    old.exec(`create table blog_meta (key text primary key, value text not null);
      create table blog_users (id integer primary key autoincrement, name text not null, email text not null unique, password_hash text not null);
      insert into blog_users (name, email, password_hash) values ('Alan Author', 'author@example.org', 'scrypt$x$y'), ('Ed Editor', 'ed@example.org', 'scrypt$x$y');
      insert into blog_meta (key, value) values ('seeded_at', '2026-01-01T00:00:00.000Z');`);
    old.close();
    const demo = await startDemo({ port: 0, log: () => {}, db: file });
    try {
      const host = new URL(demo.url).host;
      for (const [handle, id] of [['author', 1], ['user2', 2]] as const) {
        const finger = await fetch(`${demo.url}/.well-known/webfinger?resource=${encodeURIComponent(`acct:${handle}@${host}`)}`);
        assert.equal(finger.status, 200, handle);
        assert.equal(((await finger.json()) as { links: { rel: string; href: string }[] }).links.find((l) => l.rel === 'self')?.href, `${demo.url}/users/${id}`);
      }
    } finally {
      await demo.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the demo at a public https address', () => {
  test('needs --public, and then tells the author that Mastodon users can follow them there', async () => {
    await assert.rejects(startDemo({ port: 0, log: () => {}, baseUrl: 'https://blog.example' }), /refusing to listen on https:\/\/blog.example/);
    const demo = await startDemo({ port: 0, log: () => {}, baseUrl: 'https://blog.example', public: true });
    try {
      assert.equal(demo.url, 'https://blog.example');
      const visitor = new Visitor(demo.listening);
      await visitor.post('/login', { email: 'author@example.org', password: 'password' });
      const note = /<p class="muted small" data-fediverse>([\s\S]*?)<\/p>/.exec(await visitor.page('/'))?.[1] ?? '';
      assert.match(note, /On the fediverse you are <a href="https:\/\/blog.example\/users\/1"><code>@author@blog.example<\/code><\/a>: Mastodon users who follow you there get your notifications as your posts/);
    } finally {
      await demo.close();
    }
  });
});

describe('the demo with its admin', () => {
  let demo: Demo;
  before(async () => {
    await ensureAdminUi();
    demo = await startDemo({ port: 0, log: () => {}, admin: ({ vox, basePath, staffOf }) => vox.admin({ basePath, authorize: staffOf, loginUrl: '/login' }) });
  });
  after(() => demo.close());

  test('is at /admin for the logged-in author, linked from the menu, and closed to others', async () => {
    const visitor = new Visitor(demo.url);
    const anonymous = await visitor.get('/admin/');
    assert.equal(anonymous.status, 303);
    assert.equal(anonymous.headers.get('location'), '/login?next=%2Fadmin%2F');
    assert.equal((await visitor.get('/admin/api/notifications')).status, 401, 'API calls get 401, as docs/admin.md says');
    await visitor.post('/login', { email: 'author@example.org', password: 'password' });
    assert.match(await visitor.page('/'), /href="\/admin\/"/);
    assert.match(await visitor.page('/admin/'), /<meta name="vox-admin"/);
    const notifications = (await (await visitor.get('/admin/api/notifications')).json()) as { key: string }[];
    assert.deepEqual(notifications.map((n) => n.key), ['blog.article.created', 'blog.comment.posted', 'blog.subscriber.confirm', 'blog.subscriber.created']);
    const found = (await (await visitor.get('/admin/api/models/blog.subscriber/objects?q=SAM')).json()) as { label: string }[];
    assert.deepEqual(found.map((f) => f.label), ['Sam Subscriber <sam@example.org>']);
    const { csrfToken } = (await (await visitor.get('/admin/api/session')).json()) as { csrfToken: string };
    const contact = JSON.stringify({ name: 'Editors', protocol: 'email', address: 'editors@example.org' });
    assert.equal((await visitor.post('/admin/api/site-contacts', {}, { origin: demo.url })).status, 403, 'no CSRF token');
    const created = await fetch(`${demo.url}/admin/api/site-contacts`, { method: 'POST', body: contact, headers: { cookie: visitor.cookie, origin: demo.url, 'content-type': 'application/json', 'x-csrf-token': csrfToken } });
    assert.equal(created.status, 201);
    assert.deepEqual((await demo.vox.siteContacts.list()).map((c) => c.address), ['admin@example.org', 'editors@example.org']);
  });
});

describe('the demo with --db FILE', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vox-demo-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('keeps articles across restarts, and seeds only once', async () => {
    const file = join(dir, 'demo.db');
    let demo = await startDemo({ port: 0, db: file, log: () => {} });
    const author = new Visitor(demo.url);
    await author.post('/login', { email: 'author@example.org', password: 'password' });
    await author.post('/articles', { title: 'Still here', body: 'After a restart.' });
    await demo.mails.waitFor((m) => m.subject === 'New article: Still here');
    await demo.close();

    demo = await startDemo({ port: 0, db: file, log: () => {} });
    try {
      const again = new Visitor(demo.url);
      const index = await again.page('/');
      assert.match(index, /Still here/);
      assert.equal(index.match(/Welcome to the Vox demo/g)?.length, 1);
      assert.equal((await demo.vox.siteContacts.list()).length, 1);
      assert.equal((await demo.vox.templates.list()).length, 6);
    } finally {
      await demo.close();
    }
  });
});

describe('the walkthrough in Chromium', { skip: skipWithoutChromium }, () => {
  let demo: Demo;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    demo = await startDemo({ port: 0, commentDigestMs: 300, log: () => {} });
    browser = await launchChromium(chromiumPath as string);
    page = await browser.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('response', (response) => {
      if (response.status() >= 500) problems.push(`${response.status()} from ${response.url()}`);
    });
  });
  after(async () => {
    await browser?.close();
    await demo?.close();
  });

  const openMail = async (subject: string) => {
    await page.locator('header').getByRole('link', { name: /^Mail/ }).click();
    // The mail viewer reloads itself when mail arrives, so this waits for delivery.
    await page.getByRole('link', { name: new RegExp(subject) }).click();
    await page.getByRole('heading', { level: 2, name: subject }).waitFor();
  };
  const mailHtml = () => page.frameLocator('iframe[title="HTML part"]');

  test('log in, post, read the email, follow its link, comment, subscribe, confirm, unsubscribe', async () => {
    // 1. The author logs in and posts an article.
    await page.goto(`${demo.url}/`);
    await page.locator('header').getByRole('link', { name: 'Log in' }).click();
    await page.getByLabel('Email').pressSequentially('author@example.org');
    await page.getByLabel('Password').pressSequentially('password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('header').getByRole('link', { name: 'New article' }).click();
    await page.getByLabel('Title').pressSequentially('Notes from the walkthrough');
    await page.getByLabel('Text').pressSequentially('Vox sent this to every subscriber.\n\nComments go to the author.');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByRole('heading', { level: 1, name: 'Notes from the walkthrough' }).waitFor();
    assert.match(await page.getByRole('status').innerText(), /Published/);

    // 2. The subscriber's email: personal, with the author's vCard.
    await openMail('New article: Notes from the walkthrough');
    assert.match(await page.locator('dl.headers').innerText(), /To\s+sam@example\.org/);
    await mailHtml().getByText('Hi Sam Subscriber,').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /vcard\.vcf/ }).click()]);
    assert.equal(download.suggestedFilename(), 'vcard.vcf');
    assert.match(await readFile(await download.path(), 'utf8'), /FN:Alan Author/);
    await page.getByRole('link', { name: 'Text', exact: true }).click();
    assert.match(await page.locator('pre.mailtext').innerText(), /Hi Sam Subscriber,/);
    await page.getByRole('link', { name: 'HTML', exact: true }).click();

    // 3. Its link opens the article, where the subscriber may comment.
    await mailHtml().getByRole('link', { name: 'Notes from the walkthrough' }).click();
    await page.waitForURL(/\/articles\/notes-from-the-walkthrough\?token=/);
    assert.match(await page.locator('#add-comment').innerText(), /Commenting as Sam Subscriber/);
    await page.getByLabel('Comment').pressSequentially('Thanks, a clear walkthrough!');
    await page.getByRole('button', { name: 'Post comment' }).click();
    await page.getByRole('status').getByText('your comment is posted').waitFor();
    assert.match(await page.locator('#comments').innerText(), /Sam Subscriber[\s\S]*Thanks, a clear walkthrough!/);
    await page.reload();
    assert.match(await page.getByRole('heading', { name: /Comments/ }).innerText(), /Comments \(1\)/);

    // 4. The author hears of the comment; the commenter does not.
    await openMail('New comment on Notes from the walkthrough');
    assert.match(await page.locator('dl.headers').innerText(), /To\s+author@example\.org/);
    await mailHtml().getByText('Thanks, a clear walkthrough!').waitFor();
    assert.match(await mailHtml().locator('body').innerText(), /Hi Alan Author,/);

    // 5. A new subscriber confirms the address by the emailed link; then the site contact is told.
    await page.locator('header').getByRole('link', { name: 'Articles' }).click();
    await page.getByLabel('Name').pressSequentially('Nina New');
    await page.getByLabel('Email').pressSequentially('nina@example.org');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByRole('status').getByText('Vox has sent a confirmation email').waitFor();
    await openMail('Please confirm your subscription to Vox demo blog');
    await mailHtml().getByRole('link', { name: 'Confirm my subscription' }).click();
    await page.waitForURL(/\/subscribe\/confirm\?token=/);
    await page.getByRole('button', { name: 'Confirm my subscription' }).click();
    await page.getByRole('status').getByText('you are subscribed').waitFor();
    await openMail('New subscriber: Nina New');
    assert.match(await page.locator('dl.headers').innerText(), /To\s+admin@example\.org/);
    await mailHtml().getByText('Nina New (nina@example.org) subscribed to Vox demo blog.').waitFor();

    // What arrived, as the mailbox saw it.
    assert.deepEqual(
      demo.mails.list().map((m) => [m.to.join(', '), m.subject]),
      [
        ['admin@example.org', 'New subscriber: Nina New'],
        ['nina@example.org', 'Please confirm your subscription to Vox demo blog'],
        ['author@example.org', 'New comment on Notes from the walkthrough'],
        ['sam@example.org', 'New article: Notes from the walkthrough'],
      ],
    );

    // 6. Sam unsubscribes by the article email's footer link: its page asks, the button does it.
    await openMail('New article: Notes from the walkthrough');
    await mailHtml().getByRole('link', { name: 'Unsubscribe' }).click();
    await page.waitForURL(/\/notifications\/unsubscribe\//);
    assert.match(await page.locator('main').innerText(), /Stop sending New articles emails to sam@example\.org\?/);
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    await page.getByRole('status').getByText('You will no longer receive New articles emails at sam@example.org.').waitFor();
    // The next article goes to Nina, not to Sam; the log says why.
    await page.goto(`${demo.url}/articles/new`);
    await page.getByLabel('Title').pressSequentially('After Sam left');
    await page.getByLabel('Text').pressSequentially('Only Nina gets this.');
    await page.getByRole('button', { name: 'Publish' }).click();
    await demo.mails.waitFor((m) => m.subject === 'New article: After Sam left' && m.to.includes('nina@example.org'));
    const skipped = await waitFor(async () => (await demo.vox.messages.list({ status: 'skipped', address: 'sam@example.org' }))[0], { what: "Sam's skipped message" });
    assert.equal(skipped.errorCode, 'VOX_OPTED_OUT');
    assert.equal(demo.mails.list().filter((m) => m.subject === 'New article: After Sam left' && m.to.includes('sam@example.org')).length, 0);
    assert.deepEqual(problems, []);
  });
});
