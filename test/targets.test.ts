// Notifications with a target, end to end (docs/models.md, docs/templates.md, docs/attachments.md):
// `re`, `re:<key>` and `se` recipients, `target.*` variables and attachments, and the failure rows.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import * as z from 'zod';
import { contact, createVox, ErrorCode, type Vox } from '../src/index.ts';
import { htmlEmail } from '../src/backends/email/index.ts';
import { connect, type Connection } from '../src/store/connect.ts';
import { databases } from './support/databases.ts';
import { addressesOf, smtpForSuite, type TestSmtp } from './support/smtp.ts';

interface User {
  id: number;
  name: string;
  email: string;
}
interface Subscriber {
  id: number;
  name: string;
  email: string;
}
interface Article {
  slug: string;
  title: string;
  author: User;
}
interface Comment {
  id: number;
  body: string;
}

const subscriberSchema = z.object({ id: z.number(), name: z.string(), email: z.string().includes('@') });

/** What the app's code declares, which a test may vary as a later deploy would. */
interface Declared {
  /** The target model of blog.comment.posted, or none. */
  readonly target?: boolean;
  /** Whether blog.article still has its subscribers channel. */
  readonly subscribersChannel?: boolean;
  /** The subscribers' resolver. */
  readonly subscribers?: () => Subscriber[];
}

