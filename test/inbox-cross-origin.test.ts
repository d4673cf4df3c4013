// <vox-inbox> on a page of another origin than the handler, in Chromium: a recipient token, the
// stream and the writes across origins with CORS for the page's origin only.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { toNodeHandler, type InboxHandler } from '../src/index.ts';
import { chromiumPath, launchChromium, skipWithoutChromium } from './support/chromium.ts';
import { inboxApp, type InboxApp, type Member } from './support/inbox-app.ts';

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
};

describe('<vox-inbox> on another origin, in Chromium', { skip: skipWithoutChromium }, () => {
  let app: InboxApp;
  let browser: Browser;
  let api: Server;
  let site: Server;
  let handler: InboxHandler<Member>;
  let apiOrigin: string;
  let siteOrigin: string;
  let token = '';

  before(async () => {
    app = await inboxApp({ dialect: 'sqlite', path: ':memory:' });
    // The page is on localhost, the API on 127.0.0.1: two origins.
    site = createServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      response.end(`<!doctype html><title>App</title><script type="module" src="${apiOrigin}/inbox/vox-inbox.js"></script><h1>App</h1><vox-inbox src="${apiOrigin}/inbox" token="${token}"></vox-inbox>`);
    });
    siteOrigin = `http://localhost:${await listen(site)}`;
    handler = app.vox.inboxHandler({ basePath: '/inbox', model: app.Member, tokens: { secrets: ['another-test-secret-of-32-characters-or-more'] }, corsOrigins: [siteOrigin] });
    api = createServer(toNodeHandler(handler));
    apiOrigin = `http://127.0.0.1:${await listen(api)}`;
    token = await handler.token(app.members[1]!);
    browser = await launchChromium(chromiumPath as string);
  });
  after(async () => {
    await browser?.close();
    for (const server of [api, site]) {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    }
    await app?.vox.close();
  });

  test('the bell counts live and opening reads, through a token and CORS', async () => {
    const page = await browser.newPage();
    await page.goto(`${siteOrigin}/`);
    const bell = (unread: number) => page.getByRole('button', { name: `Notifications, ${unread} unread` });
    await bell(0).waitFor();
    await app.publish({ id: 1, title: 'Across origins', body: '' });
    await bell(1).waitFor({ timeout: 2000 });
    await bell(1).click();
    await page.getByRole('dialog', { name: 'Notifications' }).getByText('Member 1 published Across origins', { exact: true }).waitFor();
    await bell(0).waitFor({ timeout: 2000 });
    assert.deepEqual(await app.vox.inbox(app.Member, app.members[1]!).counts(), { unread: 0, unseen: 0 }, 'read in the database');
    await page.close();
  });

  test('a page of an origin not configured cannot read the inbox', async () => {
    const other = createServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      response.end(`<!doctype html><title>Other</title><script type="module" src="${apiOrigin}/inbox/vox-inbox.js"></script><vox-inbox src="${apiOrigin}/inbox" token="${token}"></vox-inbox>`);
    });
    const port = await listen(other);
    try {
      await app.publish({ id: 2, title: 'Not for them', body: '' });
      const page = await browser.newPage();
      const refused: string[] = [];
      page.on('console', (message) => {
        if (/CORS/.test(message.text())) refused.push(message.text());
      });
      await page.goto(`http://localhost:${port}/`);
      await page.getByRole('button', { name: 'Notifications, 0 unread' }).waitFor();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(await page.getByRole('button', { name: 'Notifications, 1 unread' }).count(), 0, 'the count never reached the page');
      assert.ok(refused.length > 0, 'the browser refused the answers for CORS');
      await page.close();
    } finally {
      other.closeAllConnections();
      await new Promise((resolve) => other.close(resolve));
    }
  });
});
