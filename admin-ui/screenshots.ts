// `npm run admin:screenshots`: the pictures of docs/admin.md, taken from a real run of the admin
// (the test blog, a real SMTP server on 127.0.0.1 that refuses one address, Chromium from
// VOX_TEST_CHROMIUM or Debian's /usr/bin/chromium).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startAdminApp } from '../test/support/admin-app.ts';
import { launchChromium } from '../test/support/chromium.ts';
import { startSmtp } from '../test/support/smtp.ts';
import { until } from '../test/support/workers.ts';
import { ensureAdminUi } from './build.ts';

const images = join(import.meta.dirname, '../docs/images');
await ensureAdminUi();
await mkdir(images, { recursive: true });
const smtp = await startSmtp();
smtp.refuse((address) => (address === 'nina@example.org' ? { code: 550, message: '5.1.1 mailbox unavailable' } : undefined));
const app = await startAdminApp(smtp.transport);
const browser = await launchChromium(process.env.VOX_TEST_CHROMIUM ?? '/usr/bin/chromium');
try {
  const { vox, models, data } = app.blog;
  const author = data.users[0]!;
  await vox.siteContacts.save({ name: 'Editors', protocol: 'email', address: 'editors@example.org' });
  const tickets = [
    await models.Article.notify(data.articles[0]!, 'created', { actor: author }),
    await models.Subscriber.notify(data.subscribers[0]!, 'created'),
    await models.Subscriber.notify(data.subscribers[1]!, 'created'),
  ];
  await Promise.all(tickets.map((t) => t.settled()));
  await until(async () => (await vox.messages.list({ status: 'failed' })).length > 0, 10_000, 'the refused message');

  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  await page.context().addCookies([{ name: 'session', value: app.signIn(), url: app.url }]);

  await page.goto(`${app.url}/admin/notifications/blog.article.created`);
  await page.getByRole('link', { name: 'HTML email' }).click();
  const editor = page.getByRole('textbox', { name: 'Content' });
  await editor.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('\n<p>Posted on {{ object.publishedOn }}. ');
  await page.getByRole('button', { name: 'object.author.email' }).click();
  await page.getByRole('radio', { name: 'Real objects' }).check();
  await page.getByRole('searchbox', { name: 'Search Article' }).fill('welcome');
  await page.getByRole('button', { name: 'Welcome to Vox' }).click();
  await page.getByRole('searchbox', { name: 'Search Actor (User)' }).fill('alan');
  await page.getByRole('button', { name: 'Alan Author' }).click();
  await page.getByTestId('preview-subject').filter({ hasText: 'New article: Welcome to Vox' }).waitFor();
  await page.frameLocator('iframe[title="HTML part"]').getByText('author@example.org').waitFor();
  await page.getByRole('list', { name: 'Warnings' }).waitFor();
  await page.mouse.move(0, 0);
  await page.screenshot({ path: join(images, 'admin-editor.png') });

  await page.goto(`${app.url}/admin/messages`);
  await page.locator('table.log .badge.failed').first().waitFor();
  await page.locator('table.log').getByRole('checkbox').first().check();
  await page.screenshot({ path: join(images, 'admin-log.png') });
  console.log(`wrote ${join(images, 'admin-editor.png')} and admin-log.png`);
} finally {
  await browser.close();
  await app.close();
  await smtp.close();
}
