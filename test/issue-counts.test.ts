// An issue's progress (its messages counted by status), as the admin and vox.issues.get read it,
// comes from an index alone: reading each message row of a large issue held SQLite, and with it the
// host's event loop, for tens of milliseconds each time the admin looked.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CompiledQuery, Kysely } from 'kysely';
import { nodeSqliteDialect } from '../src/index.ts';
import { createBlog, seedBlog } from './support/blog.ts';

test('an issue\'s message counts by status read the covering index, not the messages, on SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vox-counts-'));
  const statements: { sql: string; parameters: readonly unknown[] }[] = [];
  // Kysely's log hands over each statement run, with its parameters.
  const db = new Kysely<unknown>({ dialect: nodeSqliteDialect(join(dir, 'app.db')), log: (event) => void statements.push(event.query) });
  let sends = 0;
  const { vox, data, models } = createBlog(db, { sendMail: async () => ({ messageId: `<${++sends}@example.org>` }) });
  try {
    await vox.migrate();
    await vox.sync();
    await seedBlog(vox);
    data.subscribers.push(...Array.from({ length: 30 }, (_, i) => ({ id: i + 1, name: `Subscriber ${i + 1}`, email: `s${i + 1}@example.org`, token: `t${i + 1}` })));
    const article = { slug: 'counts', title: 'Counts', body: '', author: data.users[0]! };
    data.articles.push(article);
    const ticket = await models.Article.notify(article, 'created', { actor: data.users[0]! });
    const result = await ticket.settled();
    assert.equal(result.sent, 30);
    statements.length = 0;
    const issue = await vox.issues.get(ticket.issueId);
    assert.equal(issue?.messages.sent, 30);
    const counting = statements.find((s) => /group by "status"/i.test(s.sql) && /"vox_messages"/.test(s.sql));
    assert.ok(counting, `the counts' statement was run: ${statements.map((s) => s.sql).join('\n')}`);
    // The statement with its own parameters, asked of SQLite's planner.
    const explained = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${counting.sql}`, [...counting.parameters]));
    const details = explained.rows.map((r) => r.detail).join('; ');
    assert.match(details, /USING COVERING INDEX vox_messages_issue_status/, details);
  } finally {
    await vox.close();
    await db.destroy();
    await rm(dir, { recursive: true, force: true });
  }
});
