// What notify() refuses before it writes anything: ids that are no ids, objects that cannot be
// recorded as data, and snapshots over the size limit. Each refusal has a code, and leaves no
// issue behind (hostile input must neither fill the database nor the worker's memory).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createVox, VoxError, type Vox } from '../src/index.ts';
import { htmlEmail } from '../src/backends/email/index.ts';
import { connect, type Connection } from '../src/store/connect.ts';
import { databases } from './support/databases.ts';

interface Post {
  readonly id: unknown;
  readonly title: unknown;
}

const transport = { sendMail: async () => ({ messageId: '<x@example.org>' }), close() {} };

for (const database of databases) {
  describe(`notify() input on ${database.name}`, { skip: database.skip }, () => {
    let vox: Vox;
    let connection: Connection;
    let drop: () => Promise<void>;

    async function blog(limits: { snapshotBytes?: number } = {}) {
      const created = await database.create();
      connection = connect(created.options);
      drop = async () => {
        await connection.close();
        await created.drop();
      };
      vox = createVox({ database: connection.db, backends: [htmlEmail({ transport, from: 'blog@example.org' })], worker: false, limits });
      const Post = vox.model('blog.post', { id: (p: Post) => p.id as string, notifications: { published: 'A post was published' } });
      await vox.migrate();
      await vox.sync();
      return Post;
    }

    /** notify() must throw VOX_INVALID_INPUT with a message matching `pattern`, and record no issue. */
    async function refused(notify: () => Promise<unknown>, pattern: RegExp): Promise<void> {
      await assert.rejects(notify, (error: unknown) => {
        assert.ok(error instanceof VoxError, `a VoxError, not ${String(error)}`);
        assert.equal(error.code, 'VOX_INVALID_INPUT');
        assert.match(error.message, pattern);
        return true;
      });
      assert.deepEqual(await connection.db.selectFrom('vox_issues').select('id').execute(), []);
    }

    beforeEach(() => {
      drop = async () => {};
    });
    afterEach(async () => {
      await vox.close();
      await drop();
    });

    test('an id must be a non-empty string or a finite number', async () => {
      const Post = await blog();
      for (const [id, shown] of [[undefined, 'undefined'], [{ slug: 'a' }, 'an object'], [10n, '10n'], [Number.NaN, 'NaN'], [Infinity, 'Infinity'], ['', 'an empty string'], [null, 'null']] as const) {
        await refused(() => Post.notify({ id, title: 'Hello' }, 'published'), new RegExp(`blog\\.post: an id must be a non-empty string or a finite number, not ${shown}`));
      }
      const ticket = await Post.notify({ id: 7, title: 'Hello' }, 'published');
      assert.equal((await vox.issues.get(ticket.issueId))?.object.id, '7');
    });

    test('an id function that throws is a coded error', async () => {
      const Post = await blog();
      const post = {
        title: 'Hello',
        get id(): string {
          throw new Error('no id yet');
        },
      };
      await refused(() => Post.notify(post, 'published'), /its id function threw: no id yet/);
    });

    test('an object that cannot be copied as data: a cycle, a throwing getter', async () => {
      const Post = await blog();
      const cyclic: Record<string, unknown> = { id: 1, title: 'Loop' };
      cyclic.self = cyclic;
      await refused(() => Post.notify(cyclic as unknown as Post, 'published'), /blog\.post "1" cannot be copied as data: .*circular/i);
      const getter = {
        id: 2,
        get title(): string {
          throw new Error('lazy field failed');
        },
      };
      await refused(() => Post.notify(getter, 'published'), /blog\.post "2" cannot be copied as data: lazy field failed/);
    });

    test('a snapshot over limits.snapshotBytes is refused; the limit can be raised', async () => {
      const Post = await blog();
      const big = { id: 3, title: 'é'.repeat(200 * 1024) };
      // 200 Ki characters of two bytes each: 400 KiB as JSON, over the 256 KiB default.
      await refused(() => Post.notify(big, 'published'), /blog\.post "3" is 4096\d\d bytes as data, more than the 262144 allowed \(limits\.snapshotBytes\)/);
      await vox.close();
      await drop();
      const Roomy = await blog({ snapshotBytes: 1024 * 1024 });
      const ticket = await Roomy.notify(big, 'published');
      assert.deepEqual((await vox.issues.get(ticket.issueId))?.object.snapshot, JSON.parse(JSON.stringify(big)));
    });
  });
}
