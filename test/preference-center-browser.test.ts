// The preference center in Chromium, used as a recipient would: open the link at the bottom of an
// email, tick and untick with the mouse and the space bar, save, reload and find the choice kept;
// a required notification's box is shown on and cannot be switched off. Keyboard focus is visible.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { htmlEmail } from '../src/backends/email/index.ts';
import { chromiumPath, launchChromium, skipWithoutChromium } from './support/chromium.ts';
import { startSmtp, type TestSmtp } from './support/smtp.ts';
import { unsubscribeApp, type UnsubscribeApp } from './support/unsubscribe-app.ts';

describe('the preference center in a browser', { skip: skipWithoutChromium }, () => {
  let smtp: TestSmtp;
  let app: UnsubscribeApp;
  let browser: Browser;
  before(async () => {
    smtp = await startSmtp();
    app = await unsubscribeApp({ dialect: 'sqlite', path: ':memory:' }, () => htmlEmail({ transport: smtp.transport, from: 'blog@example.org' }));
    browser = await launchChromium(chromiumPath!);
  });
  after(async () => {
    await browser?.close();
    await app.close();
    await smtp.close();
  });

  /** The preference link of the footer of Ann's latest email. */
  async function preferencesLink(): Promise<string> {
    await (await app.Article.notify({ id: 1, title: 'Hello' }, 'created')).settled();
    const html = String(smtp.received.at(-1)?.parsed.html ?? '');
    const href = /href="([^"]*\/notifications\/preferences\/[^"]+)"/.exec(html)?.[1];
    assert.ok(href, html);
    return href;
  }

  test('untick the newsletter by email with the space bar, save, reload: still unticked; the required notice stays on', async () => {
    const page = await browser.newPage();
    await page.goto(await preferencesLink());
    await page.getByRole('heading', { level: 1, name: 'Your notifications from The blog' }).waitFor();

    const newsletter = page.getByRole('group', { name: 'All of The newsletter' }).getByRole('checkbox', { name: 'Email' });
    assert.equal(await newsletter.isChecked(), true);
    await newsletter.click();
    assert.equal(await newsletter.isChecked(), false, 'a click unticks');
    await page.keyboard.press('Space');
    assert.equal(await newsletter.isChecked(), true, 'the space bar ticks the focused box again');
    assert.equal(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle), 'solid', 'the focused box shows a ring');
    await page.keyboard.press('Space');
    assert.equal(await newsletter.isChecked(), false);

    const security = page.getByRole('group', { name: /A security notice/ }).getByRole('checkbox', { name: 'Email (required)' });
    assert.equal(await security.isChecked(), true);
    assert.equal(await security.isDisabled(), true);
    // Playwright will not click a disabled control; the mouse can still press where it is.
    const box = await page.getByText('Email (required)').boundingBox();
    assert.ok(box);
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    assert.equal(await security.isChecked(), true, 'clicking its label changes nothing');

    await page.getByRole('button', { name: 'Save my choices' }).click();
    await page.getByRole('status').filter({ hasText: 'Your choices are saved.' }).waitFor();
    await page.reload();
    assert.equal(await newsletter.isChecked(), false, 'kept after a reload');
    assert.equal(await security.isChecked(), true);

    const grid = await app.vox.preferences.get(app.Subscriber, 's1');
    assert.equal(grid.categories.find((c) => c.key === 'newsletter')?.cells.email?.enabled, false);
    assert.equal(grid.notifications.find((n) => n.key === 'blog.article.security')?.cells.email?.enabled, true);

    // Ticking it again with the keyboard alone: Tab to the box, space, Enter on the button.
    const save = page.getByRole('button', { name: 'Save my choices' });
    const tabTo = async (target: typeof save) => {
      for (let i = 0; i < 30 && !(await target.evaluate((element) => element === document.activeElement)); i++) await page.keyboard.press('Tab');
      assert.ok(await target.evaluate((element) => element === document.activeElement), 'reached with Tab');
    };
    await tabTo(newsletter);
    await page.keyboard.press('Space');
    await tabTo(save);
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Your choices are saved.' }).waitFor();
    assert.equal(await newsletter.isChecked(), true);
    assert.equal((await app.vox.preferences.get(app.Subscriber, 's1')).categories.find((c) => c.key === 'newsletter')?.cells.email?.enabled, true);
    await page.close();
  });
});
