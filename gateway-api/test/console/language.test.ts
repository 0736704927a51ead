import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { defaultConsoleDir } from '../../src/http/console-site.js';
import { openSignIn, screenshotDir, useConsole } from './browser.js';
import { openMarginCall } from './collateral-story.js';

const dictionary = (language: string): Record<string, string> =>
  JSON.parse(readFileSync(new URL(`../../../console/src/i18n/${language}.json`, import.meta.url), 'utf8')) as Record<string, string>;
const en = dictionary('en');
const zh = dictionary('zh');
const placeholders = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1] ?? '').sort();

describe("the console's dictionaries", () => {
  it('have the same keys in Chinese and English, none empty, with the same placeholders', () => {
    expect(Object.keys(zh).sort()).to.deep.equal(Object.keys(en).sort());
    for (const key of Object.keys(en)) {
      expect(en[key]?.trim(), `en ${key}`).to.not.equal('');
      expect(zh[key]?.trim(), `zh ${key}`).to.not.equal('');
      expect(placeholders(zh[key] ?? ''), `placeholders of ${key}`).to.deep.equal(placeholders(en[key] ?? ''));
    }
  });

  it('translate every label: a Chinese text differs from its English one unless it is a code, a number or a dash', () => {
    const same = Object.keys(en).filter((key) => en[key] === zh[key] && !/^[—\-\d\s]*$/.test(en[key] ?? ''));
    expect(same).to.deep.equal([]);
  });
});

