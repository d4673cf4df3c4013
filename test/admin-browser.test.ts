import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ensureAdminUi } from '../admin-ui/build.ts';
import { startAdminApp, type AdminApp } from './support/admin-app.ts';
import { chromiumPath, launchChromium, skipWithoutChromium } from './support/chromium.ts';
import { smtpForSuite } from './support/smtp.ts';

describe('the admin in Chromium', { skip: skipWithoutChromium }, () => {
  const smtp = smtpForSuite();
  let app: AdminApp;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    await ensureAdminUi();
    app = await startAdminApp(smtp().transport);
    browser = await launchChromium(chromiumPath as string);
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 500) problems.push(`${response.status()} from ${response.url()}`);
    });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  test('sign in, edit a template with the variable picker and live preview, save, issue it, read the log, resend a failure', async () => {
    // Signing in: the host app's login page, then back to the admin.
    await page.goto(`${app.url}/admin/`);
    await page.waitForURL(/\/login\?next=/);
    await page.getByLabel('Email').pressSequentially('author@example.org');
    await page.getByLabel('Password').pressSequentially('password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor();

    // A second site contact whose server refuses mail, added through the site contacts page.
    smtp().refuse((address) => (address === 'broken@example.org' ? { code: 550, message: 'mailbox unavailable' } : undefined));
    await page.getByRole('link', { name: 'Site contacts' }).click();
    await page.getByRole('button', { name: 'Add a site contact' }).click();
    const form = page.getByRole('form', { name: 'New site contact' });
    await form.getByLabel('Name').pressSequentially('Broken inbox');
    await form.getByLabel('Address').pressSequentially('broken@example.org');
    await form.getByRole('button', { name: 'Add site contact' }).click();
    await page.getByRole('cell', { name: 'broken@example.org' }).waitFor();

    // The subscriber notification's template.
    await page.getByRole('link', { name: 'Notifications' }).click();
    await page.locator('.group', { has: page.getByRole('heading', { name: 'Subscriber' }) }).getByRole('link', { name: 'created' }).click();
    await page.getByRole('heading', { level: 1, name: 'Subscriber: created' }).waitFor();
    await page.getByRole('link', { name: 'HTML email' }).click();
    const subject = page.getByTestId('preview-subject');
    await subject.filter({ hasText: 'New subscriber: Pat Reader' }).waitFor();

    // Type at the end of the content, then insert a variable from the picker.
    const editor = page.getByRole('textbox', { name: 'Content' });
    await editor.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\n<p>Their token: ');
    await page.getByRole('button', { name: 'object.token' }).click();
    assert.match(await editor.innerText(), /<p>Their token: \{\{ object\.token \}\}/);
    const preview = page.frameLocator('iframe[title="HTML part"]');
    await preview.getByText('Their token: sample-token').waitFor();

    // An unknown variable is marked at its line.
    await page.keyboard.type(' {{ object.nickname }}');
    await page.getByRole('list', { name: 'Warnings' }).getByText('Content, line 3: unknown variable object.nickname').waitFor();
    for (let i = 0; i < ' {{ object.nickname }}'.length; i++) await page.keyboard.press('Backspace');
    await page.getByRole('list', { name: 'Warnings' }).waitFor({ state: 'detached' });

    // Preview with a real subscriber found by search.
    await page.getByRole('radio', { name: 'Real objects' }).check();
    await page.getByRole('searchbox', { name: 'Search Subscriber' }).pressSequentially('sam');
    await page.getByRole('button', { name: 'Sam Subscriber <sam@example.org>' }).click();
    await subject.filter({ hasText: 'New subscriber: Sam Subscriber' }).waitFor();
    await preview.getByText('Their token: sam-token').waitFor();

    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').getByText('Saved.').waitFor();
    assert.match((await app.blog.vox.templates.list('blog.subscriber.created'))[0]?.content ?? '', /<p>Their token: \{\{ object\.token \}\}/);

    // Issue the notification for Nina.
    await page.getByRole('link', { name: 'Subscriber: created' }).click();
    await page.getByRole('searchbox', { name: 'Search Subscriber' }).pressSequentially('nina');
    await page.getByRole('checkbox', { name: 'Nina New <nina@example.org>' }).check();
    await page.getByRole('button', { name: 'Send notification' }).click();
    await page.getByRole('status').getByText('Sent the notification').waitFor();

    // The log follows delivery: the site admin's message is sent, the broken inbox's failed.
    await page.getByRole('status').getByRole('link', { name: 'Open the message log' }).click();
    const log = page.locator('table.log tbody');
    const row = (address: string) => log.locator('tr', { has: page.getByRole('cell', { name: address, exact: true }) });
    await row('admin@example.org').locator('.badge.sent').waitFor();
    await row('broken@example.org').locator('.badge.failed').waitFor();
    assert.match(await row('broken@example.org').innerText(), /550/);
    const delivered = smtp().received.find((m) => m.envelopeTo.includes('admin@example.org'));
    assert.match(delivered?.parsed.html || '', /Their token: nina-token/);

    // The failed message as it was rendered.
    await row('broken@example.org').getByRole('link').click();
    await page.frameLocator('iframe[title="HTML part"]').getByText('Their token: nina-token').waitFor();
    await page.getByRole('link', { name: 'Message log' }).first().click();

    // Resend it once the inbox works again.
    smtp().refuse(undefined);
    await row('broken@example.org').getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Resend selected (1)' }).click();
    await page.getByRole('status', { name: 'Resend outcome' }).getByText(/to broken@example\.org: sent/).waitFor();
    await row('broken@example.org').locator('.badge.sent').waitFor();
    assert.ok(smtp().received.some((m) => m.envelopeTo.includes('broken@example.org')));
    assert.deepEqual(problems, []);
  });
});
