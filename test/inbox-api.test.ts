import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ErrorCode } from '../src/index.ts';
import { databases } from './support/databases.ts';
import { inboxApp, type InboxApp } from './support/inbox-app.ts';

for (const database of databases) {
  describe(`in-app inbox API on ${database.name}`, { skip: database.skip }, () => {
    let app: InboxApp;
    let drop: () => Promise<void>;

    beforeEach(async () => {
      const db = await database.create();
      drop = db.drop;
      app = await inboxApp(db.options);
    });
    afterEach(async () => {
      await app.vox.close();
      await drop();
    });

    test('a message leaves one item per recipient, its body rendered from Markdown and sanitized, and the log says sent', async () => {
      await app.publish({ id: 1, title: 'Hello <b>', body: '<script>alert(1)</script> [click](javascript:alert(1)) **bold**' });
      const [m1, m2] = app.members;
      const page = await app.vox.inbox(app.Member, m2!).list();
      assert.equal(page.items.length, 1);
      const item = page.items[0]!;
      assert.equal(item.title, 'Member 1 published Hello <b>');
      assert.equal(item.link, '/posts/1');
      assert.deepEqual(item.actor, { name: 'Member 1', avatar: null });
      assert.deepEqual(item.data, { kind: 'post' });
      assert.equal(item.notification, 'club.post.published');
      assert.doesNotMatch(item.html, /<script|<a /i, 'no script element, and a javascript: link stays text');
      assert.match(item.html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
      assert.match(item.html, /<strong>bold<\/strong>/);
      assert.match(item.html, /Read it <strong>now<\/strong>/);
      assert.equal((await app.vox.inbox(app.Member, m1!).list()).items.length, 1);
      const messages = await app.vox.messages.list({ backend: 'in-app' });
      assert.equal(messages.length, 3);
      assert.ok(messages.every((m) => m.status === 'sent'));
      assert.deepEqual(await app.vox.inbox(app.Member, m2!).counts(), { unread: 1, unseen: 1 });
    });

    test('lists page newest first with a cursor, and filter unread, unseen and archived', async () => {
      for (let id = 1; id <= 5; id++) await app.publish({ id, title: `Post ${id}`, body: 'text' });
      const inbox = app.vox.inbox(app.Member, app.members[1]!);
      const first = await inbox.list({ limit: 2 });
      assert.deepEqual(first.items.map((i) => i.title.slice(-6)), ['Post 5', 'Post 4']);
      assert.ok(first.nextCursor);
      const second = await inbox.list({ limit: 2, cursor: first.nextCursor });
      assert.deepEqual(second.items.map((i) => i.title.slice(-6)), ['Post 3', 'Post 2']);
      const third = await inbox.list({ limit: 2, cursor: second.nextCursor! });
      assert.deepEqual(third.items.map((i) => i.title.slice(-6)), ['Post 1']);
      assert.equal(third.nextCursor, null);

      const ids = first.items.map((i) => i.id);
      assert.equal(await inbox.mark(ids[0]!, 'read'), 1);
      assert.equal(await inbox.mark(ids[1]!, 'seen'), 1);
      assert.equal(await inbox.mark(second.items[0]!.id, 'archived'), 1);
      assert.deepEqual(await inbox.counts(), { unread: 3, unseen: 2 });
      assert.deepEqual((await inbox.list({ filter: 'unread' })).items.map((i) => i.title.slice(-6)), ['Post 4', 'Post 2', 'Post 1']);
      assert.deepEqual((await inbox.list({ filter: 'unseen' })).items.map((i) => i.title.slice(-6)), ['Post 2', 'Post 1']);
      assert.deepEqual((await inbox.list({ filter: 'archived' })).items.map((i) => i.title.slice(-6)), ['Post 3']);
      assert.deepEqual((await inbox.list({ filter: 'all' })).items.map((i) => i.title.slice(-6)), ['Post 5', 'Post 4', 'Post 2', 'Post 1']);
      const read = (await inbox.get(ids[0]!))!;
      assert.ok(read.readAt && read.seenAt, 'reading marks seen too');

      // Opposites, and many at once.
      assert.equal(await inbox.mark([ids[0]!], 'unread'), 1);
      assert.equal(await inbox.mark(second.items[0]!.id, 'unarchived'), 1);
      assert.deepEqual(await inbox.counts(), { unread: 5, unseen: 3 });
      assert.equal(await inbox.mark('all', 'seen'), 3);
      assert.deepEqual(await inbox.counts(), { unread: 5, unseen: 0 });
      assert.equal(await inbox.mark('all', 'read'), 5);
      assert.deepEqual(await inbox.counts(), { unread: 0, unseen: 0 });
      assert.equal(await inbox.mark([ids[0]!, ids[1]!], 'unseen'), 2);
      assert.deepEqual(await inbox.counts(), { unread: 2, unseen: 2 }, 'an unseen item is unread too');
      assert.equal(await inbox.mark('all', 'archived'), 5);
      assert.deepEqual(await inbox.counts(), { unread: 0, unseen: 0 });
      assert.equal((await inbox.list()).items.length, 0);
      // Other recipients are untouched.
      assert.deepEqual(await app.vox.inbox(app.Member, app.members[2]!).counts(), { unread: 5, unseen: 5 });
    });

    test('an in-app template with a problem no variable can fix is refused when saved, and nothing is written', async () => {
      const before = (await app.vox.templates.list()).length;
      for (const [content, problem] of [
        ['body: no title here', /needs a `title:` line/],
        ['title: T\nlink: javascript:alert(1)', /link "javascript:alert\(1\)" is not an http\(s\) URL or a path/],
        ['title: T\nlink: //evil.example/{{ object.id }}', /is not an http\(s\) URL or a path/],
        ['title: T\navatar: ftp://x/{{ object.id }}.png', /avatar .* is not an http\(s\) URL/],
        ['title: T\ncolour: red', /no field "colour"/],
        ['title: T\njust text', /line 2.*`key: value`/],
      ] as const) {
        await assert.rejects(app.vox.templates.save({ notification: 'club.post.published', backend: 'in-app', recipients: ['c:members'], content }), (error: Error & { code?: string }) => {
          assert.equal(error.code, ErrorCode.invalidTemplate);
          assert.match(error.message, problem);
          return true;
        });
      }
      assert.equal((await app.vox.templates.list()).length, before);
      // Variables and Liquid tags are fine: what they bring is checked when sending.
      await app.vox.templates.save({ notification: 'club.post.published', backend: 'in-app', recipients: ['c:members'], content: '{% if object.title %}\ntitle: {{ object.title }}\n{% endif %}\nlink: {{ object.url }}\navatar: {{ actor.avatar }}\ndata.kind: {{ object.kind }}' });
    });

    test("another recipient's item is not found and nothing is marked; bad input is refused with codes", async () => {
      await app.publish({ id: 1, title: 'One', body: '' });
      const mine = app.vox.inbox(app.Member, app.members[1]!);
      const theirs = (await app.vox.inbox(app.Member, app.members[2]!).list()).items[0]!;
      const own = (await mine.list()).items[0]!;
      assert.equal(await mine.get(theirs.id), undefined);
      await assert.rejects(mine.mark([own.id, theirs.id], 'read'), { code: ErrorCode.notFound });
      assert.deepEqual(await mine.counts(), { unread: 1, unseen: 1 });
      assert.equal((await app.vox.inbox(app.Member, app.members[2]!).get(theirs.id))?.readAt, null);
      await assert.rejects(mine.list({ filter: 'new' as never }), { code: ErrorCode.invalidInput });
      await assert.rejects(mine.list({ limit: 0 }), { code: ErrorCode.invalidInput });
      await assert.rejects(mine.list({ cursor: 'nonsense' }), { code: ErrorCode.invalidInput });
      await assert.rejects(mine.mark(own.id, 'loved' as never), { code: ErrorCode.invalidInput });
    });
  });
}
