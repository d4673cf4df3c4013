/**
 * Site contacts are checked by their backend when saved: an address that can never be delivered
 * to is refused at once instead of failing every message later.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { activity } from '../src/activitypub/index.ts';
import { createVox, type Vox } from '../src/index.ts';

describe('site contacts of the activity backend', () => {
  const base = 'http://127.0.0.1:9';
  let vox: Vox;

  before(async () => {
    const ap = activity({ allowPrivateAddress: true });
    vox = createVox({ database: { dialect: 'sqlite', path: ':memory:' }, backends: [ap.backend], site: { baseUrl: base, name: 'Site' } });
    await vox.migrate();
    await vox.sync();
  });
  after(() => vox.close());

  test('a remote actor is refused at save, saying why', async () => {
    await assert.rejects(vox.siteContacts.save({ name: 'Remote', protocol: 'activity', address: 'https://mastodon.example/users/alice' }), /not an actor of this site .*by following/);
    await assert.rejects(vox.siteContacts.save({ name: 'Typo', protocol: 'activity', address: 'alice' }), /IRI of one of this site's actors/);
    assert.deepEqual(await vox.siteContacts.list(), []);
  });

  test("one of this site's actors is accepted", async () => {
    const saved = await vox.siteContacts.save({ name: 'Local', protocol: 'activity', address: `${base}/users/alice` });
    assert.equal(saved.address, `${base}/users/alice`);
  });
});
