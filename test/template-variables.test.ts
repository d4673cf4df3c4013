/**
 * Every variable a template reads is checked against what it will be given (the models' schemas
 * for object, actor, target and recipient; contact, site and notification), and a typo gets
 * the nearest name: what an author sees when saving through the public API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createBlog, seedBlog } from './support/blog.ts';
import { startSmtp, type TestSmtp } from './support/smtp.ts';

describe('template variables are checked against the schemas', () => {
  let smtp: TestSmtp;
  let blog: ReturnType<typeof createBlog>;

  before(async () => {
    smtp = await startSmtp();
    blog = createBlog({ dialect: 'sqlite', path: ':memory:' }, smtp.transport);
    await blog.vox.migrate();
    await blog.vox.sync();
    await seedBlog(blog.vox);
  });
  after(async () => {
    await blog.vox.close();
    await smtp.close();
  });

  async function warnings(notification: string, recipients: string[], content: string, bulk = false) {
    const { warnings } = await blog.vox.templates.save({ notification, backend: 'email-html', recipients, subject: 'Hello', content, bulk });
    return warnings.map((w) => w.message);
  }

  test('a typo in a model field suggests the field', async () => {
    assert.deepEqual(await warnings('blog.article.created', ['c:subscribers'], '{{ object.titel }} {{ object.author.nmae }} {{ actor.emial }}'), [
      'unknown variable object.titel: did you mean object.title?',
      'unknown variable object.author.nmae: did you mean object.author.name?',
      'unknown variable actor.emial: did you mean actor.email?',
    ]);
  });

  test('site, recipient, contact and notification are checked too', async () => {
    assert.deepEqual(await warnings('blog.subscriber.created', ['si'], '{{ site.nope }} {{ site.nmae }} {{ recipient.nope }} {{ contact.adress }} {{ notification.codenme }}'), [
      'unknown variable site.nope',
      'unknown variable site.nmae: did you mean site.name?',
      'unknown variable recipient.nope',
      'unknown variable contact.adress: did you mean contact.address?',
      'unknown variable notification.codenme: did you mean notification.codename?',
    ]);
    assert.deepEqual(await warnings('blog.article.created', ['c:subscribers'], '{{ recipient.tokn }} {{ recipient.token }}'), ['unknown variable recipient.tokn: did you mean recipient.token?']);
  });

  test('a misspelt root variable suggests the root; known names pass', async () => {
    assert.deepEqual(await warnings('blog.article.created', ['c:subscribers'], '{{ objcet.title }} {{ object.title }} {{ site.baseUrl }} {{ contact.address }}'), [
      'unknown variable objcet.title: did you mean object.title?',
    ]);
  });
});
