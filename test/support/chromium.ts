import { chromium, type Browser } from 'playwright-core';

/** The Chromium browser tests drive, from VOX_TEST_CHROMIUM (.ci/run sets it to Debian's /usr/bin/chromium). */
export const chromiumPath = process.env.VOX_TEST_CHROMIUM;

/** Why browser tests are skipped here, or false. */
export const skipWithoutChromium: string | false = chromiumPath ? false : 'VOX_TEST_CHROMIUM is not set: browser tests skipped (.ci/run sets it to /usr/bin/chromium)';

/** Flags for a headless Chromium that talks to nothing but the page under test. */
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_FLAGS });
}