describe('the console in a real browser: switching language', function () {
  this.timeout(120_000);
  const suite = useConsole('zh-CN');

  /** The page's visible text holds no dictionary key and, in Chinese, none of the English texts that have a translation. */
  async function expectTranslated(language: 'zh' | 'en'): Promise<void> {
    const text = await suite().page.locator('body').innerText();
    expect(text.match(/\b(app|signIn|org|role|nav|receipts|field|status|tx|receipt|action|lots|form|problem|language|session|collateral)\.[A-Za-z_.-]+/g) ?? [], 'keys shown as text').to.deep.equal([]);
    if (language === 'en') {
      // No Chinese at all, but for the button that switches to it.
      expect(text.replaceAll(en['language.switch'] ?? '', '').match(/[\u3400-\u9fff]+/g) ?? [], 'Chinese on the English page').to.deep.equal([]);
      return;
    }
    // English texts that have a translation, long enough not to be a code or a name that both languages share.
    const english = Object.entries(en).filter(([key, value]) => value !== zh[key] && value.length >= 6 && !value.includes('{') && text.includes(value));
    expect(english.map(([key]) => key), 'English texts on the Chinese page').to.deep.equal([]);
  }

  /**
   * Shows the page in Chinese, English and Chinese again, checking it each time; `ready` waits for its content (opening
   * it if need be), `leave` closes what would cover the language button (a drawer's mask).
   */
  async function roundTrip(name: string, ready: () => Promise<void>, leave: () => Promise<void> = () => Promise.resolve()): Promise<void> {
    const { page } = suite();
    await ready();
    await expectTranslated('zh');
    await page.screenshot({ path: `${screenshotDir}${name}.zh.png`, fullPage: true });
    await leave();
    await page.getByTestId('language').click();
    await page.locator('html[lang="en"]').waitFor({ state: 'attached' });
    await ready();
    await expectTranslated('en');
    await leave();
    await page.getByTestId('language').click();
    await page.locator('html[lang="zh-CN"]').waitFor({ state: 'attached' });
    await ready();
    await expectTranslated('zh');
  }

  it('shows the sign-in page wholly in Chinese, then wholly in English, then in Chinese again', async () => {
    const { page } = suite();
    await openSignIn(suite(), 'custodian.supervisor');
    if ((await page.locator('html').getAttribute('lang')) !== 'zh-CN') await page.getByTestId('language').click();
    await page.locator('html[lang="zh-CN"]').waitFor({ state: 'attached' });
    await roundTrip('sign-in', () => page.getByTestId('demo-custodian.supervisor').waitFor());
  });

  // Every view of the side menu, as the warehouse supervisor, who has all of them.
  const views: readonly [string, string, string][] = [
    ['receipts', '仓单', 'receipts-table'],
    ['dashboard', '监管大屏', 'dashboard'],
    ['lots', '货物批次', 'count'],
    ['devices', '设备', 'devices-table'],
    ['alarms', '告警', 'alarms'],
    ['work-orders', '工单', 'work-orders'],
    ['evidence', '电子证据', 'evidence-id'],
    ['prices', '价格盯市', 'prices'],
  ];
  for (const [name, menu, content] of views) {
    it(`shows the ${name} page wholly in Chinese, then wholly in English, then in Chinese again`, async () => {
      const { page } = suite();
      if ((await page.getByTestId('identity').count()) === 0) await page.getByTestId('demo-custodian.supervisor').click();
      await page.getByRole('menuitem', { name: menu }).click();
      await roundTrip(name, () => page.getByTestId(content).first().waitFor());
    });
  }

  // The collateral views the supervisor does not have, as the lender's officer, over a loan with an open margin call
  // (so they show their tags, lines and causes, not empty tables). Seeded here, after the supervisor's views: its
  // receipt would put "LenderMSP" on their receipts page.
  describe("the lender's collateral views", () => {
    let loanReference = '';
    before(async function () {
      this.timeout(120_000);
      ({ loanReference } = await openMarginCall(suite().gateway, 'lang'));
      const { page } = suite();
      await openSignIn(suite(), 'lender.officer');
      await page.getByTestId('demo-lender.officer').click();
      await page.getByTestId('identity').waitFor();
    });
    const menu = (name: string) => () => suite().page.getByRole('menuitem', { name }).click();
    const drawer = () => suite().page.getByTestId('loan-drawer');

    it("shows the lender's loans page wholly in Chinese, then wholly in English, then in Chinese again", async () => {
      await menu('贷款')();
      await roundTrip('loans', () => suite().page.getByTestId(`loan-${loanReference}`).waitFor());
    });

    it("shows a loan's drawer, its chart and margin calls, wholly in Chinese, then wholly in English, then in Chinese again", async () => {
      const { page } = suite();
      const close = async () => {
        await page.keyboard.press('Escape');
        await drawer().waitFor({ state: 'hidden' });
      };
      const open = async () => {
        if (!(await drawer().isVisible())) await page.getByTestId(`loan-${loanReference}`).click();
        await page.getByTestId('ltv-chart').locator('canvas').waitFor();
        await page.getByTestId('loan-calls').getByText(loanReference).waitFor();
      };
      await roundTrip('loan', open, close);
      await close();
    });

    it("shows the lender's margin calls page wholly in Chinese, then wholly in English, then in Chinese again", async () => {
      await menu('追加保证金')();
      await roundTrip('margin-calls', () => suite().page.getByTestId('margin-calls').getByText(loanReference).waitFor());
    });

    it("shows the lender's dashboard and its collateral panel wholly in Chinese, then wholly in English, then in Chinese again", async () => {
      await menu('监管大屏')();
      await roundTrip('collateral-dashboard', () => suite().page.getByTestId('bands-chart').locator('canvas').waitFor());
    });
  });

  it('shows the verification page and a report wholly in Chinese, then wholly in English, then in Chinese again', async () => {
    const { page } = suite();
    await page.goto(pathToFileURL(`${defaultConsoleDir}/verify.html`).href);
    await page.getByTestId('bundle').fill('{"format":"wr-evidence-bundle/1"}');
    await page.getByTestId('verify').click();
    await roundTrip('verify', () => page.getByTestId('verdict').waitFor());
  });

  afterEach(() => {
    expect(suite().errors).to.deep.equal([]);
  });
});
