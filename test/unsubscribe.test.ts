// One-click unsubscribe (RFC 8058) end to end, on SQLite and PostgreSQL, with a real SMTP server
// and the preference center behind a real HTTP server: the headers and footer links arrive on a
// newsletter's email and not on a required notice's; a cookie-less POST of
// `List-Unsubscribe=One-Click` unsubscribes and the next article is not delivered; a GET changes
// nothing; forged, truncated and tampered tokens get 400 and change nothing; an old secret still
// works after rotation; the page's button is refused from another site.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { htmlEmail } from '../src/backends/email/index.ts';
import { RecipientTokens } from '../src/http/recipient-tokens.ts';
import { databases } from './support/databases.ts';
import { smtpForSuite, type ReceivedMail } from './support/smtp.ts';
import { headerOf, SECRET, unsubscribeApp, type UnsubscribeApp } from './support/unsubscribe-app.ts';

const OLD_SECRET = 'the secret the blog used before, 32+ bytes';

for (const database of databases) {
  describe(`one-click unsubscribe (${database.name})`, { skip: database.skip }, () => {
    const smtp = smtpForSuite();
    let app: UnsubscribeApp;
    let drop: () => Promise<void>;

    before(async () => {
      const created = await database.create();
      drop = created.drop;
      app = await unsubscribeApp(created.options, () => htmlEmail({ transport: smtp().transport, from: '"The blog" <blog@example.org>' }), {
        secrets: [SECRET, OLD_SECRET],
        mailto: 'unsubscribe@example.org',
        // The host's session: a cookie naming Ann.
        center: { authenticate: (request) => (/(^|;\s*)session=ann(;|$)/.test(request.headers.get('cookie') ?? '') ? { model: 'blog.subscriber', id: 's1' } : null) },
      });
    });
    after(async () => {
      await app.close();
      await drop();
    });
    beforeEach(async () => {
      // Each test starts subscribed to everything.
      await app.vox.preferences.set(app.Subscriber, 's1', [{ category: 'newsletter', protocol: 'email', enabled: null }, { notification: 'blog.article.created', protocol: 'email', enabled: null }]);
      await app.vox.suppressions.remove('email', 'ann@example.org');
    });

    let articles = 0;
    /** Publishes an article and returns the mails it delivered to Ann. */
    async function publish(codename: 'created' | 'security' = 'created'): Promise<ReceivedMail[]> {
      const before = smtp().received.length;
      await (await app.Article.notify({ id: ++articles, title: `Article ${articles}` }, codename)).settled();
      return smtp().received.slice(before).filter((m) => m.envelopeTo.includes('ann@example.org'));
    }
    async function newsletterByEmail(): Promise<boolean> {
      const grid = await app.vox.preferences.get(app.Subscriber, 's1');
      return grid.notifications.find((n) => n.key === 'blog.article.created')!.cells.email!.enabled;
    }
    /** The https (here loopback http) URL of a mail's List-Unsubscribe header. */
    function unsubscribeUrl(mail: ReceivedMail): string {
      const header = headerOf(mail.raw, 'List-Unsubscribe');
      assert.ok(header, 'the mail has a List-Unsubscribe header');
      const url = /<(http[^>]+)>/.exec(header)?.[1];
      assert.ok(url, header);
      return url;
    }
    const oneClick = (url: string) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });

    test("a newsletter's email carries List-Unsubscribe, List-Unsubscribe-Post and footer links; a required notice's carries none", async () => {
      const [news] = await publish('created');
      assert.ok(news);
      const url = unsubscribeUrl(news);
      assert.ok(url.startsWith(`${app.origin}/notifications/unsubscribe/`), url);
      assert.match(headerOf(news.raw, 'List-Unsubscribe')!, /^<http:\/\/127\.0\.0\.1:\d+\/notifications\/unsubscribe\/[A-Za-z0-9_.-]+>, <mailto:unsubscribe@example\.org\?subject=unsubscribe%20[A-Za-z0-9_.-]+>$/);
      assert.equal(headerOf(news.raw, 'List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click');
      assert.ok(String(news.parsed.html).includes(`href="${url}"`), 'the footer links to the same unsubscribe URL');
      assert.match(String(news.parsed.html), new RegExp(`href="${app.origin}/notifications/preferences/[A-Za-z0-9_.-]+"`));

      const [notice] = await publish('security');
      assert.ok(notice);
      assert.equal(headerOf(notice.raw, 'List-Unsubscribe'), undefined);
      assert.equal(headerOf(notice.raw, 'List-Unsubscribe-Post'), undefined);
      assert.ok(!String(notice.parsed.html).includes('/unsubscribe/'), 'no unsubscribe link in a required notice');
      assert.match(String(notice.parsed.html), /\/notifications\/preferences\//);
    });

    test('a template of a required notification that reads unsubscribe_url is warned: its messages have none', async () => {
      const check = (notification: string, bulk = false) =>
        app.vox.templates.validate({ notification, backend: 'email-html', recipients: ['c:subscribers'], subject: 'x', content: '<a href="{{ unsubscribe_url }}">Unsubscribe</a> <a href="{{ preferences_url }}">Preferences</a>', bulk });
      assert.deepEqual((await check('blog.article.created')).warnings, []);
      assert.deepEqual(
        (await check('blog.article.security')).warnings.map((w) => w.message),
        [`unknown variable unsubscribe_url (nobody can unsubscribe from a required notification, so its messages have no unsubscribe link)`],
      );
      assert.equal((await check('blog.article.created', true)).warnings.length, 2, 'bulk templates have neither link');
    });

    test('a POST of List-Unsubscribe=One-Click without cookies unsubscribes at once: the next article is not delivered, and the log says why', async () => {
      const [news] = await publish();
      const response = await oneClick(unsubscribeUrl(news!));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('set-cookie'), null);
      assert.equal(await newsletterByEmail(), false);
      assert.deepEqual(await publish(), [], 'the next article is not delivered to Ann');
      const [skipped] = await app.vox.messages.list({ status: 'skipped', address: 'ann@example.org' });
      assert.equal(skipped?.notification, 'blog.article.created');
      assert.equal(skipped?.errorCode, 'VOX_OPTED_OUT');
      assert.match(skipped?.error ?? '', /newsletter/i);
      assert.equal((await publish('security')).length, 1, 'a required notice still arrives');
    });

    test('a GET of the unsubscribe URL (a link scanner) changes nothing and shows a confirmation with a button', async () => {
      const [news] = await publish();
      const url = unsubscribeUrl(news!);
      for (let i = 0; i < 3; i++) {
        const response = await fetch(url);
        assert.equal(response.status, 200);
        const page = await response.text();
        assert.match(page, /<form method="post" action="\/notifications\/unsubscribe\/[^"]+"><input type="hidden" name="confirm" value="1"><button type="submit">Unsubscribe<\/button>/);
        assert.match(page, /The newsletter emails/);
      }
      assert.equal(await newsletterByEmail(), true);
      assert.equal((await publish()).length, 1, 'the next article is delivered');
    });

    test('forged, truncated and tampered tokens get 400 with a page that names nobody, and change nothing', async () => {
      const [news] = await publish();
      const url = unsubscribeUrl(news!);
      const token = url.slice(url.lastIndexOf('/') + 1);
      const [payload, mac] = token.split('.') as [string, string];
      const forgedPayload = Buffer.from(JSON.stringify([1, 'blog.subscriber', 's1', 'email', 'ann@example.org', 'a'])).toString('base64url');
      const stranger = new RecipientTokens(['a secret the blog never had, 32+ bytes'], 'test').sign({ model: 'blog.subscriber', id: 's1', protocol: 'email', address: 'ann@example.org', scope: { kind: 'all' } });
      const bad = [token.slice(0, -4), token.slice(0, payload.length), `${forgedPayload}.${mac}`, `${payload.slice(0, -2)}xy.${mac}`, stranger, 'nonsense'];
      for (const badToken of bad) {
        const target = `${app.origin}/notifications/unsubscribe/${badToken}`;
        for (const response of [await oneClick(target), await fetch(target), await fetch(`${app.origin}/notifications/preferences/${badToken}`)]) {
          assert.equal(response.status, 400, badToken);
          const page = await response.text();
          assert.match(page, /This link is not valid/);
          assert.ok(!/ann|newsletter|s1\b/i.test(page), 'the page reveals nothing');
        }
        const json = await fetch(target, { method: 'POST', headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
        assert.equal(json.status, 400);
        assert.equal(((await json.json()) as { error: { code: string } }).error.code, 'VOX_INVALID_TOKEN');
      }
      assert.equal(await newsletterByEmail(), true);
      assert.deepEqual(await app.vox.suppressions.list(), []);
      assert.equal((await publish()).length, 1);
    });

    test('a one-click POST sent as multipart/form-data, which RFC 8058 also allows, unsubscribes too', async () => {
      const [news] = await publish();
      const body = new FormData();
      body.set('List-Unsubscribe', 'One-Click');
      const response = await fetch(unsubscribeUrl(news!), { method: 'POST', body });
      assert.equal(response.status, 200);
      assert.equal(await newsletterByEmail(), false);
    });

    test('a message resent after its render failed still carries its unsubscribe headers', async () => {
      const [template] = await app.vox.templates.list('blog.article.created');
      assert.ok(template);
      const { id, notification, backend, recipients, subject, content } = template;
      await app.vox.templates.save({ id, notification, backend, recipients, subject, content: '{% for i in (1..100000000) %}{{ i }}{% endfor %}' });
      try {
        const result = await (await app.Article.notify({ id: ++articles, title: 'Broken' }, 'created')).settled();
        const [failed] = result.messages;
        assert.equal(failed?.status, 'failed');
        await app.vox.templates.save({ id, notification, backend, recipients, subject, content });
        const before = smtp().received.length;
        const [outcome] = await app.vox.messages.resend([failed!.id]);
        assert.equal(outcome?.status, 'sent');
        const [mail] = smtp().received.slice(before);
        assert.ok(mail);
        assert.match(unsubscribeUrl(mail), /\/notifications\/unsubscribe\//);
        assert.equal(headerOf(mail.raw, 'List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click');
        assert.ok(String(mail.parsed.html).includes(`href="${unsubscribeUrl(mail)}"`));
      } finally {
        await app.vox.templates.save({ id, notification, backend, recipients, subject, content });
      }
    });

    test('rotation: a link signed with the old secret, still listed second, unsubscribes', async () => {
      const old = new RecipientTokens([OLD_SECRET], 'test').sign({ model: 'blog.subscriber', id: 's1', protocol: 'email', address: 'ann@example.org', scope: { kind: 'category', category: 'newsletter' } });
      const response = await oneClick(`${app.origin}/notifications/unsubscribe/${old}`);
      assert.equal(response.status, 200);
      assert.equal(await newsletterByEmail(), false);
    });

    test("the confirmation page's button works from the site's own page and is refused from another site's", async () => {
      const [news] = await publish();
      const url = unsubscribeUrl(news!);
      const post = (origin: string) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin }, body: 'confirm=1' });
      const refused = await post('https://evil.example');
      assert.equal(refused.status, 403);
      assert.equal(await newsletterByEmail(), true);
      const done = await post(app.origin);
      assert.equal(done.status, 200);
      assert.match(await done.text(), /You will no longer receive The newsletter emails at ann@example\.org/);
      assert.equal(await newsletterByEmail(), false);
    });

    test("the host's session opens the preference page without a link; its writes are taken from the site's own pages only", async () => {
      const page = `${app.origin}/notifications/`;
      const signedOut = await fetch(page);
      assert.equal(signedOut.status, 401);
      assert.match(await signedOut.text(), /Sign in to manage your notifications/);
      const cookie = { Cookie: 'session=ann' };
      const shown = await fetch(page, { headers: cookie });
      assert.equal(shown.status, 200);
      assert.match(await shown.text(), /name="category:email:newsletter" value="on" checked/);
      const json = (await (await fetch(page, { headers: { ...cookie, Accept: 'application/json' } })).json()) as { preferences: { notifications: { key: string }[] } };
      assert.deepEqual(json.preferences.notifications.map((n) => n.key).sort(), ['blog.article.created', 'blog.article.security']);

      // Every box ticked but the newsletter's, as the form sends it.
      const form = 'global:email:=on&notification:email:blog.article.created=on&notification:email:blog.article.security=on';
      const post = (headers: Record<string, string>) => fetch(page, { method: 'POST', redirect: 'manual', headers: { ...cookie, 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, body: form });
      for (const headers of [{}, { Origin: 'https://evil.example' }, { Referer: 'https://evil.example/page' }] as Record<string, string>[]) {
        const refused = await post(headers);
        assert.equal(refused.status, 403, JSON.stringify(headers));
      }
      assert.equal(await newsletterByEmail(), true, 'nothing changed');
      const saved = await post({ Origin: app.origin });
      assert.equal(saved.status, 303);
      assert.equal(saved.headers.get('location'), '/notifications/?saved=1');
      assert.equal(await newsletterByEmail(), false);
    });

    test('JSON requests get the grid, save changes, and get coded errors that write nothing', async () => {
      const center = `${app.origin}/notifications/preferences/${new RecipientTokens([SECRET], 'test').sign({ model: 'blog.subscriber', id: 's1', protocol: 'email', address: 'ann@example.org', scope: { kind: 'center' } })}`;
      const post = (changes: unknown) => fetch(center, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: app.origin }, body: JSON.stringify({ changes }) });
      const locked = await post([{ category: 'newsletter', protocol: 'email', enabled: false }, { notification: 'blog.article.security', protocol: 'email', enabled: false }]);
      assert.equal(locked.status, 422);
      assert.equal(((await locked.json()) as { error: { code: string } }).error.code, 'VOX_PREFERENCE_LOCKED');
      const unknown = await post([{ category: 'gossip', protocol: 'email', enabled: false }]);
      assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, 'VOX_UNKNOWN_CATEGORY');
      assert.equal(await newsletterByEmail(), true, 'nothing was written');
      const saved = await post([{ category: 'newsletter', protocol: 'email', enabled: false }]);
      assert.equal(saved.status, 200);
      const { preferences } = (await saved.json()) as { preferences: { categories: { key: string; cells: Record<string, { enabled: boolean }> }[] } };
      assert.equal(preferences.categories.find((c) => c.key === 'newsletter')?.cells.email?.enabled, false);
      assert.equal(await newsletterByEmail(), false);
      const notJson = await fetch(center, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: app.origin }, body: '{' });
      assert.equal(notJson.status, 422);
      assert.equal(((await notJson.json()) as { error: { code: string } }).error.code, 'VOX_INVALID_INPUT');
    });

    test('other paths answer 404 and other methods 405, with codes for JSON requests', async () => {
      const json = { Accept: 'application/json' };
      for (const path of ['/notifications/nope', '/notifications/unsubscribe', '/notifications/unsubscribe/a/b']) {
        const response = await fetch(`${app.origin}${path}`, { headers: json });
        assert.equal(response.status, 404, path);
        assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'VOX_NOT_FOUND');
      }
      const put = await fetch(`${app.origin}/notifications/`, { method: 'PUT', headers: json });
      assert.equal(put.status, 405);
      assert.equal(put.headers.get('allow'), 'GET, HEAD, POST');
    });

    test('a body over the limit is refused with 413 before it is read', async () => {
      const [news] = await publish();
      const response = await fetch(unsubscribeUrl(news!), { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' }, body: `List-Unsubscribe=One-Click&pad=${'x'.repeat(70_000)}` });
      assert.equal(response.status, 413);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'VOX_BODY_TOO_LARGE');
      assert.equal(await newsletterByEmail(), true);
    });

    test('"everything" puts the address on the suppression list as unsubscribed (a token received by email works too), which its owner may undo', async () => {
      const all = new RecipientTokens([SECRET], 'test').sign({ model: 'blog.subscriber', id: 's1', protocol: 'email', address: 'ann@example.org', scope: { kind: 'all' } });
      assert.equal(await app.center.unsubscribe('not a token'), false);
      assert.equal(await app.center.unsubscribe(all), true);
      const [entry] = await app.vox.suppressions.list();
      assert.equal(entry?.address, 'ann@example.org');
      assert.equal(entry?.reason, 'unsubscribed');
      assert.deepEqual(await publish(), [], 'nothing more reaches the address');
      const [skipped] = await app.vox.messages.list({ status: 'skipped', address: 'ann@example.org' });
      assert.equal(skipped?.errorCode, 'VOX_SUPPRESSED');

      // The preference page says so, and its owner may undo it; a bounce is not theirs to undo.
      const center = `${app.origin}/notifications/preferences/${new RecipientTokens([SECRET], 'test').sign({ model: 'blog.subscriber', id: 's1', protocol: 'email', address: 'ann@example.org', scope: { kind: 'center' } })}`;
      assert.match(await (await fetch(center)).text(), /This address is unsubscribed from everything/);
      const resubscribe = () => fetch(center, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: app.origin }, body: 'resubscribe=1' });
      assert.equal((await resubscribe()).status, 303);
      assert.deepEqual(await app.vox.suppressions.list(), []);
      assert.doesNotMatch(await (await fetch(center)).text(), /unsubscribed from everything/);
      assert.equal((await publish()).length, 1, 'mail arrives again');
      await app.vox.suppressions.add({ protocol: 'email', address: 'ann@example.org', reason: 'bounced', source: 'postmark' });
      assert.doesNotMatch(await (await fetch(center)).text(), /unsubscribed from everything/);
      await resubscribe();
      assert.equal((await app.vox.suppressions.list())[0]?.reason, 'bounced', 'a bounce stays on the list');
    });
  });
}
