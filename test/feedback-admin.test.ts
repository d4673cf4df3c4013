/**
 * Delivery feedback in the admin, in Chromium, used as a person does: a message of the blog goes
 * out by SMTP, SendGrid reports it delivered and then bounced (a signed event webhook), and staff
 * pick "bounced" in the message log's status filter, open the message and read its history.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { describe, test } from 'node:test';
import { adminInChromium } from './support/admin-browser.ts';
import { skipWithoutChromium } from './support/chromium.ts';

describe('the message log shows what providers reported', { skip: skipWithoutChromium }, () => {
  const admin = adminInChromium();

  test('filter by bounced, open the message, read its history', async () => {
    const { vox, models } = admin.app.blog;
    const ticket = await models.Subscriber.notify({ id: 7, name: 'Sam', email: 'sam@example.org', token: 't' }, 'created');
    assert.equal((await ticket.settled()).sent, 1);
    const [message] = await vox.messages.list({ issueId: ticket.issueId });
    assert.ok(message?.providerMessageId);
    // Another message that nobody reports on: the filter leaves it out.
    assert.equal((await (await models.Subscriber.notify({ id: 8, name: 'Kim', email: 'kim@example.org', token: 't' }, 'created')).settled()).sent, 1);

    const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const feedback = vox.feedback({ sendgrid: { publicKey: keys.publicKey.export({ format: 'der', type: 'spki' }).toString('base64') } });
    const at = Math.floor(Date.now() / 1000);
    const common = { email: 'admin@example.org', 'smtp-id': message.providerMessageId, sg_message_id: 'sgid1.filterdrecv-1', timestamp: at };
    const body = JSON.stringify([
      { ...common, event: 'delivered', sg_event_id: randomUUID(), response: '250 OK' },
      { ...common, event: 'bounce', sg_event_id: randomUUID(), type: 'bounce', status: '5.1.1', reason: '550 5.1.1 mailbox gone', timestamp: at + 60 },
    ]);
    const response = await feedback.fetch(
      new Request('https://blog.example.org/vox/feedback/sendgrid', {
        method: 'POST',
        headers: { 'X-Twilio-Email-Event-Webhook-Timestamp': String(at), 'X-Twilio-Email-Event-Webhook-Signature': sign('sha256', Buffer.from(String(at) + body), keys.privateKey).toString('base64') },
        body,
      }),
    );
    assert.equal(response.status, 200);

    const { page } = admin;
    await page.getByRole('link', { name: 'Message log' }).click();
    await page.getByRole('heading', { level: 1, name: 'Message log' }).waitFor();
    await page.locator('tbody tr').nth(1).waitFor();
    assert.equal(await page.locator('tbody tr').count(), 2);
    await page.getByLabel('Status').click();
    await page.keyboard.type('bounced');
    await page.keyboard.press('Enter');
    await page.waitForURL(/status=bounced/);
    const rows = page.locator('tbody tr');
    await rows.first().getByText('bounced', { exact: true }).waitFor();
    assert.equal(await rows.count(), 1);
    await rows.first().getByRole('link', { name: String(message.id) }).click();

    await page.getByRole('heading', { level: 2, name: 'History' }).waitFor();
    const history = page.getByRole('region', { name: 'History' });
    const events = await history.locator('tbody tr').allInnerTexts();
    assert.equal(events.length, 2);
    assert.match(events[0] ?? '', /delivered\s+admin@example\.org\s+250 OK/);
    assert.match(events[1] ?? '', /bounced\s+admin@example\.org\s+5\.1\.1 550 5\.1\.1 mailbox gone/);
    assert.match(await page.locator('dd').first().innerText(), /bounced/);
    await history.getByText('sendgrid payload').nth(1).click();
    assert.match(await history.locator('pre').nth(1).innerText(), /"sg_message_id":"sgid1\.filterdrecv-1"/);
  });
});
