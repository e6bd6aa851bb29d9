// Debian's Chromium driven by playwright-core, for the web pages' browser tests (in @kirchhoff/http
// over a fixture site, in the gateway over its demo) and the web benchmarks.
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function launchChromium(): Promise<Browser> {
  // Loaded here: only the browser tests need playwright-core.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** Logs in through the web pages' login form and waits for the overview. */
export async function logInToPages(page: Page, url: string, user: string, password: string): Promise<void> {
  await page.goto(`${url}/#/overview`);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('.string-card').first().waitFor();
}
