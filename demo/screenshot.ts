// `npm run demo:screenshot`: the README's picture of the mail viewer, taken from a real run of the
// walkthrough (Chromium from VOX_TEST_CHROMIUM, or Debian's /usr/bin/chromium).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { launchChromium } from '../test/support/chromium.ts';
import { startDemo } from './server.ts';

const output = join(import.meta.dirname, '../docs/images/mail-viewer.png');
const demo = await startDemo({ port: 0, log: () => {} });
const browser = await launchChromium(process.env.VOX_TEST_CHROMIUM ?? '/usr/bin/chromium');
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 }, deviceScaleFactor: 1 });
  await page.goto(`${demo.url}/login`);
  await page.getByLabel('Email').fill('author@example.org');
  await page.getByLabel('Password').fill('password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.goto(`${demo.url}/articles/new`);
  await page.getByLabel('Title').fill('Templates are data');
  await page.getByLabel('Text').fill('Whoever writes the emails does it in the admin, not in the code.');
  await page.getByRole('button', { name: 'Publish' }).click();
  const news = await demo.mails.waitFor((m) => m.subject === 'New article: Templates are data');

  const link = /href="([^"]+\?token=[^"]+)"/.exec(news.html ?? '')?.[1]?.replaceAll('&amp;', '&');
  if (!link) throw new Error('the subscriber email has no link');
  await page.goto(link);
  await page.getByLabel('Comment').fill('So the marketing team can fix a typo without a deploy?');
  await page.getByRole('button', { name: 'Post comment' }).click();
  await demo.mails.waitFor((m) => m.subject.startsWith('New comment on'));
  await page.goto(`${demo.url}/`);
  await page.getByLabel('Name').fill('Nina New');
  await page.getByLabel('Email').fill('nina@example.org');
  await page.getByRole('button', { name: 'Subscribe' }).click();
  const confirmation = await demo.mails.waitFor((m) => m.subject.startsWith('Please confirm your subscription'));
  const confirm = /href="([^"]+\/subscribe\/confirm\?token=[^"]+)"/.exec(confirmation.html ?? '')?.[1]?.replaceAll('&amp;', '&');
  if (!confirm) throw new Error('the confirmation email has no link');
  await page.goto(confirm);
  await page.getByRole('button', { name: 'Confirm my subscription' }).click();
  await demo.mails.waitFor((m) => m.subject === 'New subscriber: Nina New');

  await page.goto(`${demo.url}/mail/${news.id}`);
  await page.frameLocator('iframe[title="HTML part"]').getByText('Hi Sam Subscriber,').waitFor();
  await mkdir(join(output, '..'), { recursive: true });
  await page.screenshot({ path: output });
  console.log(`wrote ${output}`);
} finally {
  await browser.close();
  await demo.close();
}
