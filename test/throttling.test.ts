// Throttles (docs/digests.md, "Throttling"): at most N messages of a notification per recipient in a
// window; what is over is skipped and logged with VOX_THROTTLED, or gathered into one digest that
// closes when the window ends. SQLite and PostgreSQL, a real SMTP server.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createVox, ErrorCode, VoxError, type ThrottleSpec } from '../src/index.ts';
import { htmlEmail } from '../src/backends/email/index.ts';
import { databases } from './support/databases.ts';
import { voxSuite } from './support/vox-suite.ts';
import { until } from './support/workers.ts';

interface Article {
  readonly slug: string;
  readonly title: string;
}

for (const database of databases) {
  describe(`throttles (${database.name})`, { skip: database.skip }, () => {
    const suite = voxSuite();

    /** Each comment emails two followers; `throttle` limits how many each may get. */
    async function blog(throttle: ThrottleSpec) {
      const created = await database.create();
      suite.dropAfter(created.drop);
      const vox = suite.keep(createVox({ database: created.options, backends: [htmlEmail({ transport: suite.smtp().transport, from: 'blog@example.org' })], worker: { sweepIntervalMs: 100 } }));
      const Follower = vox.model('blog.follower', { id: (email: string) => email, contacts: { email: (email) => email } });
      const Articles = vox.model('blog.article', {
        id: (a: Article) => a.slug,
        notifications: { commented: { description: 'A new comment', throttle } },
        channels: { followers: { recipients: Follower, resolve: () => ['ann@example.org', 'bob@example.org'] } },
      });
      await vox.migrate();
      await vox.sync();
      await vox.templates.save({
        notification: 'blog.article.commented',
        backend: 'email-html',
        recipients: ['c:followers'],
        subject: '{% if digest.count > 1 %}{{ digest.count }} comments{% else %}A comment{% endif %} on {{ object.title }}',
        content: '<p>New on {{ object.title }}</p>',
      });
      return { vox, comment: (title: string) => Articles.notify({ slug: title.toLowerCase(), title }, 'commented') };
    }
    const to = (address: string) => suite.smtp().received.filter((m) => m.envelopeTo.includes(address));

    test('over the limit, messages are skipped and logged with VOX_THROTTLED; each recipient counts alone', async () => {
      const { vox, comment } = await blog({ limit: 2, window: 60_000 });
      for (const title of ['One', 'Two', 'Three', 'Four']) await (await comment(title)).settled();
      assert.deepEqual(to('ann@example.org').map((m) => m.parsed.subject), ['A comment on One', 'A comment on Two']);
      assert.equal(to('bob@example.org').length, 2);
      const skipped = await vox.messages.list({ status: 'skipped' });
      assert.equal(skipped.length, 4);
      assert.ok(skipped.every((m) => m.errorCode === ErrorCode.throttled && /had 2 messages of blog\.article\.commented within 60 s/.test(m.error ?? '')), JSON.stringify(skipped.map((m) => m.error)));
    });

    test('a new window starts once the last one is over', async () => {
      const { comment } = await blog({ limit: 1, window: 600 });
      await (await comment('One')).settled();
      await (await comment('Two')).settled();
      await new Promise((resolve) => setTimeout(resolve, 700));
      await (await comment('Three')).settled();
      assert.deepEqual(to('ann@example.org').map((m) => m.parsed.subject), ['A comment on One', 'A comment on Three']);
    });

    test("with over: 'digest', what is over the limit arrives as one digest when the window ends", async () => {
      const { comment } = await blog({ limit: 1, window: 1500, over: 'digest' });
      for (const title of ['One', 'Two', 'Three']) await (await comment(title)).settled();
      assert.deepEqual(to('ann@example.org').map((m) => m.parsed.subject), ['A comment on One']);
      await until(() => to('ann@example.org').length >= 2 && to('bob@example.org').length >= 2, 10_000, 'the overflow digests');
      assert.deepEqual(to('ann@example.org').map((m) => m.parsed.subject), ['A comment on One', '2 comments on Three']);
    });

    test('throttles that cannot work are refused at vox.model() with VOX_INVALID_DIGEST', () => {
      const vox = suite.keep(createVox({ database: { dialect: 'sqlite', path: ':memory:' }, worker: false }));
      const bad: unknown[] = [{ limit: 0, window: 1000 }, { limit: 2, window: 0 }, { limit: 2, window: 1000, over: 'queue' }];
      for (const [i, throttle] of bad.entries()) {
        assert.throws(() => vox.model(`m${i}.x`, { id: (o: { id: number }) => o.id, notifications: { n: { description: 'n', throttle: throttle as ThrottleSpec } } }), (e: unknown) => e instanceof VoxError && e.code === ErrorCode.invalidDigest);
      }
      assert.throws(() => vox.model('m.reset', { id: (o: { id: number }) => o.id, notifications: { n: { description: 'reset', required: true, throttle: { limit: 1, window: 1000 } } } }), (e: unknown) => e instanceof VoxError && e.code === ErrorCode.invalidDigest);
    });
  });
}
