// Preferences and the suppression list in the fan-out, on SQLite and PostgreSQL, seen at a real
// SMTP server and in the message log: opted-out and suppressed recipients get nothing and their
// rows say `skipped` with why; a required notification ignores preferences (and an unsubscribed
// address) but not a bounce; preferences and suppressions are read per batch, never per recipient.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Kysely, PostgresDialect, type LogEvent } from 'kysely';
import { createVox, nodeSqliteDialect, type Vox } from '../src/index.ts';
import { htmlEmail } from '../src/backends/email/index.ts';
import { databases } from './support/databases.ts';
import { smtpForSuite, type TestSmtp } from './support/smtp.ts';
import { blogModels, type Subscriber } from './support/preference-blog.ts';

const person = (id: string): Subscriber => ({ id, email: `${id}@example.org`, phone: '' });

for (const database of databases) {
  describe(`preferences and suppressions in the fan-out (${database.name})`, { skip: database.skip }, () => {
    const smtpServer = smtpForSuite();
    let smtp: TestSmtp;
    let vox: Vox;
    let db: Kysely<unknown>;
    let drop: () => Promise<void>;
    let subscribers: Subscriber[] = [];
    let models: ReturnType<typeof blogModels>;
    /** SQL statements run since the last reset, as Kysely's log hook saw them. */
    const statements: string[] = [];

    beforeEach(async () => {
      smtp = smtpServer();
      const created = await database.create();
      drop = created.drop;
      const log = (event: LogEvent) => {
        if (event.level === 'query') statements.push(event.query.sql);
      };
      const options = created.options as { dialect: string; path?: string; pool?: unknown };
      db = options.dialect === 'sqlite'
        ? new Kysely({ dialect: nodeSqliteDialect(':memory:'), log })
        : new Kysely({ dialect: new PostgresDialect({ pool: options.pool as never }), log });
      vox = createVox({
        database: db,
        backends: [htmlEmail({ transport: smtp.transport, from: 'blog@example.org' })],
        worker: { sweepIntervalMs: 50 },
        delivery: { batchSize: 100 },
      });
      models = blogModels(vox, () => subscribers);
      await vox.migrate();
      await vox.sync();
      for (const codename of ['created', 'security', 'commented']) {
        await vox.templates.save({ notification: `blog.article.${codename}`, backend: 'email-html', recipients: ['c:subscribers'], subject: `${codename} {{ object.id }}`, content: '<p>Hello {{ contact.address }}</p>' });
      }
    });
    afterEach(async () => {
      await vox.close();
      await db.destroy();
      await drop();
    });

    test('opted-out and suppressed recipients get no email, their rows say skipped and why; the others get it', async () => {
      subscribers = ['ann', 'bo', 'cy', 'dee', 'eve', 'fay'].map(person);
      const { Subscriber, Article } = models;
      await vox.preferences.set(Subscriber, 'ann', { category: 'newsletter', protocol: 'email', enabled: false });
      await vox.preferences.set(Subscriber, 'bo', { enabled: false });
      await vox.preferences.set(Subscriber, 'fay', [{ enabled: false }, { notification: 'blog.article.created', enabled: true }]);
      await vox.suppressions.add([
        { protocol: 'email', address: 'CY@example.org', reason: 'bounced', source: 'postmark', note: 'mailbox does not exist' },
        { protocol: 'email', address: 'eve@example.org', reason: 'unsubscribed', source: 'recipient' },
      ]);
      // Suppression comes first: cy also opted in explicitly, and is still not mailed.
      await vox.preferences.set(Subscriber, 'cy', { notification: 'blog.article.created', enabled: true });

      const ticket = await Article.notify({ id: 7 }, 'created');
      const result = await ticket.settled();
      assert.deepEqual(smtp.received.map((m) => m.envelopeTo).flat().sort(), ['dee@example.org', 'fay@example.org']);
      assert.equal(result.sent, 2);
      assert.equal(result.skipped, 4);
      assert.equal(result.failed, 0, 'skipped is not a failure');

      const rows = await vox.messages.list({ issueId: ticket.issueId, status: 'skipped' });
      const why = Object.fromEntries(rows.map((m) => [m.to[0]?.address, [m.errorCode, m.error]]));
      assert.deepEqual(why['ann@example.org'], ['VOX_OPTED_OUT', 'opted out of category newsletter by email']);
      assert.deepEqual(why['bo@example.org'], ['VOX_OPTED_OUT', 'opted out of everything']);
      assert.equal(why['cy@example.org']?.[0], 'VOX_SUPPRESSED');
      assert.match(String(why['cy@example.org']?.[1]), /^suppressed \(bounced, by postmark at .+: mailbox does not exist\)$/);
      assert.equal(why['eve@example.org']?.[0], 'VOX_SUPPRESSED');
      assert.match(String(why['eve@example.org']?.[1]), /unsubscribed, by recipient/);

      const issue = await vox.issues.get(ticket.issueId);
      assert.equal(issue?.messages.skipped, 4);
      assert.equal(issue?.messages.sent, 2);
      assert.deepEqual((await vox.messages.list({ address: 'ANN@example' })).map((m) => [m.to[0]?.address, m.status]), [['ann@example.org', 'skipped']], 'searched by address');
    });

    test('a required notification ignores preferences and an unsubscribed address, not a bounce; code defaults opt out', async () => {
      subscribers = ['ann', 'cy', 'eve'].map(person);
      const { Subscriber, Article } = models;
      await vox.preferences.set(Subscriber, 'ann', [{ enabled: false }, { protocol: 'email', enabled: false }]);
      await vox.suppressions.add([
        { protocol: 'email', address: 'cy@example.org', reason: 'bounced', source: 'postmark' },
        { protocol: 'email', address: 'eve@example.org', reason: 'unsubscribed', source: 'recipient' },
      ]);
      const result = await (await Article.notify({ id: 8 }, 'security')).settled();
      assert.deepEqual(smtp.received.map((m) => m.envelopeTo).flat().sort(), ['ann@example.org', 'eve@example.org']);
      assert.deepEqual(result.messages.filter((m) => m.status === 'skipped').map((m) => m.to), [['cy@example.org']]);

      // Every address bounced: a required notification reached nobody, and settled() says so.
      subscribers = [person('cy')];
      await assert.rejects((await Article.notify({ id: 9 }, 'security')).settled(), (e: { code?: string; message: string }) => e.code === 'VOX_NOTHING_SENT' && /suppressed \(bounced/.test(e.message));

      // `commented` is off by email unless a recipient opts in.
      subscribers = [person('gil'), person('hal')];
      await vox.preferences.set(Subscriber, 'hal', { category: 'comments', enabled: true });
      const comment = await (await Article.notify({ id: 10 }, 'commented')).settled();
      assert.deepEqual(comment.messages.map((m) => [m.to[0], m.status, m.error]).sort(), [
        ['gil@example.org', 'skipped', 'not opted in: blog.article.commented is off by default for email'],
        ['hal@example.org', 'sent', null],
      ]);
    });

    test('preferences and suppressions are read per batch of recipients, not per recipient', async () => {
      const { Subscriber, Article } = models;
      const countFor = async (n: number, id: number) => {
        subscribers = Array.from({ length: n }, (_, i) => person(`p${id}-${i}`));
        await vox.preferences.set(Subscriber, `p${id}-0`, { enabled: false });
        statements.length = 0;
        const result = await (await Article.notify({ id }, 'created')).settled();
        assert.equal(result.skipped, 1);
        assert.equal(result.sent, n - 1);
        return {
          preferences: statements.filter((s) => /from "vox_preferences"/.test(s)).length,
          suppressions: statements.filter((s) => /from "vox_suppressions"/.test(s)).length,
        };
      };
      const few = await countFor(5, 10);
      const many = await countFor(450, 11);
      assert.deepEqual(few, { preferences: 1, suppressions: 1 });
      // 450 recipients in batches of 100: one query of each per batch, not one per recipient.
      assert.deepEqual(many, { preferences: 5, suppressions: 5 });
    });
  });
}
