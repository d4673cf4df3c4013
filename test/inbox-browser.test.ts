// The in-app inbox as people use it, in Chromium: the author has the blog open, a subscriber
// comments from another browser, and the bell in the author's page counts it without a reload.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { startDemo, type Demo } from '../demo/server.ts';
import { chromiumPath, launchChromium, skipWithoutChromium } from './support/chromium.ts';
import { hrefsOf } from './support/visitor.ts';

describe('the <vox-inbox> bell in the demo, in Chromium', { skip: skipWithoutChromium }, () => {
  let demo: Demo;
  let browser: Browser;
  before(async () => {
    demo = await startDemo({ port: 0, log: () => {} });
    browser = await launchChromium(chromiumPath as string);
  });
  after(async () => {
    await browser?.close();
    await demo?.close();
  });

  test("a subscriber's comment rings the author's bell within a second, opening reads it, and the count survives a reload", async (t) => {
    const authorContext = await browser.newContext();
    const page = await authorContext.newPage();
    await page.goto(`${demo.url}/login`);
    await page.getByLabel('Email').click();
    await page.keyboard.type('author@example.org');
    await page.getByLabel('Password').click();
    await page.keyboard.type('password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('link', { name: 'New article' }).click();
    await page.getByLabel('Title').click();
    await page.keyboard.type('Bells');
    await page.getByLabel('Text').click();
    await page.keyboard.type('Ring them.');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.waitForURL(/\/articles\/bells/);
    const bell = (unread: number) => page.getByRole('button', { name: `Notifications, ${unread} unread` });
    await bell(0).waitFor();
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations++;
    });

    // The subscriber follows the emailed link in a browser of their own and comments.
    const news = await demo.mails.waitFor((m) => m.subject === 'New article: Bells');
    const link = hrefsOf(news.html).find((h) => h.includes('?token='));
    assert.ok(link);
    const subscriber = await (await browser.newContext()).newPage();
    await subscriber.goto(link);
    await subscriber.getByLabel('Comment').click();
    await subscriber.keyboard.type('Ding *dong* <b>!</b>');
    const sent = Date.now();
    await subscriber.getByRole('button', { name: 'Post comment' }).click();

    await bell(1).waitFor({ timeout: 5000 });
    const elapsed = Date.now() - sent;
    t.diagnostic(`the badge showed 1 after ${elapsed} ms`);
    assert.ok(elapsed < 1000, `the badge went from 0 to 1 in ${elapsed} ms, not under a second`);
    assert.equal(navigations, 0, "the author's page was not reloaded");
    assert.equal(await page.locator('vox-inbox .badge').innerText(), '1');

    // Opening the dropdown shows the comment and reads it.
    await bell(1).click();
    const dialog = page.getByRole('dialog', { name: 'Notifications' });
    await dialog.getByText('Sam Subscriber commented on Bells', { exact: true }).waitFor();
    assert.match(await dialog.locator('.body').first().innerHTML(), /Ding <em>dong<\/em> &lt;b&gt;!&lt;\/b&gt;/, 'Markdown rendered, HTML escaped');
    assert.match((await dialog.getByRole('link', { name: /^Open/ }).getAttribute('href')) ?? '', /^\/articles\/bells#comment-\d+$/, 'the item links to the comment');
    await bell(0).waitFor({ timeout: 2000 });
    assert.equal(await page.locator('vox-inbox .badge').isVisible(), false, 'no badge at 0');

    // Escape closes it and gives focus back to the bell; the count is right after a reload.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.reload();
    await bell(0).waitFor();

    // Keyboard only: Enter on the focused bell opens it; Shift+Tab from the dialog wraps to its
    // last control (the focus stays in the dialog), the item's Archive button, and Enter archives.
    await page.keyboard.press('Tab');
    while (!(await bell(0).evaluate((element) => element.matches(':focus')))) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await dialog.getByRole('button', { name: 'Mark as unread: Sam Subscriber commented on Bells' }).waitFor();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await dialog.getByText('Nothing here yet.').waitFor();
    const [item] = (await demo.vox.inbox({ name: 'auth.user' }, { id: 1, username: 'author', name: 'Alan Author', email: 'author@example.org' }).list({ filter: 'archived' })).items;
    assert.equal(item?.title, 'Sam Subscriber commented on Bells');
    assert.ok(item?.readAt && item.archivedAt, 'read and archived in the database');
    await authorContext.close();
  });
});
