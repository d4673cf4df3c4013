/**
 * The admin's words, as a person reads them in Chromium: the message log names notifications and
 * backends as the rest of the admin does, buttons have names a screen reader can say, settings
 * say what they do, and no error is shown before there is anything to be wrong.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { adminInChromium } from './support/admin-browser.ts';
import { skipWithoutChromium } from './support/chromium.ts';

describe('the admin in plain language', { skip: skipWithoutChromium }, () => {
  const ui = adminInChromium();

  test('the message log says "Subscriber: created" and "HTML email", not blog.subscriber.created and email-html', async () => {
    const { models, data } = ui.app.blog;
    await (await models.Subscriber.notify(data.subscribers[0]!, 'created')).settled();
    await ui.page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Message log' }).click();
    const row = ui.page.locator('table.log tbody tr', { has: ui.page.getByRole('cell', { name: 'admin@example.org', exact: true }) });
    await row.waitFor();
    const cells = await row.getByRole('cell').allInnerTexts();
    assert.ok(cells.includes('Subscriber: created'), cells.join(' | '));
    assert.ok(cells.includes('HTML email'), cells.join(' | '));
    assert.ok(!cells.some((c) => /blog\.subscriber|email-html/.test(c)), cells.join(' | '));
    const options = await ui.page.getByRole('combobox', { name: 'Notification' }).getByRole('option').allInnerTexts();
    assert.ok(options.includes('Subscriber: created'), options.join(' | '));

    await row.getByRole('link').first().click();
    await ui.page.getByRole('link', { name: 'Subscriber: created' }).waitFor();
    await ui.page.getByText('HTML email', { exact: true }).waitFor();
  });

  test('toolbar buttons have names that say what they do', async () => {
    await ui.page.goto(`${ui.app.url}/admin/`);
    await ui.page.locator('.group', { has: ui.page.getByRole('heading', { name: 'Subscriber' }) }).getByRole('link', { name: 'created' }).click();
    await ui.page.getByRole('link', { name: 'HTML email' }).click();
    const toolbar = ui.page.getByRole('toolbar', { name: 'Formatting' });
    await toolbar.getByRole('button', { name: 'Bold' }).waitFor();
    const names = await toolbar.getByRole('button').evaluateAll((buttons) => buttons.map((b) => b.getAttribute('aria-label') ?? b.textContent ?? ''));
    assert.ok(names.length > 0);
    for (const name of names) assert.ok(name.length > 3, `a button named ${JSON.stringify(name)} says nothing to a screen reader`);
  });

  test('a site contact\'s setting says what it does, without blacklist or whitelist', async () => {
    await ui.page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Site contacts' }).click();
    await ui.page.getByRole('button', { name: 'Add a site contact' }).click();
    const form = ui.page.getByRole('form', { name: 'New site contact' });
    await form.getByRole('radio').first().waitFor();
    assert.doesNotMatch(await form.innerText(), /blacklist|whitelist/i);
  });

  test('a new one-time message shows no "the message is empty" before the author tries to send it', async () => {
    await ui.page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Send a message' }).click();
    await ui.page.getByRole('searchbox', { name: /^Search/ }).click();
    await ui.page.keyboard.type('alan');
    // The preview of the chosen object is answered (with the server's "the message is empty") before the page is read.
    const answered = ui.page.waitForResponse((r) => r.url().endsWith('/one-time/preview') && r.request().postData()?.includes('"objects":["1"]') === true);
    await ui.page.getByRole('checkbox', { name: 'Alan Author' }).click();
    assert.match(await (await answered).text(), /the message is empty/);
    await ui.page.locator('section.preview[aria-busy="false"]').waitFor();
    assert.doesNotMatch(await ui.page.locator('main').innerText(), /the message is empty|Fix the errors/);
    await ui.page.getByRole('button', { name: 'Send to 1 object' }).click();
    await ui.page.getByRole('list', { name: 'Errors' }).getByText('the message is empty').waitFor();
  });
});
