/**
 * Sending from the admin to many: the page asks first, with the count, and a double click on the
 * confirmation sends once (each form carries an idempotency key). Driven in Chromium by clicks
 * and typing; what counts is what the server answered the page and what it recorded.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Response } from 'playwright-core';
import { adminInChromium } from './support/admin-browser.ts';
import { skipWithoutChromium } from './support/chromium.ts';
import { waitFor } from './support/wait.ts';

describe('sending to many from the admin', { skip: skipWithoutChromium }, () => {
  const ui = adminInChromium();

  /** Requests to `path` the page made, and the answers it got. */
  function watch(path: RegExp) {
    const requests: string[] = [];
    const answers: Response[] = [];
    ui.page.on('request', (r) => void (path.test(r.url()) && r.method() === 'POST' && requests.push(r.url())));
    ui.page.on('response', (r) => void (path.test(r.url()) && r.request().method() === 'POST' && answers.push(r)));
    return { requests, answers, settled: () => waitFor(() => answers.length === requests.length && requests.length > 0, { what: `answers to ${path}` }) };
  }

  async function choose(search: string, names: string[]) {
    await ui.page.getByRole('searchbox', { name: /^Search/ }).click();
    await ui.page.keyboard.type(search);
    for (const name of names) await ui.page.getByRole('checkbox', { name }).click();
  }

  test('a notification about two subscribers asks first, and a double click sends it once', async () => {
    const issued = watch(/\/issue$/);
    await ui.page.locator('.group', { has: ui.page.getByRole('heading', { name: 'Subscriber' }) }).getByRole('link', { name: 'created' }).click();
    await ui.page.getByRole('heading', { level: 1, name: 'Subscriber: created' }).waitFor();
    await choose('example.org', ['Sam Subscriber <sam@example.org>', 'Nina New <nina@example.org>']);
    await ui.page.getByRole('button', { name: 'Send notification' }).click();
    const confirm = ui.page.getByRole('group', { name: 'Confirm sending' });
    await confirm.getByText('Send to 2 subscriber objects?').waitFor();
    assert.equal(issued.requests.length, 0, 'nothing is sent before the confirmation');
    await confirm.getByRole('button', { name: 'Yes, send to 2 subscriber objects' }).dblclick();
    await ui.page.getByRole('status').getByText(/Sent 2 notifications/).waitFor();
    await issued.settled();
    const ids = new Set<number>();
    for (const answer of issued.answers) for (const issue of ((await answer.json()) as { issues: { issueId: number }[] }).issues) ids.add(issue.issueId);
    assert.equal(ids.size, 2, `two issues, one per subscriber, however often the ui.page asked: ${[...ids].join(', ')}`);
  });

  test('a one-time message to two objects asks first, and a double click queues it once', async () => {
    const sent = watch(/\/one-time\/send$/);
    await ui.page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Send a message' }).click();
    // One-time messages belong to no issue; the previous test's issues may still be fanning out.
    const oneTime = async () => (await ui.app.blog.vox.messages.list({})).filter((m) => m.issueId === null).length;
    const before = await oneTime();
    ui.app.blog.data.users.push({ id: 2, name: 'Alba Editor', email: 'alba@example.org', passwordHash: 'x' });
    await choose('al', ['Alan Author', 'Alba Editor']);
    await ui.page.getByRole('textbox', { name: 'Content' }).click();
    await ui.page.keyboard.type('Hello {{ object.name }}');
    await ui.page.getByRole('button', { name: 'Send to 2 objects' }).click();
    const confirm = ui.page.getByRole('group', { name: 'Confirm sending' });
    await confirm.getByRole('button', { name: 'Yes, send to 2 objects' }).dblclick();
    await ui.page.getByRole('status').getByText(/queued 2 messages/i).waitFor();
    await sent.settled();
    assert.equal((await oneTime()) - before, 2, 'two messages in the log, one per object');
  });

  test('requests that repeat a form\'s idempotency key, even at the same moment, send once and say so', async () => {
    const cookie = `session=${ui.app.signIn()}`;
    const session = (await (await fetch(`${ui.app.url}/admin/api/session`, { headers: { cookie } })).json()) as { csrfToken: string };
    const post = (key: string) =>
      fetch(`${ui.app.url}/admin/api/notifications/blog.subscriber.created/issue`, {
        method: 'POST',
        headers: { cookie, 'x-csrf-token': session.csrfToken, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ objects: ['1'] }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { issues: { issueId: number }[]; repeated: boolean } }));
    const [first, second] = await Promise.all([post('form-1'), post('form-1')]);
    assert.deepEqual([first.status, second.status], [200, 200]);
    assert.deepEqual(first.body.issues, second.body.issues);
    assert.deepEqual([first.body.repeated, second.body.repeated].sort(), [false, true]);
    const other = await post('form-2');
    assert.equal(other.body.repeated, false);
    assert.notDeepEqual(other.body.issues, first.body.issues, 'another form is another send');
  });
});
