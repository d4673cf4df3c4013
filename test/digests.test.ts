// Digests (docs/digests.md): a notification's events for one recipient within the window become one
// message whose template sees `digest`; keys, early close, sliding windows, two workers, bad
// declarations, and a worker killed while closing digests. SQLite and PostgreSQL, real SMTP.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import pg from 'pg';
import { createVox, ErrorCode, VoxError, type DatabaseOptions, type DigestSpec, type VoxOptions } from '../src/index.ts';
import { htmlEmail } from '../src/backends/email/index.ts';
import { newsApp, setUpNews } from './fixtures/news.ts';
import { sharedDatabases } from './support/shared-databases.ts';
import { startSmtpSink } from './support/smtp-sink.ts';
import { headerOf } from './support/unsubscribe-app.ts';
import { voxSuite } from './support/vox-suite.ts';
import { startWorker, until } from './support/workers.ts';

interface User {
  readonly id: number;
  readonly name: string;
  readonly email: string;
}
interface Article {
  readonly slug: string;
  readonly title: string;
  readonly author: User;
}
interface Comment {
  readonly text: string;
}

const AUTHOR: User = { id: 1, name: 'Alan Author', email: 'alan@example.org' };
const ARTICLES: Article[] = [
  { slug: 'spring', title: 'Spring news', author: AUTHOR },
  { slug: 'summer', title: 'Summer news', author: AUTHOR },
];
const TEMPLATE = [
  '{% if digest.count == 1 %}<p>{{ actor.name }} commented on {{ object.title }}.</p>',
  '{% else %}<p>{{ digest.count }} comments on {{ object.title }} by {{ digest.actors | map: "name" | join: ", " }}:</p>',
  '<ul>{% for item in digest.items %}<li>{{ item.actor.name }}: {{ item.target.text }}</li>{% endfor %}</ul>',
  '{% if digest.truncated %}<p>and {{ digest.left_out }} more</p>{% endif %}{% endif %}',
].join('');

