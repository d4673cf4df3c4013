import { after, before } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ensureAdminUi } from '../../admin-ui/build.ts';
import type { AdminOptions } from '../../src/index.ts';
import { STAFF, startAdminApp, type AdminApp } from './admin-app.ts';
import { chromiumPath, launchChromium } from './chromium.ts';
import { smtpForSuite, type TestSmtp } from './smtp.ts';

/** What a browser suite of the admin works with; valid from the suite's `before` on. */
export interface AdminInChromium {
  readonly app: AdminApp;
  readonly page: Page;
  readonly smtp: TestSmtp;
}

/**
 * The admin's host app, a Chromium and a page for the enclosing suite, started before it and
 * closed after it. Unless `signedIn` is false, the staff user signs in as a person does: typing
 * into the login form, tabbing, pressing Enter. `adminOptions` configure the admin as a host would.
 */
export function adminInChromium(options: { readonly signedIn?: boolean; readonly adminOptions?: Partial<AdminOptions> } = {}): AdminInChromium {
  const smtp = smtpForSuite();
  let app: AdminApp | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  before(async () => {
    await ensureAdminUi();
    app = await startAdminApp(smtp().transport, undefined, options.adminOptions);
    browser = await launchChromium(chromiumPath as string);
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    if (options.signedIn ?? true) await signInByTyping(page, app.url);
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the admin in Chromium is not started yet');
    return value;
  };
  return {
    get app() {
      return started(app);
    },
    get page() {
      return started(page);
    },
    get smtp() {
      return smtp();
    },
  };
}

/** Signs the staff user in through the login form the admin redirects to, by keyboard. */
export async function signInByTyping(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/admin/`);
  await page.waitForURL(/\/login\?next=/);
  await page.getByLabel('Email').click();
  await page.keyboard.type(STAFF.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(STAFF.password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor();
}
