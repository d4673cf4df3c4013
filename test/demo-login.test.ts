// The demo's login, made safe to copy (docs/demo.md): wrong passwords limited per account and per
// client address, and `next` kept on the demo's own pages. Before, 300 wrong passwords went through
// in 11 s, next=/%09/evil.example/phish sent the browser to http://evil.example/phish, and
// next=/%0a/evil.com answered 500.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startDemo, type Demo } from '../demo/server.ts';
import { chromiumPath, launchChromium, skipWithoutChromium } from './support/chromium.ts';
import { rawRequest, type RawAnswer } from './support/raw-http.ts';
import { Visitor } from './support/visitor.ts';

const AUTHOR = { email: 'author@example.org', password: 'password' };

/** The tricks that made the login redirect elsewhere (or fail), as a browser would send them. */
const TRICKS = [
  '/\t/evil.example/phish', // browsers strip the tab: //evil.example/phish
  '/\n/evil.com', // a newline in the Location header: 500
  '/\r\n/evil.com',
  '//evil.example/',
  '/\\evil.example/',
  '\\/evil.example/',
  '/.//evil.example/',
  ' //evil.example/',
  'https://evil.example/',
  'javascript:alert(1)',
  'data:text/html,<h1>phished</h1>',
];

describe('the demo login keeps next on the demo', () => {
  let demo: Demo;
  before(async () => {
    demo = await startDemo({ port: 0, log: () => {} });
  });
  after(() => demo.close());

  const landing = (response: Response) => new URL(response.headers.get('location') ?? '', demo.url);

  test('after logging in, each trick lands on the front page of the demo', async () => {
    for (const next of TRICKS) {
      const response = await new Visitor(demo.url).post('/login', { ...AUTHOR, next });
      assert.equal(response.status, 303, JSON.stringify(next));
      assert.equal(landing(response).href, `${demo.url}/`, JSON.stringify(next));
    }
  });

  test('an author already logged in who opens /login?next=… with a trick lands on the front page too', async () => {
    const author = new Visitor(demo.url);
    await author.post('/login', AUTHOR);
    for (const next of TRICKS) {
      const response = await author.get(`/login?next=${encodeURIComponent(next)}`);
      assert.equal(response.status, 303, JSON.stringify(next));
      assert.equal(landing(response).href, `${demo.url}/`, JSON.stringify(next));
    }
  });

  test('paths on the demo are kept, with their query and fragment', async () => {
    // `http:evil.example` on an http:// site is a relative path, for browsers as for URL: /evil.example here.
    for (const [next, expected] of [['/articles/new', '/articles/new'], ['/admin/?x=1#y', '/admin/?x=1#y'], ['articles/new', '/articles/new'], ['/a b', '/a%20b'], ['http:evil.example', '/evil.example']]) {
      const response = await new Visitor(demo.url).post('/login', { ...AUTHOR, next: next as string });
      assert.equal(response.headers.get('location'), expected, next);
    }
  });
});

describe('the demo login limits wrong passwords', () => {
  let demo: Demo;
  before(async () => {
    demo = await startDemo({ port: 0, log: () => {} });
  });
  after(() => demo.close());

  /** A login from a given client address (127.0.0.x), as the browser's form sends it. */
  const login = (from: string, email: string, password: string): Promise<RawAnswer> =>
    rawRequest(`${demo.url}/login`, { localAddress: from, headers: { origin: demo.url, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ email, password }).toString() });

  test('one address guessing many accounts: the 21st attempt answers 429, other addresses go on', async () => {
    for (let i = 1; i <= 20; i++) assert.equal((await login('127.0.0.4', `guess${i}@example.org`, 'wrong')).status, 400, `attempt ${i}`);
    const limited = await login('127.0.0.4', 'guess21@example.org', 'wrong');
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers['retry-after']) > 0);
    assert.equal((await login('127.0.0.5', 'guess21@example.org', 'wrong')).status, 400);
  });

  test('thirty wrong passwords at once for one account: five are checked, the rest answer 429', async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => login(`127.0.1.${i + 1}`, 'burst@example.org', 'wrong')));
    assert.deepEqual(
      answers.map((a) => a.status).sort(),
      [...Array(5).fill(400), ...Array(25).fill(429)],
    );
  });

  test('the 6th wrong password for an account answers 429 with Retry-After, from any address, even with the right password; a success starts afresh', async () => {
    for (let i = 1; i <= 4; i++) assert.equal((await login('127.0.0.2', AUTHOR.email, 'wrong')).status, 400);
    assert.equal((await login('127.0.0.2', AUTHOR.email, AUTHOR.password)).status, 303, 'four mistakes, then the right password');
    for (let i = 1; i <= 5; i++) assert.equal((await login('127.0.0.2', AUTHOR.email, `wrong ${i}`)).status, 400, `wrong password ${i}`);
    const sixth = await login('127.0.0.2', AUTHOR.email, 'wrong 6');
    assert.equal(sixth.status, 429);
    const retryAfter = Number(sixth.headers['retry-after']);
    assert.ok(retryAfter > 0 && retryAfter <= 15 * 60, `Retry-After: ${sixth.headers['retry-after']}`);
    assert.match(sixth.body, /Too many failed logins\. Try again in 15 minutes\./);
    assert.equal((await login('127.0.0.2', AUTHOR.email, AUTHOR.password)).status, 429, 'the right password waits too');
    assert.equal((await login('127.0.0.3', ` ${AUTHOR.email.toUpperCase()}`, AUTHOR.password)).status, 429, 'the account is limited from every address');
  });
});

describe('the demo login in Chromium', { skip: skipWithoutChromium }, () => {
  let demo: Demo;
  let browser: Browser;
  let page: Page;
  before(async () => {
    demo = await startDemo({ port: 0, log: () => {} });
    browser = await launchChromium(chromiumPath as string);
    page = await browser.newPage();
    // Had the login sent the browser away, it would land on this page instead of failing to connect.
    await page.route((url) => url.origin !== demo.url, (route) => route.fulfill({ contentType: 'text/html', body: '<h1>Phished</h1>' }));
  });
  after(async () => {
    await browser?.close();
    await demo?.close();
  });

  test('logging in from a link with a redirect trick, by typing and clicking, ends on the demo', async () => {
    for (const next of ['/%09/evil.example/phish', '/%5Cevil.example/phish', '/%0a/evil.com']) {
      await page.goto(`${demo.url}/login?next=${next}`);
      await page.getByLabel('Email').click();
      await page.keyboard.type(AUTHOR.email);
      await page.getByLabel('Password').click();
      await page.keyboard.type(AUTHOR.password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForLoadState();
      assert.equal(page.url(), `${demo.url}/`, `next=${next}`);
      await page.getByRole('heading', { level: 1, name: 'Vox demo blog' }).waitFor();
      await page.locator('header').getByRole('button', { name: 'Log out' }).click();
      await page.locator('header').getByRole('link', { name: 'Log in' }).waitFor();
    }
  });
});
