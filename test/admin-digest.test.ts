/**
 * A template's own digest, set in the template editor in Chromium as an author does it: choosing
 * with the keyboard, typing minutes, saving; refused settings are listed and nothing is saved.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { adminInChromium } from './support/admin-browser.ts';
import { skipWithoutChromium } from './support/chromium.ts';

describe('the digest of a template in Chromium', { skip: skipWithoutChromium }, () => {
  const ui = adminInChromium();

  const saved = async () => (await ui.app.blog.vox.templates.list('blog.subscriber.created'))[0]?.digest;

  async function typeInto(label: string, text: string) {
    await ui.page.getByLabel(label).click();
    await ui.page.keyboard.press('Control+A');
    await ui.page.keyboard.type(text);
  }

  /** Picks an option of a select the way a keyboard user does: focus it, then type its first letters. */
  async function choose(label: string, option: string) {
    await ui.page.getByLabel(label).click();
    await ui.page.keyboard.press('Escape');
    await ui.page.keyboard.type(option);
  }

  test('an author gathers a template into a sliding digest; a longest wait shorter than the window is refused', async () => {
    await ui.page.goto(`${ui.app.url}/admin/`);
    await ui.page.locator('.group', { has: ui.page.getByRole('heading', { name: 'Subscriber' }) }).getByRole('link', { name: 'created' }).click();
    await ui.page.getByRole('link', { name: 'HTML email' }).click();
    const mode = ui.page.getByLabel('Messages of this template');
    assert.match(await mode.locator('option:checked').innerText(), /As the notification declares: each at once/);
    await choose('Messages of this template', 'Gathered');
    await typeInto('Window (minutes)', '5');
    await choose('The window runs', 'from the l');
    await typeInto('Longest wait (minutes)', '2');
    await choose('One digest per', 'recipient and o');
    await ui.page.getByRole('button', { name: 'Save' }).click();
    await ui.page.getByRole('status').filter({ hasText: 'Not saved' }).waitFor();
    assert.match((await ui.page.getByRole('list', { name: 'Errors' }).allInnerTexts()).join(' '), /maxWait \(120000\) is shorter than the window \(300000\)/);
    assert.equal(await saved(), null, 'nothing saved');

    await typeInto('Longest wait (minutes)', '60');
    await ui.page.getByRole('button', { name: 'Save' }).click();
    await ui.page.getByRole('status').getByText(/^Saved/).waitFor();
    assert.deepEqual(await saved(), { window: 300_000, mode: 'sliding', maxWait: 3_600_000, key: 'object' });

    await ui.page.reload();
    assert.equal(await ui.page.getByLabel('Messages of this template').locator('option:checked').innerText(), 'Gathered into a digest');
    assert.equal(await ui.page.getByLabel('Window (minutes)').inputValue(), '5');
    await choose('Messages of this template', 'Each');
    await ui.page.getByRole('button', { name: 'Save' }).click();
    await ui.page.getByRole('status').getByText(/^Saved/).waitFor();
    assert.equal(await saved(), false, 'turned off for this template');
  });
});
