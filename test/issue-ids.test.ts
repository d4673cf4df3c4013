// An issue's id is the ticket a caller keeps: it must never be given to another issue, not even
// after the transaction that made it rolled back (SQLite hands rowids out again).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createVox, VoxError, type Vox } from '../src/index.ts';
import { htmlEmail } from '../src/backends/email/index.ts';
import { connect, type Connection } from '../src/store/connect.ts';
import { IssueRows } from '../src/store/issues.ts';
import { databases } from './support/databases.ts';

const transport = { sendMail: async () => ({ messageId: '<x@example.org>' }), close() {} };

for (const database of databases) {
  describe(`issue ids on ${database.name}`, { skip: database.skip }, () => {
    let connection: Connection;
    let drop: () => Promise<void>;
    let vox: Vox;
    let Post: ReturnType<typeof register>;

    function register(v: Vox) {
      return v.model('blog.post', { id: (p: { id: number }) => p.id, notifications: { published: 'A post was published' } });
    }

    beforeEach(async () => {
      const created = await database.create();
      connection = connect(created.options);
      drop = created.drop;
      vox = createVox({ database: connection.db, backends: [htmlEmail({ transport, from: 'blog@example.org' })], worker: false });
      Post = register(vox);
      await vox.migrate();
      await vox.sync();
    });
    afterEach(async () => {
      await vox.close();
      await connection.close();
      await drop();
    });

    test('the id of a rolled-back issue is never given to another one', async () => {
      const rolledBack = await connection.db
        .transaction()
        .execute(async (trx) => {
          const ticket = await Post.notify({ id: 1 }, 'published', { trx });
          throw Object.assign(new Error('rolled back'), { ticket });
        })
        .catch((error: { ticket: Awaited<ReturnType<typeof Post.notify>> }) => error.ticket);
      const committed = await connection.db.transaction().execute((trx) => Post.notify({ id: 2 }, 'published', { trx }));
      assert.notEqual(committed.issueId, rolledBack.issueId);
      assert.equal(await vox.issues.get(rolledBack.issueId), undefined);
      assert.equal((await vox.issues.get(committed.issueId))?.object.id, '2');
      await assert.rejects(rolledBack.settled(), (error: unknown) => error instanceof VoxError && error.code === 'VOX_NOT_FOUND');
    });

    test('ids grow with time, one after another', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 50; i++) ids.push((await Post.notify({ id: i }, 'published')).issueId);
      assert.deepEqual([...ids].sort((a, b) => a - b), ids);
      assert.equal(new Set(ids).size, ids.length);
    });

    test('an id that clashes with one another process took is replaced, not an error', { skip: database.name === 'postgres' ? 'PostgreSQL makes its own ids' : false }, async () => {
      const given = [7, 7, 8];
      const rows = new IssueRows(connection.db, () => given.shift() ?? 99);
      const issue = { notification: 'blog.post.published', object: { model: 'blog.post', id: '1', snapshot: {} }, actor: null, target: null };
      assert.deepEqual([await rows.insert(issue), await rows.insert(issue)], [7, 8]);
    });
  });
}
