/**
 * The admin's words, as a person reads them in Chromium: the message log names notifications and
 * backends as the rest of the admin does, buttons have names a screen reader can say, settings
 * say what they do, and no error is shown before there is anything to be wrong.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ensureAdminUi } from '../admin-ui/build.ts';
import { STAFF, startAdminApp, type AdminApp } from './support/admin-app.ts';
import { chromiumPath, launchChromium, skipWithoutChromium } from './support/chromium.ts';
import { smtpForSuite } from './support/smtp.ts';

describe('the admin in plain language', { skip: skipWithoutChromium }, () => {
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

  test('the message log says "Subscriber: created" and "HTML email", not blog.subscriber.created and email-html', async () => {
    const { models, data } = app.blog;
    await (await models.Subscriber.notify(data.subscribers[0]!, 'created')).settled();
    await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Message log' }).click();
    const row = page.locator('table.log tbody tr', { has: page.getByRole('cell', { name: 'admin@example.org', exact: true }) });
    await row.waitFor();
    const cells = await row.getByRole('cell').allInnerTexts();
    assert.ok(cells.includes('Subscriber: created'), cells.join(' | '));
    assert.ok(cells.includes('HTML email'), cells.join(' | '));
    assert.ok(!cells.some((c) => /blog\.subscriber|email-html/.test(c)), cells.join(' | '));
    const options = await page.getByRole('combobox', { name: 'Notification' }).getByRole('option').allInnerTexts();
    assert.ok(options.includes('Subscriber: created'), options.join(' | '));

    await row.getByRole('link').first().click();
    await page.getByRole('link', { name: 'Subscriber: created' }).waitFor();
    await page.getByText('HTML email', { exact: true }).waitFor();
  });

  test('toolbar buttons have names that say what they do', async () => {
    await page.goto(`${app.url}/admin/`);
    await page.locator('.group', { has: page.getByRole('heading', { name: 'Subscriber' }) }).getByRole('link', { name: 'created' }).click();
    await page.getByRole('link', { name: 'HTML email' }).click();
    const toolbar = page.getByRole('toolbar', { name: 'Formatting' });
    await toolbar.getByRole('button', { name: 'Bold' }).waitFor();
    const names = await toolbar.getByRole('button').evaluateAll((buttons) => buttons.map((b) => b.getAttribute('aria-label') ?? b.textContent ?? ''));
    assert.ok(names.length > 0);
    for (const name of names) assert.ok(name.length > 3, `a button named ${JSON.stringify(name)} says nothing to a screen reader`);
  });

  test('a site contact\'s setting says what it does, without blacklist or whitelist', async () => {
    await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Site contacts' }).click();
    await page.getByRole('button', { name: 'Add a site contact' }).click();
    const form = page.getByRole('form', { name: 'New site contact' });
    await form.getByRole('radio').first().waitFor();
    assert.doesNotMatch(await form.innerText(), /blacklist|whitelist/i);
  });

  test('a new one-time message shows no "the message is empty" before the author tries to send it', async () => {
    await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Send a message' }).click();
    await page.getByRole('searchbox', { name: /^Search/ }).click();
    await page.keyboard.type('alan');
    // The preview of the chosen object is answered (with the server's "the message is empty") before the page is read.
    const answered = page.waitForResponse((r) => r.url().endsWith('/one-time/preview') && r.request().postData()?.includes('"objects":["1"]') === true);
    await page.getByRole('checkbox', { name: 'Alan Author' }).click();
    assert.match(await (await answered).text(), /the message is empty/);
    await page.locator('section.preview[aria-busy="false"]').waitFor();
    assert.doesNotMatch(await page.locator('main').innerText(), /the message is empty|Fix the errors/);
    await page.getByRole('button', { name: 'Send to 1 object' }).click();
    await page.getByRole('list', { name: 'Errors' }).getByText('the message is empty').waitFor();
  });
});
