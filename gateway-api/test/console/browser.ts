import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { defaultConsoleDir } from '../../src/http/console-site.js';

/** Debian's chromium (or CHROMIUM_PATH); playwright-core drives it and downloads nothing. */
function chromiumPath(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((path): path is string => path !== undefined && path !== '' && existsSync(path));
}

/** Where the tests leave screenshots of each page (git-ignored). */
export const screenshotDir = fileURLToPath(new URL('../../../../test-output/screenshots/', import.meta.url));

/**
 * A real Chromium for the suite, started before its tests and closed after them. Without one the suite skips and
 * says why, unless BROWSER_REQUIRED=1 (as .ci/run sets), when that is a failure. The console must be built.
 */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  before(async function () {
    this.timeout(60_000);
    const path = chromiumPath();
    if (path === undefined) {
      const reason = 'no Chromium (apt-get install chromium, or set CHROMIUM_PATH)';
      if (process.env.BROWSER_REQUIRED === '1') throw new Error(`BROWSER_REQUIRED=1 but ${reason}`);
      console.log(`console browser tests skipped: ${reason}`);
      this.skip();
    }
    if (!existsSync(join(defaultConsoleDir, 'index.html'))) throw new Error(`the console is not built in ${defaultConsoleDir}: run npm run build`);
    await mkdir(screenshotDir, { recursive: true });
    // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    browser = await chromium.launch({ executablePath: path, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
  });
  return () => {
    if (browser === undefined) throw new Error('the browser is not running');
    return browser;
  };
}

/**
 * The script errors and console errors a page reports, for the test to fail on. Chromium's own line for a response
 * of 4xx ("Failed to load resource") is left out: a refusal is an answer the console shows, not an error of its own.
 */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) errors.push(`console: ${message.text()}`);
  });
  return errors;
}
