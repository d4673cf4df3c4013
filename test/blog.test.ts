import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { databases } from './support/databases.ts';
import { addressesOf, startSmtp, type TestSmtp } from './support/smtp.ts';
import { createBlog, seedBlog } from './support/blog.ts';

for (const database of databases) {
  describe(`the seed's blog scenario on ${database.name}`, { skip: database.skip }, () => {
    let smtp: TestSmtp;
    let blog: ReturnType<typeof createBlog>;
    let drop: () => Promise<void>;

    before(async () => {
      smtp = await startSmtp();
      const db = await database.create();
      drop = db.drop;
      blog = createBlog(db.options, smtp.transport);
      await blog.vox.migrate();
      await blog.vox.sync();
      await seedBlog(blog.vox);
    });

    after(async () => {
      await blog.vox.close();
      await drop();
      await smtp.close();
    });

    test('a new article emails every subscriber a personal link and the author vCard', async () => {
      const { data, models, vox } = blog;
      data.subscribers.push({ id: 1, name: 'Sam Subscriber', email: 'sam@example.org', token: 'tok-sam' });
      data.subscribers.push({ id: 2, name: 'Pat <Reader>', email: 'pat@example.org', token: 'tok-pat' });
      const author = data.users[0]!;
      const article = { slug: 'hello-world', title: 'Hello & welcome', body: 'First post', author };
      data.articles.push(article);
      smtp.received.length = 0;

      const result = await (await models.Article.notify(article, 'created', { actor: author })).settled();

      assert.equal(result.sent, 2);
      assert.equal(result.failed, 0);
      assert.equal(smtp.received.length, 2);
      for (const subscriber of data.subscribers) {
        const mail = smtp.received.find((m) => m.envelopeTo.includes(subscriber.email));
        assert.ok(mail, `${subscriber.email} got no mail`);
        assert.deepEqual(mail.envelopeTo, [subscriber.email]);
        assert.equal(mail.parsed.subject, 'New article: Hello & welcome');
        assert.deepEqual(addressesOf(mail.parsed.from), ['blog@example.org']);
        const html = String(mail.parsed.html);
        assert.ok(html.includes(`href="http://blog.test/articles/hello-world?token=${subscriber.token}"`), html);
        assert.ok(html.includes('Hello &amp; welcome'), 'HTML escapes variables');
        assert.ok(mail.parsed.text?.includes('Hello & welcome'), 'text part is generated from the HTML');
        const [vcard] = mail.parsed.attachments;
        assert.ok(vcard, 'the author vCard is attached');
        assert.equal(vcard.filename, 'vcard.vcf');
        assert.equal(vcard.contentType, 'text/vcard');
        assert.match(vcard.content.toString('utf8'), /FN:Alan Author/);
      }
      const pat = smtp.received.find((m) => m.envelopeTo.includes('pat@example.org'));
      assert.ok(String(pat?.parsed.html).includes('Hi Pat &lt;Reader&gt;'));

      const log = await vox.messages.list({ issueId: result.issueId });
      assert.equal(log.length, 2);
      for (const row of log) {
        assert.equal(row.status, 'sent');
        assert.equal(row.backend, 'email-html');
        assert.equal(row.attempts, 1);
        assert.ok(row.sentAt);
        assert.ok(row.providerMessageId);
        assert.equal(row.payload?.attachments?.[0]?.filename, 'vcard.vcf');
      }
    });

    test('a new subscriber emails the site contact, who is the recipient', async () => {
      const { data, models } = blog;
      const subscriber = { id: 3, name: 'Nina New', email: 'nina@example.org', token: 'tok-nina' };
      data.subscribers.push(subscriber);
      smtp.received.length = 0;

      const result = await (await models.Subscriber.notify(subscriber, 'created')).settled();

      assert.equal(result.sent, 1);
      const [mail] = smtp.received;
      assert.deepEqual(mail?.envelopeTo, ['admin@example.org']);
      assert.equal(mail?.parsed.subject, 'New subscriber: Nina New');
      assert.match(String(mail?.parsed.html), /Dear Site admin,/);
      assert.match(String(mail?.parsed.html), /Nina New \(nina@example.org\) subscribed to Vox Blog/);
    });

    test("a comment emails the article's author, not the commenter", async () => {
      const { data, models } = blog;
      const article = data.articles[0]!;
      const comment = { id: 1, article, poster: 'Sam Subscriber', body: 'Nice <b>post</b>' };
      data.comments.push(comment);
      smtp.received.length = 0;

      const result = await (await models.Comment.notify(comment, 'posted')).settled();

      assert.equal(result.sent, 1);
      const [mail] = smtp.received;
      assert.deepEqual(mail?.envelopeTo, ['author@example.org']);
      assert.equal(mail?.parsed.subject, 'New comment on Hello & welcome');
      assert.match(String(mail?.parsed.html), /Hi Alan Author,/);
      assert.match(String(mail?.parsed.html), /Nice &lt;b&gt;post&lt;\/b&gt;/);
    });
    test('templates see only what the model schema exposes', async () => {
      const { data, models, vox } = blog;
      const { template, warnings } = await vox.templates.save({
        notification: 'blog.comment.posted',
        backend: 'email-html',
        recipients: ['c:articleAuthor'],
        subject: 'Leak test',
        content: '<p>[{{ recipient.passwordHash }}][{{ object.article.author.passwordHash }}][{{ recipient.email }}]</p>',
      });
      assert.deepEqual(warnings.map((w) => w.message), ['unknown variable recipient.passwordHash', 'unknown variable object.article.author.passwordHash']);
      smtp.received.length = 0;
      await (await models.Comment.notify(data.comments[0]!, 'posted')).settled();
      const leak = smtp.received.find((m) => m.parsed.subject === 'Leak test');
      assert.match(String(leak?.parsed.html), /\[\]\[\]\[author@example\.org\]/);
      assert.ok(!String(leak?.parsed.html).includes('secret-hash'));
      await vox.templates.delete(template.id);
    });
  });
}
