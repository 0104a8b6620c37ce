import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/** Where the browser tests save screenshots (gitignored). */
export const SCREENSHOT_DIR = resolve('.tugboat-test', 'dashboard-screenshots');

/** Debian's Chromium, headless (no browser download: puppeteer-core only drives it). */
export function launchChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
}

/** Saves a full-page screenshot of `page` as NAME.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: path as `${string}.png`, fullPage: true });
  return path;
}

/** Text of the page's main region as rendered (table cells apart, so `local-1\s+Ready` matches a row). */
export function mainText(page: Page): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text keeps cells apart; textContent runs them together
  return page.$eval('main', (m) => (m as unknown as { innerText: string }).innerText);
}
