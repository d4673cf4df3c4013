// docs/admin.md, Security: rendered HTML is shown in an `<iframe sandbox="">`, so a template's HTML
// cannot run script. Checked in Chromium as an author would meet it: by typing a script into a template.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { adminInChromium } from './support/admin-browser.ts';
import { skipWithoutChromium } from './support/chromium.ts';

describe('the preview in Chromium is sandboxed', { skip: skipWithoutChromium }, () => {
  const ui = adminInChromium();

  test('a script typed into a template does not run in the preview, nor in the logged message', async () => {
    // Signed in by typing into the login form (see adminInChromium).
    await ui.page.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor();

    await ui.page.locator('.group', { has: ui.page.getByRole('heading', { name: 'Subscriber' }) }).getByRole('link', { name: 'created' }).click();
    await ui.page.getByRole('link', { name: 'HTML email' }).click();
    await ui.page.getByTestId('preview-subject').filter({ hasText: 'New subscriber: Pat Reader' }).waitFor();

    // The script would add its line while the frame's body is parsed, before the line after it.
    const editor = ui.page.getByRole('textbox', { name: 'Content' });
    await editor.click();
    await ui.page.keyboard.press('Control+End');
    await ui.page.keyboard.type('\n<script>document.write("script ran")</script>\n<h2>after the script</h2>');
    assert.match(await editor.innerText(), /<script>document\.write\("script ran"\)<\/script>/);

    const frame = ui.page.locator('iframe[title="HTML part"]');
    assert.equal(await frame.getAttribute('sandbox'), '', 'a sandbox that allows nothing');
    const preview = ui.page.frameLocator('iframe[title="HTML part"]');
    await preview.getByRole('heading', { name: 'after the script' }).waitFor();
    assert.equal(await preview.getByText('script ran').count(), 0, 'the script ran in the preview');

    // Saved, sent to the site admin, and opened from the message log: still inert.
    await ui.page.getByRole('button', { name: 'Save' }).click();
    await ui.page.getByRole('status').getByText('Saved.').waitFor();
    await ui.app.blog.models.Subscriber.notify({ id: 3, name: 'Ida', email: 'ida@example.org', token: 't' }, 'created');
    await ui.page.getByRole('link', { name: 'Message log' }).first().click();
    await ui.page.locator('table.log tbody tr', { hasText: 'admin@example.org' }).getByRole('link').first().click();
    const logged = ui.page.frameLocator('iframe[title="HTML part"]');
    await logged.getByRole('heading', { name: 'after the script' }).waitFor();
    assert.equal(await ui.page.locator('iframe[title="HTML part"]').getAttribute('sandbox'), '');
    assert.equal(await logged.getByText('script ran').count(), 0, 'the script ran in the message view');
  });
});
