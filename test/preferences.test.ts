// Recipients' preferences through vox.preferences on SQLite and PostgreSQL: the precedence table
// (every level, per protocol, the code's defaults, required notifications locked), the whole grid,
// and coded errors that write nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createVox, type PreferenceChange, type PreferenceGrid, type Vox, VoxError } from '../src/index.ts';
import { htmlEmail } from '../src/backends/email/index.ts';
import { databases } from './support/databases.ts';
import { blogModels } from './support/preference-blog.ts';

for (const database of databases) {
  describe(`preferences on ${database.name}`, { skip: database.skip }, () => {
    let vox: Vox;
    let drop: () => Promise<void>;
    let models: ReturnType<typeof blogModels>;

    before(async () => {
      const db = await database.create();
      drop = db.drop;
      vox = createVox({ database: db.options, worker: false, backends: [htmlEmail({ transport: { sendMail: async () => ({ messageId: 'x' }) }, from: 'blog@example.org' })] });
      models = blogModels(vox, () => []);
      await vox.migrate();
      await vox.sync();
    });
    after(async () => {
      await vox.close();
      await drop();
    });

    const cell = (grid: PreferenceGrid, notification: string, protocol: string) => {
      const row = grid.notifications.find((n) => n.key === `blog.article.${notification}`);
      assert.ok(row, notification);
      return row.cells[protocol];
    };

    // [case, preferences stored, notification, protocol, enabled, source]
    const table: [string, PreferenceChange[], string, string, boolean, string][] = [
      ['nothing set: opted in', [], 'created', 'email', true, 'default'],
      ['nothing set: the code opts SMS out', [], 'digest', 'sms', false, 'default'],
      ['nothing set: the code opts email out', [], 'commented', 'email', false, 'default'],
      ['global off', [{ enabled: false }], 'created', 'email', false, 'global'],
      ['global off beats the default', [{ enabled: true }], 'digest', 'sms', true, 'global'],
      ['global by protocol beats global', [{ enabled: false }, { protocol: 'email', enabled: true }], 'created', 'email', true, 'global+protocol'],
      ['global by another protocol does not apply', [{ protocol: 'sms', enabled: false }], 'created', 'email', true, 'default'],
      ['category beats global by protocol', [{ protocol: 'email', enabled: false }, { category: 'newsletter', enabled: true }], 'created', 'email', true, 'category'],
      ['category by protocol beats category', [{ category: 'newsletter', enabled: false }, { category: 'newsletter', protocol: 'sms', enabled: true }], 'digest', 'sms', true, 'category+protocol'],
      ['another category does not apply', [{ category: 'comments', enabled: false }], 'created', 'email', true, 'default'],
      ['notification beats category by protocol', [{ category: 'newsletter', protocol: 'email', enabled: false }, { notification: 'blog.article.created', enabled: true }], 'created', 'email', true, 'notification'],
      ['notification by protocol beats notification', [{ notification: 'blog.article.created', enabled: true }, { notification: 'blog.article.created', protocol: 'email', enabled: false }], 'created', 'email', false, 'notification+protocol'],
      ['another notification does not apply', [{ notification: 'blog.article.digest', enabled: false }], 'created', 'email', true, 'default'],
      ['a notification without category skips the category level', [{ category: 'newsletter', enabled: false }], 'plain', 'email', true, 'default'],
      ['required: global off does not stop it', [{ enabled: false }, { protocol: 'email', enabled: false }], 'security', 'email', true, 'required'],
      ['removing a preference (null) falls back', [{ enabled: false }, { enabled: null }], 'created', 'email', true, 'default'],
    ];

    for (const [name, changes, notification, protocol, enabled, source] of table) {
      test(`precedence: ${name}`, async () => {
        const id = `r-${name}`;
        for (const change of changes) await vox.preferences.set(models.Subscriber, id, change);
        const grid = await vox.preferences.get(models.Subscriber, id);
        assert.deepEqual(cell(grid, notification, protocol), { enabled, source, locked: notification === 'security' });
      });
    }

    test('the grid: protocols, categories with labels, notifications, locked rows and what is stored', async () => {
      const subscriber = { id: 'ann', email: 'ann@example.org', phone: '+15550001' };
      const grid = await vox.preferences.set(models.Subscriber, subscriber, [
        { category: 'newsletter', protocol: 'email', enabled: false },
        { notification: 'blog.article.commented', enabled: true },
      ]);
      assert.equal(grid.model, 'blog.subscriber');
      assert.equal(grid.id, 'ann');
      assert.deepEqual(grid.protocols, ['email', 'sms']);
      assert.deepEqual(grid.global, { email: { enabled: true, source: 'default', locked: false }, sms: { enabled: true, source: 'default', locked: false } });
      assert.deepEqual(grid.categories.map((c) => [c.key, c.label, c.cells.email?.enabled, c.cells.email?.source, c.cells.sms?.enabled]), [
        ['newsletter', 'The newsletter', false, 'category+protocol', true],
        ['comments', 'Comments', true, 'default', true],
        ['security', 'Security', true, 'required', true],
      ]);
      assert.deepEqual(grid.notifications.map((n) => [n.key, n.category, n.required, n.cells.email?.enabled, n.cells.email?.locked]).sort(), [
        ['blog.article.commented', 'comments', false, true, false],
        ['blog.article.created', 'newsletter', false, false, false],
        ['blog.article.digest', 'newsletter', false, false, false],
        ['blog.article.plain', null, false, true, false],
        ['blog.article.security', 'security', true, true, true],
      ]);
      assert.deepEqual(grid.stored.map((p) => [p.level, p.subject, p.protocol, p.enabled]).sort(), [
        ['category', 'newsletter', 'email', false],
        ['notification', 'blog.article.commented', '', true],
      ]);
      assert.deepEqual(await vox.preferences.get('blog.subscriber', 'ann'), grid, 'by model name and id, the same grid');
    });

    test('coded errors write nothing, even the valid changes given with them', async () => {
      const valid: PreferenceChange = { category: 'newsletter', enabled: false };
      const cases: [PreferenceChange, string][] = [
        [{ notification: 'blog.article.security', protocol: 'email', enabled: false }, 'VOX_PREFERENCE_LOCKED'],
        [{ category: 'security', enabled: false }, 'VOX_PREFERENCE_LOCKED'],
        [{ notification: 'blog.article.nope', enabled: false }, 'VOX_UNKNOWN_NOTIFICATION'],
        [{ category: 'nope', enabled: false }, 'VOX_UNKNOWN_CATEGORY'],
        [{ protocol: 'fax', enabled: false }, 'VOX_UNKNOWN_PROTOCOL'],
        [{ category: 'newsletter', notification: 'blog.article.created', enabled: false }, 'VOX_INVALID_INPUT'],
        [{ enabled: 'no' as unknown as boolean }, 'VOX_INVALID_INPUT'],
      ];
      for (const [bad, code] of cases) {
        await assert.rejects(vox.preferences.set(models.Subscriber, 'bob', [valid, bad]), (e: unknown) => e instanceof VoxError && e.code === code, code);
      }
      assert.deepEqual((await vox.preferences.get(models.Subscriber, 'bob')).stored, []);
      await assert.rejects(vox.preferences.get('blog.nobody', 'bob'), (e: unknown) => e instanceof VoxError && e.code === 'VOX_UNKNOWN_MODEL');
    });

    test('a suppression list write with one bad entry writes none of them', async () => {
      const good = { protocol: 'email', address: 'good@example.org', reason: 'admin', source: 'admin:alan' } as const;
      const bad: [unknown, string][] = [
        [{ ...good, address: 'x@example.org', reason: 'spam' }, 'VOX_INVALID_INPUT'],
        [{ ...good, address: 'x@example.org', protocol: 'fax' }, 'VOX_UNKNOWN_PROTOCOL'],
        [{ ...good, address: `${'x'.repeat(2049)}` }, 'VOX_FIELD_TOO_LONG'],
        [{ ...good, address: 'x@example.org', source: '' }, 'VOX_INVALID_INPUT'],
      ];
      for (const [entry, code] of bad) {
        await assert.rejects(vox.suppressions.add([good, entry as typeof good]), (e: unknown) => e instanceof VoxError && e.code === code, code);
      }
      assert.deepEqual(await vox.suppressions.list(), []);
      assert.equal(await vox.suppressions.add(good), 1);
      assert.deepEqual([...(await vox.suppressions.find('email', ['GOOD@example.org'])).keys()], ['good@example.org']);
      assert.equal(await vox.suppressions.remove('email', 'Good@Example.org'), true);
    });

    test('vox sync stores category, label and defaults, and reports changes to them', async () => {
      const stored = (await vox.notifications.list()).find((n) => n.key === 'blog.article.digest');
      assert.deepEqual(stored?.category, { key: 'newsletter', label: 'The newsletter' });
      assert.deepEqual(stored?.defaults, { sms: false });
      assert.deepEqual((await vox.sync({ dryRun: true })).changes, []);
    });
  });
}

test('two labels for one category are refused at declaration', () => {
  const vox = createVox({ database: { dialect: 'sqlite', path: ':memory:' }, worker: false });
  vox.model('a.one', { id: () => 1, notifications: { x: { description: 'x', category: { key: 'news', label: 'News' } } } });
  assert.throws(
    () => vox.model('a.two', { id: () => 1, notifications: { y: { description: 'y', category: { key: 'news', label: 'Other' } } } }),
    (e: unknown) => e instanceof VoxError && e.code === 'VOX_CONFIGURATION',
  );
  assert.throws(
    () => vox.model('a.three', { id: () => 1, notifications: { z: { description: 'z', defaults: { fax: false } } } }),
    (e: unknown) => e instanceof VoxError && e.code === 'VOX_UNKNOWN_PROTOCOL',
  );
  void vox.close();
});
