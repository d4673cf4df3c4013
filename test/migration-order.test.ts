/**
 * Migrations numbered in advance land in any order: a database that applied 0012 and 0013 before
 * 0010 (delivery feedback) existed gets 0010 at its next migrate, instead of Kysely's "corrupted
 * migrations" error.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { createVox } from '../src/index.ts';

test('a migration numbered below ones already applied is applied at the next migrate', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vox-migrations-'));
  const path = join(dir, 'vox.db');
  try {
    const first = createVox({ database: { dialect: 'sqlite', path } });
    await first.migrate();
    await first.close();
    // The database as main left it before 0010 landed: 0012 and 0013 applied, no 0010.
    const db = new DatabaseSync(path);
    db.exec("delete from vox_migrations where name = '0010_message_events'; drop table vox_message_events; drop index vox_messages_provider_message;");
    db.close();
    const again = createVox({ database: { dialect: 'sqlite', path } });
    assert.deepEqual(await again.migrate(), ['0010_message_events']);
    assert.deepEqual(await again.messages.events(1), []);
    await again.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