for (const database of databases) {
  describe(`target notifications on ${database.name}`, { skip: database.skip }, () => {
    const smtpServer = smtpForSuite();
    let smtp: TestSmtp;
    let connection: Connection;
    let drop: () => Promise<void>;
    const opened: Vox[] = [];
    const alan: User = { id: 1, name: 'Alan Author', email: 'alan@example.org' };
    const cora: User = { id: 2, name: 'Cora Commenter', email: 'cora@example.org' };
    const article: Article = { slug: 'tides', title: 'On Tides', author: alan };
    const comment: Comment = { id: 7, body: 'Lovely piece' };
    const subscribers: Subscriber[] = [
      { id: 1, name: 'Sam', email: 'sam@example.org' },
      { id: 2, name: 'Sue', email: 'sue@example.org' },
    ];

    /** The blog's comment notification, whose target is the article commented on. */
    function app(declared: Declared = {}) {
      const vox = createVox({ database: connection.db, backends: [htmlEmail({ transport: smtp.transport, from: 'blog@example.org' })], worker: { sweepIntervalMs: 50 } });
      opened.push(vox);
      const User = vox.model('auth.user', {
        id: (u: User) => u.id,
        // Everyone's mentor is Alan.
        channels: { self: true, mentor: { label: 'Mentor', resolve: () => [alan] } },
        contacts: { email: (u) => contact(u.name, 'email', u.email) },
        attachments: { vcard: { mime: 'text/vcard', data: (u) => `BEGIN:VCARD\r\nFN:${u.name}\r\nEND:VCARD\r\n` } },
      });
      const Subscriber = vox.model('blog.subscriber', {
        id: (s: Subscriber) => s.id,
        schema: subscriberSchema,
        contacts: { email: (s) => contact(s.name, 'email', s.email) },
      });
      const Article = vox.model('blog.article', {
        id: (a: Article) => a.slug,
        // The article's own address: its mailing-list archive.
        contacts: { email: (a) => contact(a.title, 'email', `list+${a.slug}@example.org`) },
        channels: {
          self: true,
          ...(declared.subscribersChannel === false ? {} : { subscribers: { label: 'Subscribers', recipients: Subscriber, resolve: declared.subscribers ?? (() => subscribers) } }),
        },
        relations: { author: User },
      });
      const Comment = vox.model('blog.comment', {
        id: (c: Comment) => c.id,
        notifications: { posted: declared.target === false ? { description: 'A comment was posted', actor: User } : { description: 'A comment was posted', actor: User, target: Article } },
      });
      return { vox, Comment };
    }

    beforeEach(async () => {
      smtp = smtpServer();
      const db = await database.create();
      drop = db.drop;
      connection = connect(db.options);
      const { vox } = app();
      await vox.migrate();
      await vox.sync();
    });
    afterEach(async () => {
      for (const vox of opened.splice(0)) await vox.close();
      await connection.close();
      await drop();
    });

    const mailTo = (address: string) => smtp.received.filter((m) => m.envelopeTo.includes(address));

    test('re:<key>, re, se and se:<key> reach the target\'s channel, the target, the actor and the actor\'s channel, with target variables and attachments', async () => {
      const { vox, Comment } = app();
      assert.deepEqual((await vox.notifications.channels('blog.comment.posted')).map((c) => [c.key, c.label]), [
        ['si', 'Site Contacts'],
        ['se', 'Actor'],
        ['se:mentor', "Actor's Mentor"],
        ['re', 'Target'],
        ['re:subscribers', "Target's Subscribers"],
      ]);
      await vox.templates.save({
        notification: 'blog.comment.posted',
        backend: 'email-html',
        recipients: ['re:subscribers'],
        subject: 'Comment on {{ target.title }}',
        content: '<p>Hi {{ recipient.name }}, {{ actor.name }} commented on {{ target.title }} by {{ target.author.name }}: {{ object.body }}</p>',
        attachments: ['target.author.vcard'],
      });
      await vox.templates.save({ notification: 'blog.comment.posted', backend: 'email-html', recipients: ['se'], subject: 'Thanks for commenting on {{ target.title }}', content: '<p>{{ recipient.name }}</p>' });
      await vox.templates.save({ notification: 'blog.comment.posted', backend: 'email-html', recipients: ['re'], subject: 'Archive: {{ target.slug }}', content: '<p>{{ object.body }}</p>' });
      await vox.templates.save({ notification: 'blog.comment.posted', backend: 'email-html', recipients: ['se:mentor'], subject: '{{ actor.name }} commented', content: '<p>Dear {{ recipient.name }}</p>' });

      const ticket = await Comment.notify(comment, 'posted', { actor: cora, target: article });
      const result = await ticket.settled();
      assert.deepEqual([result.sent, result.failed], [5, 0]);

      for (const [address, name] of [['sam@example.org', 'Sam'], ['sue@example.org', 'Sue']] as const) {
        const [mail] = mailTo(address);
        assert.equal(mail?.parsed.subject, 'Comment on On Tides');
        assert.match(String(mail?.parsed.html), new RegExp(`Hi ${name}, Cora Commenter commented on On Tides by Alan Author: Lovely piece`));
        assert.deepEqual(mail?.parsed.attachments.map((a) => [a.filename, a.contentType, a.content.toString('utf8')]), [['vcard.vcf', 'text/vcard', 'BEGIN:VCARD\r\nFN:Alan Author\r\nEND:VCARD\r\n']]);
      }
      const [thanks] = mailTo('cora@example.org');
      assert.equal(thanks?.parsed.subject, 'Thanks for commenting on On Tides');
      assert.deepEqual(addressesOf(thanks?.parsed.to), ['cora@example.org']);
      const [archive] = mailTo('list+tides@example.org');
      assert.equal(archive?.parsed.subject, 'Archive: tides');
      const [mentor] = mailTo('alan@example.org');
      assert.equal(mentor?.parsed.subject, 'Cora Commenter commented');
      assert.match(String(mentor?.parsed.html), /Dear Alan Author/);
      assert.equal(smtp.received.length, 5);

      const issue = await vox.issues.get(ticket.issueId);
      assert.deepEqual([issue?.target?.model, issue?.target?.id], ['blog.article', 'tides']);
    });

    test('a channel that no longer exists, or a target the notification no longer has, is a VOX_CHANNEL row with no recipients', async () => {
      const first = app();
      await first.vox.templates.save({ notification: 'blog.comment.posted', backend: 'email-html', recipients: ['re:subscribers'], subject: 'Subscribers', content: '<p>x</p>' });
      await first.vox.templates.save({ notification: 'blog.comment.posted', backend: 'email-html', recipients: ['se'], subject: 'Actor', content: '<p>x</p>' });

      // A later deploy drops the article's subscribers channel.
      const dropped = app({ subscribersChannel: false });
      const result = await (await dropped.Comment.notify(comment, 'posted', { actor: cora, target: article })).settled();
      assert.deepEqual(smtp.received.map((m) => m.parsed.subject), ['Actor'], 'the other template still sends');
      const [row] = await dropped.vox.messages.list({ issueId: result.issueId, status: 'failed' });
      assert.deepEqual([row?.errorCode, row?.to, row?.permanent, row?.attempts], [ErrorCode.channel, [], true, 0]);
      assert.match(row?.error ?? '', /recipients re:subscribers: blog\.article has no channel "subscribers"/);

      // Another deploy drops the notification's target; sync records it. The old deploy's worker stops.
      await dropped.vox.stop();
      smtp.received.splice(0);
      await first.vox.templates.save({ notification: 'blog.comment.posted', backend: 'email-html', recipients: ['re'], subject: 'Target', content: '<p>x</p>' });
      const untargeted = app({ target: false });
      await untargeted.vox.sync();
      const second = await (await untargeted.Comment.notify(comment, 'posted', { actor: cora })).settled();
      assert.deepEqual(smtp.received.map((m) => m.parsed.subject), ['Actor']);
      const failed = await untargeted.vox.messages.list({ issueId: second.issueId, status: 'failed' });
      assert.deepEqual(failed.map((m) => [m.errorCode, m.to.length]).sort(), [[ErrorCode.channel, 0], [ErrorCode.channel, 0]]);
      assert.deepEqual(failed.map((m) => /this notification has no target/.test(m.error ?? '')), [true, true]);
    });

    test('a resolver that throws is a VOX_CHANNEL row; a recipient failing its schema is a VOX_SCHEMA row for that recipient alone', async () => {
      const first = app();
      await first.vox.templates.save({ notification: 'blog.comment.posted', backend: 'email-html', recipients: ['re:subscribers'], subject: 'Hi {{ recipient.name }}', content: '<p>x</p>' });
      await first.vox.templates.save({ notification: 'blog.comment.posted', backend: 'email-html', recipients: ['se'], subject: 'Actor', content: '<p>x</p>' });

      const throwing = app({ subscribers: () => { throw new Error('the subscriber list is locked'); } });
      const broken = await (await throwing.Comment.notify(comment, 'posted', { actor: cora, target: article })).settled();
      assert.deepEqual(smtp.received.map((m) => m.parsed.subject), ['Actor']);
      const [channelRow] = await throwing.vox.messages.list({ issueId: broken.issueId, status: 'failed' });
      assert.deepEqual([channelRow?.errorCode, channelRow?.to], [ErrorCode.channel, []]);
      assert.match(channelRow?.error ?? '', /recipients re:subscribers failed: the subscriber list is locked/);

      // The next deploy's worker alone delivers what it issues.
      await throwing.vox.stop();
      smtp.received.splice(0);
      const invalid = app({ subscribers: () => [...subscribers, { id: 3, name: 'Nemo', email: 'nemo.example.org' }] });
      const result = await (await invalid.Comment.notify(comment, 'posted', { actor: cora, target: article })).settled();
      assert.deepEqual(smtp.received.map((m) => m.parsed.subject).sort(), ['Actor', 'Hi Sam', 'Hi Sue']);
      const [schemaRow] = await invalid.vox.messages.list({ issueId: result.issueId, status: 'failed' });
      assert.equal(schemaRow?.errorCode, ErrorCode.schema);
      assert.deepEqual(schemaRow?.to.map((c) => c.address), ['nemo.example.org']);
      assert.match(schemaRow?.error ?? '', /blog\.subscriber "3" does not match its schema: email/);
    });
  });
}
