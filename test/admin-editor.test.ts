/**
 * The template editor as an author uses it in Chromium: typing key by key, clicking, tabbing.
 * Nothing is filled in or set by script; what counts is what the page shows and what is saved.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { adminInChromium } from './support/admin-browser.ts';
import { skipWithoutChromium } from './support/chromium.ts';

describe('the template editor in Chromium', { skip: skipWithoutChromium }, () => {
  const ui = adminInChromium();

  /** Opens the subscriber notification's HTML email template and empties its content by keyboard. */
  async function openEmptyTemplate() {
    await ui.page.goto(`${ui.app.url}/admin/`);
    await ui.page.locator('.group', { has: ui.page.getByRole('heading', { name: 'Subscriber' }) }).getByRole('link', { name: 'created' }).click();
    await ui.page.getByRole('heading', { level: 1, name: 'Subscriber: created' }).waitFor();
    await ui.page.getByRole('link', { name: 'HTML email' }).click();
    const editor = ui.page.getByRole('textbox', { name: 'Content' });
    await editor.click();
    await ui.page.keyboard.press('Control+A');
    await ui.page.keyboard.press('Delete');
    return editor;
  }

  const savedContent = async () => (await ui.app.blog.vox.templates.list('blog.subscriber.created'))[0]?.content;

  test('typing a Liquid tag by hand, %} included, saves exactly what was typed', async () => {
    const editor = await openEmptyTemplate();
    await ui.page.keyboard.type('{% if x %}yes{% endif %}');
    assert.equal(await editor.innerText(), '{% if x %}yes{% endif %}');
    await ui.page.getByRole('button', { name: 'Save' }).click();
    await ui.page.getByRole('status').getByText(/^Saved/).waitFor();
    assert.equal(await savedContent(), '{% if x %}yes{% endif %}');
  });

  test('the server\'s errors are listed once, above a banner that says so, and go away once fixed', async () => {
    const editor = await openEmptyTemplate();
    await ui.page.keyboard.type('Hello {{ object.name }}{% endif %}');
    await ui.page.getByRole('button', { name: 'Save' }).click();
    const banner = ui.page.getByRole('status').filter({ hasText: 'Not saved' });
    await banner.waitFor();
    assert.match(await banner.innerText(), /above/);
    const errors = ui.page.getByRole('list', { name: 'Errors' }).getByRole('listitem');
    const texts = await errors.allInnerTexts();
    assert.ok(texts.length > 0);
    assert.equal(new Set(texts).size, texts.length, `each error once: ${texts.join(' | ')}`);
    const listBox = await ui.page.getByRole('list', { name: 'Errors' }).boundingBox();
    const bannerBox = await banner.boundingBox();
    assert.ok(listBox && bannerBox && listBox.y < bannerBox.y, 'the errors are above the banner');

    await editor.click();
    await ui.page.keyboard.press('Control+End');
    for (let i = 0; i < '{% endif %}'.length; i++) await ui.page.keyboard.press('Backspace');
    await ui.page.getByRole('list', { name: 'Errors' }).waitFor({ state: 'detached' });
    await banner.waitFor({ state: 'detached' });
    await ui.page.locator('.cm-lint-marker-error').waitFor({ state: 'detached' });
    await ui.page.getByRole('button', { name: 'Save' }).click();
    await ui.page.getByRole('status').getByText(/^Saved/).waitFor();
    assert.equal(await savedContent(), 'Hello {{ object.name }}');
  });

  test('a template that cannot render with sample data is saved with a loud warning that its messages will fail', async () => {
    await openEmptyTemplate();
    await ui.page.keyboard.type('{% for i in (1..50000000) %}{{ i }}{% endfor %}');
    await ui.page.getByRole('button', { name: 'Save' }).click();
    const banner = ui.page.getByRole('status').filter({ hasText: 'messages will fail' });
    await banner.waitFor();
    assert.match(await banner.innerText(), /^Saved, but messages will fail: it cannot render with sample data \(.*memory/i);
    assert.match(await banner.getAttribute('class') ?? '', /error/);
    assert.equal(await savedContent(), '{% for i in (1..50000000) %}{{ i }}{% endfor %}');
  });
});
