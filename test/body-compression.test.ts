// On PostgreSQL the log's message bodies are compressed with lz4 (migration 0017), in Vox's schema
// whether it is the connection's own or one named in the options: a rendered email's body is past
// the size at which PostgreSQL compresses, and lz4 costs the server less CPU than its default.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import { createBlog, seedBlog } from './support/blog.ts';
import { createSchema } from './support/databases.ts';

const url = process.env.VOX_TEST_POSTGRES_URL;

/** Whether the server can compress with lz4 (PostgreSQL 14 or later, built with it). */
async function serverHasLz4(): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ lz4: boolean }>("select 'lz4' = any(enumvals) as lz4 from pg_settings where name = 'default_toast_compression'");
    return rows[0]?.lz4 === true;
  } finally {
    await client.end();
  }
}

describe('message bodies on PostgreSQL', { skip: url ? false : 'VOX_TEST_POSTGRES_URL is not set' }, () => {
  for (const named of [false, true]) {
    test(`are stored lz4-compressed, with Vox's schema ${named ? 'named in the options' : 'the connection\'s own'}`, async (t) => {
      if (!(await serverHasLz4())) return t.skip('this PostgreSQL has no lz4: the migration leaves the bodies as they are');
      const { schema, drop } = await createSchema(url as string, 'vox_bodies');
      const pool = new pg.Pool({ connectionString: url, ...(named ? {} : { options: `-c search_path=${schema}` }), max: 3 });
      const { vox, data, models } = createBlog({ dialect: 'postgres', pool, ...(named ? { schema } : {}) }, { sendMail: async () => ({ messageId: '<1@example.org>' }) });
      try {
        await vox.migrate();
        await vox.sync();
        await seedBlog(vox);
        const article = { slug: 'long', title: 'Long', body: '', author: data.users[0]! };
        // Some 4 KB of comment, in the message's HTML and text parts: past PostgreSQL's 2 KB threshold.
        const comment = { id: 1, poster: 'Bo', body: 'A long comment, said twice over. '.repeat(120), article };
        const result = await (await models.Comment.notify(comment, 'posted')).settled();
        assert.equal(result.sent, 1);
        const { rows } = await pool.query<{ method: string | null; bytes: number }>(`select pg_column_compression(payload) as method, octet_length(payload::text) as bytes from ${schema}.vox_message_bodies`);
        assert.equal(rows.length, 1);
        assert.ok(rows[0]!.bytes > 4000, `the payload is ${rows[0]!.bytes} bytes`);
        assert.equal(rows[0]!.method, 'lz4');
      } finally {
        // Vox ends the pool it was given.
        await vox.close();
        await drop();
      }
    });
  }
});
