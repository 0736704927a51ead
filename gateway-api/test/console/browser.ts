import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { defaultConsoleDir } from '../../src/http/console-site.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { testDatabases } from '../support/postgres.js';

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

/** What a console suite works with: a real gateway, one page of the browser on it, and the errors the page reported. */
export interface ConsoleSuite {
  readonly gateway: TestGateway;
  readonly page: Page;
  readonly errors: string[];
}

/**
 * A real gateway (on real PostgreSQL when the machine has it, as CI does, else PGlite) and a browser page in
 * `locale`, for the suite's tests; both are stopped after them.
 */
export function useConsole(locale: string, contextOptions: { readonly bypassCSP?: boolean } = {}): () => ConsoleSuite {
  const browser = useBrowser();
  let suite: ConsoleSuite | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  before(async function () {
    this.timeout(120_000);
    const target = (await testDatabases()).at(-1);
    if (target === undefined) throw new Error('no test database');
    const gateway = await startTestGateway(target);
    const page = await (await browser().newContext({ locale, viewport: { width: 1280, height: 900 }, ...contextOptions })).newPage();
    suite = { gateway, page, errors: watchErrors(page) };
    cleanup = async () => {
      await page.context().close();
      await gateway.close();
      await target.cleanup();
    };
  });
  after(async function () {
    this.timeout(60_000);
    await cleanup?.();
  });
  return () => {
    if (suite === undefined) throw new Error('the console suite is not running');
    return suite;
  };
}

/** Opens the console, signs out whoever is signed in, and waits on the sign-in page until `id`'s demo entry shows. */
export async function openSignIn({ gateway, page }: ConsoleSuite, id: string): Promise<void> {
  await page.goto(`${gateway.url}/`);
  const signOut = page.getByTestId('sign-out');
  await Promise.race([signOut.waitFor(), page.getByTestId(`demo-${id}`).waitFor()]);
  if (await signOut.isVisible()) await signOut.click();
  await page.getByTestId(`demo-${id}`).waitFor();
}
