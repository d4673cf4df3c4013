/**
 * The template editor as an author uses it in Chromium: typing key by key, clicking, tabbing.
 * Nothing is filled in or set by script; what counts is what the page shows and what is saved.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ensureAdminUi } from '../admin-ui/build.ts';
import { STAFF, startAdminApp, type AdminApp } from './support/admin-app.ts';
import { chromiumPath, launchChromium, skipWithoutChromium } from './support/chromium.ts';
import { smtpForSuite } from './support/smtp.ts';

describe('the template editor in Chromium', { skip: skipWithoutChromium }, () => {
  const smtp = smtpForSuite();
  let app: AdminApp;
  let browser: Browser;
  let page: Page;

  before(async () => {
    await ensureAdminUi();
    app = await startAdminApp(smtp().transport);
    browser = await launchChromium(chromiumPath as string);
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await page.goto(`${app.url}/admin/`);
    await page.waitForURL(/\/login\?next=/);
    await page.getByLabel('Email').click();
    await page.keyboard.type(STAFF.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(STAFF.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  /** Opens the subscriber notification's HTML email template and empties its content by keyboard. */
  async function openEmptyTemplate() {
    await page.goto(`${app.url}/admin/`);
    await page.locator('.group', { has: page.getByRole('heading', { name: 'Subscriber' }) }).getByRole('link', { name: 'created' }).click();
    await page.getByRole('heading', { level: 1, name: 'Subscriber: created' }).waitFor();
    await page.getByRole('link', { name: 'HTML email' }).click();
    const editor = page.getByRole('textbox', { name: 'Content' });
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    return editor;
  }

  const savedContent = async () => (await app.blog.vox.templates.list('blog.subscriber.created'))[0]?.content;

  test('typing a Liquid tag by hand, %} included, saves exactly what was typed', async () => {
    const editor = await openEmptyTemplate();
    await page.keyboard.type('{% if x %}yes{% endif %}');
    assert.equal(await editor.innerText(), '{% if x %}yes{% endif %}');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').getByText(/^Saved/).waitFor();
    assert.equal(await savedContent(), '{% if x %}yes{% endif %}');
  });

  test('the server\'s errors are listed once, above a banner that says so, and go away once fixed', async () => {
    const editor = await openEmptyTemplate();
    await page.keyboard.type('Hello {{ object.name }}{% endif %}');
    await page.getByRole('button', { name: 'Save' }).click();
    const banner = page.getByRole('status').filter({ hasText: 'Not saved' });
    await banner.waitFor();
    assert.match(await banner.innerText(), /above/);
    const errors = page.getByRole('list', { name: 'Errors' }).getByRole('listitem');
    const texts = await errors.allInnerTexts();
    assert.ok(texts.length > 0);
    assert.equal(new Set(texts).size, texts.length, `each error once: ${texts.join(' | ')}`);
    const listBox = await page.getByRole('list', { name: 'Errors' }).boundingBox();
    const bannerBox = await banner.boundingBox();
    assert.ok(listBox && bannerBox && listBox.y < bannerBox.y, 'the errors are above the banner');

    await editor.click();
    await page.keyboard.press('Control+End');
    for (let i = 0; i < '{% endif %}'.length; i++) await page.keyboard.press('Backspace');
    await page.getByRole('list', { name: 'Errors' }).waitFor({ state: 'detached' });
    await banner.waitFor({ state: 'detached' });
    await page.locator('.cm-lint-marker-error').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').getByText(/^Saved/).waitFor();
    assert.equal(await savedContent(), 'Hello {{ object.name }}');
  });

  test('a template that cannot render with sample data is saved with a loud warning that its messages will fail', async () => {
    await openEmptyTemplate();
    await page.keyboard.type('{% for i in (1..50000000) %}{{ i }}{% endfor %}');
    await page.getByRole('button', { name: 'Save' }).click();
    const banner = page.getByRole('status').filter({ hasText: 'messages will fail' });
    await banner.waitFor();
    assert.match(await banner.innerText(), /^Saved, but messages will fail: it cannot render with sample data \(.*memory/i);
    assert.match(await banner.getAttribute('class') ?? '', /error/);
    assert.equal(await savedContent(), '{% for i in (1..50000000) %}{{ i }}{% endfor %}');
  });
});
