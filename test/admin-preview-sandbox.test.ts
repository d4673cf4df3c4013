// docs/admin.md, Security: rendered HTML is shown in an `<iframe sandbox="">`, so a template's HTML
// cannot run script. Checked in Chromium as an author would meet it: by typing a script into a template.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ensureAdminUi } from '../admin-ui/build.ts';
import { startAdminApp, type AdminApp } from './support/admin-app.ts';
import { chromiumPath, launchChromium, skipWithoutChromium } from './support/chromium.ts';
import { smtpForSuite } from './support/smtp.ts';

describe('the preview in Chromium is sandboxed', { skip: skipWithoutChromium }, () => {
  const smtp = smtpForSuite();
  let app: AdminApp;
  let browser: Browser;
  let page: Page;

  before(async () => {
    await ensureAdminUi();
    app = await startAdminApp(smtp().transport);
    browser = await launchChromium(chromiumPath as string);
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  test('a script typed into a template does not run in the preview, nor in the logged message', async () => {
    await page.goto(`${app.url}/admin/`);
    await page.waitForURL(/\/login\?next=/);
    await page.getByLabel('Email').click();
    await page.keyboard.type('author@example.org');
    await page.keyboard.press('Tab');
    await page.keyboard.type('password');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor();

    await page.locator('.group', { has: page.getByRole('heading', { name: 'Subscriber' }) }).getByRole('link', { name: 'created' }).click();
    await page.getByRole('link', { name: 'HTML email' }).click();
    await page.getByTestId('preview-subject').filter({ hasText: 'New subscriber: Pat Reader' }).waitFor();

    // The script would add its line while the frame's body is parsed, before the line after it.
    const editor = page.getByRole('textbox', { name: 'Content' });
    await editor.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\n<script>document.write("script ran")</script>\n<h2>after the script</h2>');
    assert.match(await editor.innerText(), /<script>document\.write\("script ran"\)<\/script>/);

    const frame = page.locator('iframe[title="HTML part"]');
    assert.equal(await frame.getAttribute('sandbox'), '', 'a sandbox that allows nothing');
    const preview = page.frameLocator('iframe[title="HTML part"]');
    await preview.getByRole('heading', { name: 'after the script' }).waitFor();
    assert.equal(await preview.getByText('script ran').count(), 0, 'the script ran in the preview');

    // Saved, sent to the site admin, and opened from the message log: still inert.
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').getByText('Saved.').waitFor();
    await app.blog.models.Subscriber.notify({ id: 3, name: 'Ida', email: 'ida@example.org', token: 't' }, 'created');
    await page.getByRole('link', { name: 'Message log' }).first().click();
    await page.locator('table.log tbody tr', { hasText: 'admin@example.org' }).getByRole('link').first().click();
    const logged = page.frameLocator('iframe[title="HTML part"]');
    await logged.getByRole('heading', { name: 'after the script' }).waitFor();
    assert.equal(await page.locator('iframe[title="HTML part"]').getAttribute('sandbox'), '');
    assert.equal(await logged.getByText('script ran').count(), 0, 'the script ran in the message view');
  });
});