const withCode = (code: string) => (error: unknown) => {
  assert.ok(error instanceof VoxError, `expected a VoxError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return true;
};
/** A commenter's id, the same in every process of a test. */
const idOf = (name: string) => [...name].reduce((n, c) => n * 31 + c.charCodeAt(0), 7) % 1_000_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const place of sharedDatabases) {
  describe(`digests (${place.name})`, { skip: place.skip }, () => {
    const suite = voxSuite();

    /** A blog whose comments reach the article's author as a digest declared by `digest`. */
    async function blog(digest: DigestSpec, options: { database?: () => DatabaseOptions; setUp?: boolean; site?: Pick<VoxOptions, 'site' | 'preferenceCenter' | 'quietHours'> } = {}) {
      let database = options.database;
      if (!database) {
        const db = await place.open('vox_digest');
        suite.dropAfter(db.drop);
        database = db.database;
      }
      const vox = suite.keep(createVox({ database: database(), backends: [htmlEmail({ transport: suite.smtp().transport, from: 'blog@example.org' })], worker: { sweepIntervalMs: 100 }, ...options.site }));
      const Users = vox.model('blog.user', { id: (u: User) => u.id, contacts: { email: (u) => ({ name: u.name, protocol: 'email', address: u.email }) } });
      vox.model('blog.comment', { id: (c: Comment) => c.text });
      const Articles = vox.model('blog.article', {
        id: (a: Article) => a.slug,
        notifications: { commented: { description: 'A new comment', actor: Users, target: 'blog.comment', digest } },
        channels: { author: { recipients: Users, resolve: (a: Article) => [a.author] } },
      });
      if (options.setUp !== false) {
        await vox.migrate();
        await vox.sync();
        await vox.templates.save({ notification: 'blog.article.commented', backend: 'email-html', recipients: ['c:author'], subject: 'Comments on {{ object.title }}', content: TEMPLATE });
      }
      const comment = (article: Article, by: string, text: string) => Articles.notify(article, 'commented', { actor: { id: idOf(by), name: by, email: `${by}@example.org` }, target: { text } });
      return { vox, comment, database, Users };
    }

    const mails = () => suite.smtp().received.filter((m) => m.envelopeTo.includes(AUTHOR.email));

    test('comments within the window become one email per article, listing them; a lone comment reads as one', async () => {
      const { vox, comment } = await blog({ window: 800, key: 'object' });
      await comment(ARTICLES[0] as Article, 'ann', 'First!');
      await comment(ARTICLES[0] as Article, 'bob', 'Nice one');
      await comment(ARTICLES[1] as Article, 'cy', 'Lovely summer');
      await comment(ARTICLES[0] as Article, 'ann', 'Also, typo');
      await sleep(300);
      assert.equal(mails().length, 0, 'nothing before the window ends');
      await until(() => mails().length >= 2, 10_000, 'two digests');
      await sleep(300);
      assert.equal(mails().length, 2);
      const spring = mails().find((m) => m.parsed.subject === 'Comments on Spring news');
      const summer = mails().find((m) => m.parsed.subject === 'Comments on Summer news');
      assert.match(String(spring?.parsed.html), /3 comments on Spring news by ann, bob:/);
      assert.match(String(spring?.parsed.html), /<li>ann: First!<\/li><li>bob: Nice one<\/li><li>ann: Also, typo<\/li>/);
      assert.match(String(summer?.parsed.html), /<p>cy commented on Summer news\.<\/p>/);
      const log = await vox.messages.list({ status: 'sent' });
      assert.equal(log.length, 2, 'one row per digest in the message log');
    });

    test("a digest email carries its recipient's unsubscribe headers; a digest whose recipient opted out while it gathered is skipped, saying why", async () => {
      const site = { site: { baseUrl: 'http://127.0.0.1:9', name: 'The blog' }, preferenceCenter: { secrets: ['the digest tests secret, of 32 bytes or more'] } };
      const { vox, comment, Users } = await blog({ window: 500, key: 'object' }, { site });
      await comment(ARTICLES[0] as Article, 'ann', 'First!');
      await until(() => mails().length >= 1, 10_000, 'the first digest');
      const [mail] = mails();
      assert.match(String(headerOf(mail!.raw, 'List-Unsubscribe')), /^<http:\/\/127\.0\.0\.1:9\/[^>]*unsubscribe\/[^>]+>$/);
      assert.equal(headerOf(mail!.raw, 'List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click');

      // Gathered while Alan still took comments by email; he opts out before the digest closes.
      await comment(ARTICLES[1] as Article, 'bob', 'Hello');
      await vox.preferences.set(Users, AUTHOR, { notification: 'blog.article.commented', protocol: 'email', enabled: false });
      await until(async () => (await vox.messages.list({ status: 'skipped' })).length > 0, 10_000, 'the skipped digest');
      const [skipped] = await vox.messages.list({ status: 'skipped' });
      assert.equal(skipped?.errorCode, ErrorCode.optedOut);
      assert.deepEqual(skipped?.to.map((c) => c.address), [AUTHOR.email]);
      await sleep(300);
      assert.equal(mails().length, 1, 'the second digest was not sent');
    });

    test("a digest that closes in its recipient's quiet hours is held until they end, then sent", async () => {
      // Quiet from an hour ago until 4 s from now, in UTC (the recipients declare no zone).
      const end = Date.now() + 4000;
      const clock = (ms: number) => new Date(Date.now() + ms).toISOString().slice(11, 19);
      const { vox, comment } = await blog({ window: 300, key: 'object' }, { site: { quietHours: { start: clock(-3_600_000), end: clock(4000), timezone: 'UTC', jitterMs: 300 } } });
      await comment(ARTICLES[0] as Article, 'ann', 'At night');
      await until(async () => (await vox.messages.list({ notification: 'blog.article.commented' })).length > 0, 10_000, 'the digest closed');
      const [held] = await vox.messages.list({ notification: 'blog.article.commented' });
      assert.equal(held?.status, 'queued', 'the digest waits in the log');
      assert.ok(held.nextAttemptAt !== null && Date.parse(held.nextAttemptAt) >= Math.floor(end / 1000) * 1000, `until the quiet hours end: ${held.nextAttemptAt}`);
      assert.equal(mails().length, 0, 'nothing sent in quiet hours');
      await until(() => mails().length >= 1, 15_000, 'the digest after the quiet hours');
      assert.ok(Date.now() >= Math.floor(end / 1000) * 1000, 'not before they ended');
    });

    test('maxItems closes a digest early; items keeps the first N and says how many were left out', async () => {
      const { comment } = await blog({ window: 60_000, maxItems: 4, items: { keep: 'first', count: 2 } });
      for (const [i, by] of ['ann', 'bob', 'cy', 'dee'].entries()) await comment(ARTICLES[0] as Article, by, `comment ${i}`);
      await until(() => mails().length >= 1, 10_000, 'the full digest, long before its window ends');
      const html = String(mails()[0]?.parsed.html);
      assert.match(html, /4 comments on Spring news/);
      assert.match(html, /<li>ann: comment 0<\/li><li>bob: comment 1<\/li><\/ul><p>and 2 more<\/p>/);
    });

    test('a sliding window stays open while events keep coming, but no longer than maxWait', async () => {
      const { comment } = await blog({ window: 700, mode: 'sliding', maxWait: 2000 });
      const started = Date.now();
      let firstAt: number | undefined;
      // An event every 400 ms for 3.2 s: each keeps the digest open, until maxWait closes it.
      for (let i = 0; i < 9; i++) {
        await comment(ARTICLES[i % 2] as Article, 'ann', `c${i}`);
        await sleep(400);
        if (firstAt === undefined && mails().length > 0) firstAt = Date.now() - started;
      }
      assert.ok(firstAt !== undefined && firstAt >= 2000, `the first digest came after ${firstAt} ms: the events kept it open past its 700 ms window until maxWait`);
      await until(() => mails().length >= 2, 10_000, 'the digest of the events after maxWait');
      const counts = mails().map((m) => Number(/(\d+) comments on/.exec(String(m.parsed.html))?.[1] ?? 1));
      assert.equal(counts.reduce((a, b) => a + b, 0), 9, `every event in one of the digests (no key: both articles together): ${counts.join(' + ')}`);
      assert.ok((counts[0] ?? 0) >= 5, `the first digest gathered the events of its first 2 s: ${counts[0]}`);
    });

    test('with two workers, each digest is written and sent once', async () => {
      const db = await place.open('vox_digest');
      suite.dropAfter(db.drop);
      // A window long enough for all thirty comments to be issued, even on a busy machine.
      const a = await blog({ window: 3000, key: 'actor' }, { database: db.database });
      const b = await blog({ window: 3000, key: 'actor' }, { database: db.database, setUp: false });
      await b.vox.start();
      for (let i = 0; i < 30; i++) await (i % 2 ? a : b).comment(ARTICLES[0] as Article, `user${i % 10}`, `comment ${i}`);
      await until(() => mails().length >= 10, 15_000, 'ten digests, one per commenter');
      await sleep(800);
      assert.equal(mails().length, 10);
      for (let u = 0; u < 10; u++) assert.equal(mails().filter((m) => String(m.parsed.html).includes(`3 comments on Spring news by user${u}:`)).length, 1, `user${u}`);
    });

    test('a key function separates digests by what it returns (here the article, whatever the comment)', async () => {
      const { comment } = await blog({ window: 600, key: ({ object }) => (object as Article).title.split(' ')[0] ?? '' });
      await comment(ARTICLES[0] as Article, 'ann', 'one');
      await comment(ARTICLES[1] as Article, 'bob', 'two');
      await comment(ARTICLES[1] as Article, 'cy', 'three');
      await until(() => mails().length >= 2, 10_000, 'a digest per article');
      assert.deepEqual(mails().map((m) => m.parsed.subject).sort(), ['Comments on Spring news', 'Comments on Summer news']);
      assert.match(String(mails().find((m) => m.parsed.subject === 'Comments on Summer news')?.parsed.html), /2 comments on Summer news by bob, cy:/);
    });

    test('a digest left closing by a worker that died is closed by another once its lease runs out', async () => {
      const db = await place.open('vox_digest');
      suite.dropAfter(db.drop);
      const { comment } = await blog({ window: 60_000 }, { database: db.database });
      await (await comment(ARTICLES[0] as Article, 'ann', 'orphaned')).settled();
      // As a worker killed after it claimed the digest leaves it: closing, its lease over.
      const past = new Date(Date.now() - 1000).toISOString();
      const fixture = db.fixture;
      if (fixture.dialect === 'sqlite') {
        const file = new DatabaseSync(fixture.path);
        assert.equal(file.prepare("update vox_digests set status = 'closing', due_at = ?, locked_until = ?").run(past, past).changes, 1);
        file.close();
      } else {
        const client = new pg.Client({ connectionString: fixture.url, options: `-c search_path=${fixture.schema}` });
        await client.connect();
        assert.equal((await client.query("update vox_digests set status = 'closing', due_at = $1, locked_until = $1", [past])).rowCount, 1);
        await client.end();
      }
      await until(() => mails().length >= 1, 10_000, 'the orphaned digest');
      assert.match(String(mails()[0]?.parsed.html), /ann commented on Spring news/);
    });

    test("a template's own digest replaces the notification's; false sends at once", async () => {
      const { vox, comment } = await blog({ window: 60_000 });
      const [template] = await vox.templates.list('blog.article.commented');
      await vox.templates.save({ ...(template as NonNullable<typeof template>), digest: false });
      await comment(ARTICLES[0] as Article, 'ann', 'at once');
      await until(() => mails().length >= 1, 10_000, 'the comment at once, though the code declares an hour-long digest');
      assert.match(String(mails()[0]?.parsed.html), /ann commented on Spring news/);
      await vox.templates.save({ ...(template as NonNullable<typeof template>), digest: { window: 500, key: 'object' } });
      await comment(ARTICLES[0] as Article, 'bob', 'one');
      await comment(ARTICLES[0] as Article, 'cy', 'two');
      await until(() => mails().length >= 2, 10_000, "the template's half-second digest");
      assert.match(String(mails()[1]?.parsed.html), /2 comments on Spring news by bob, cy/);
      await assert.rejects(vox.templates.save({ ...(template as NonNullable<typeof template>), digest: { window: 0 } }), (error: unknown) => {
        assert.match(String((error as Error).message), /window must be/);
        return true;
      });
    });

    test("a digest template's variables are known to the checks: a misspelt one is warned about, real ones are not", async () => {
      const { vox } = await blog({ window: 1000 });
      const save = (content: string) => vox.templates.save({ notification: 'blog.article.commented', backend: 'email-html', recipients: ['c:author'], subject: 'x', content });
      assert.deepEqual((await save(TEMPLATE)).warnings, []);
      const typo = await save('<p>{{ digest.cuont }} comments</p>');
      assert.equal(typo.warnings.length, 1);
      assert.match(typo.warnings[0]?.message ?? '', /digest\.cuont/);
    });

    test('declarations that cannot work are refused with VOX_INVALID_DIGEST at vox.model()', async () => {
      const bad: unknown[] = [{ window: 0 }, { window: -5 }, { window: 1.5 }, { window: 1000, mode: 'sliding', maxWait: 500 }, { window: 1000, maxWait: 5000 }, { window: 1000, key: 'author' }, { window: 1000, maxItems: 1 }, { window: 1000, items: { keep: 'middle', count: 3 } }];
      for (const digest of bad) await assert.rejects(blog(digest as DigestSpec, { setUp: false }), withCode(ErrorCode.invalidDigest), JSON.stringify(digest));
      const vox = suite.keep(createVox({ database: { dialect: 'sqlite', path: ':memory:' }, worker: false }));
      assert.throws(() => vox.model('shop.order', { id: (o: { id: number }) => o.id, notifications: { reset: { description: 'Password reset', required: true, digest: { window: 1000 } } } }), withCode(ErrorCode.invalidDigest));
    });
  });

  describe(`digests closed by a worker killed on the way (${place.name})`, { skip: place.skip }, () => {
    test('every digest reaches every reader, each digest one row of the log', { timeout: 120_000 }, async (t) => {
      const READERS = 300;
      const db = await place.open('vox_digest');
      const sink = await startSmtpSink();
      const env = { VOX_FIXTURE_DIGEST_MS: '300' };
      process.env.VOX_FIXTURE_DIGEST_MS = '300';
      const issuer = newsApp(db.fixture, sink.port, READERS, { worker: false });
      const workers: ChildProcess[] = [];
      try {
        await setUpNews(issuer.vox);
        await issuer.vox.templates.save({ notification: 'news.post.commented', backend: 'email-html', recipients: ['c:readers'], subject: '{{ digest.count }} comments on {{ object.title }}', content: '<p>{{ digest.count }} comments on {{ object.title }}</p>' });
        for (const post of [{ id: 1, title: 'One' }, { id: 2, title: 'Two' }]) {
          for (let i = 0; i < 3; i++) await issuer.Post.notify(post, 'commented');
        }
        const first = await startWorker(db.fixture, sink, READERS, env);
        workers.push(first);
        await until(() => sink.delivered() >= 100, 60_000, 'the first 100 digests delivered');
        first.kill('SIGKILL');
        await new Promise((resolve) => first.once('exit', resolve));
        const inFlight = (await issuer.vox.messages.list({ status: 'sending' })).length;
        const atKill = sink.delivered();
        assert.ok(atKill < 2 * READERS, `the kill came too late to test anything (${atKill} delivered)`);
        workers.push(await startWorker(db.fixture, sink, READERS, env));
        const sent = async () => (await issuer.vox.messages.list({ notification: 'news.post.commented', status: 'sent', limit: 10_000 })).length;
        await until(async () => (await sent()) >= 2 * READERS, 90_000, 'every digest sent after the restart');
        await sleep(500);
        const rows = await issuer.vox.messages.list({ notification: 'news.post.commented', limit: 10_000 });
        assert.equal(rows.length, 2 * READERS, 'one message per digest: none written twice');
        assert.equal(sink.counts.size, READERS, 'every reader got digests');
        assert.ok([...sink.counts.values()].every((n) => n >= 2), 'both digests reached every reader');
        const duplicates = [...sink.counts.values()].reduce((sum, n) => sum + n - 2, 0);
        t.diagnostic(`killed after ${atKill} deliveries with ${inFlight} in flight; ${duplicates} duplicates`);
        assert.ok(duplicates <= inFlight, `${duplicates} duplicates, but only ${inFlight} messages were in flight at the kill`);
      } finally {
        delete process.env.VOX_FIXTURE_DIGEST_MS;
        for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
        await issuer.close();
        await sink.close();
        await db.drop();
      }
    });
  });
}
