import { expect } from 'chai';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { defaultConsoleDir } from '../../src/http/console-site.js';
import { TestDevice } from '../evidence/devices.js';
import { openSignIn, useConsole } from './browser.js';
import { openMarginCall } from './collateral-story.js';

const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface Violation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly unknown[] }[];
}

/** axe-core's serious and critical violations on the page as it is now (WCAG 2.1 A and AA rules). */
async function seriousViolations(page: Page): Promise<string[]> {
  // A drawer or a dialog fading in is judged as it ends up, not half transparent (endless animations, a spinner's,
  // never end and are not waited for).
  await page.waitForFunction(() => {
    type Running = { playState: string; effect: { getTiming(): { iterations: number } } | null };
    const { document } = globalThis as unknown as { document: { getAnimations(): Running[] } };
    return document.getAnimations().every((animation) => animation.playState !== 'running' || animation.effect?.getTiming().iterations === Infinity);
  });
  await page.addScriptTag({ path: axeSource });
  const violations = await page.evaluate(async () => {
    // In the page: its window, which the test's own types (Node's) do not describe.
    const { axe, document } = globalThis as unknown as { axe: { run(context: unknown, options: object): Promise<{ violations: Violation[] }> }; document: unknown };
    return (await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })).violations;
  });
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.impact ?? ''}): ${violation.help} at ${violation.nodes.map((node) => JSON.stringify(node.target)).join(', ')}`);
}

// axe is injected as a script, which the console's content security policy would refuse; the page is otherwise as served.
describe('the console and the verification page have no serious or critical accessibility violations (axe-core)', function () {
  this.timeout(120_000);
  const suite = useConsole('zh-CN', { bypassCSP: true });
  let loanReference = '';
  before(async () => {
    const { gateway } = suite();
    const lot = { id: 'LOT-A11Y-1', warehouseId: 'WH-A11Y', location: 'A1', commodity: 'copper cathode', unit: 't', quantity: '100' };
    expect((await gateway.request('custodian.clerk', 'POST', '/v1/lots', { body: lot })).status).to.equal(201);
    expect((await gateway.request('custodian.clerk', 'POST', '/v1/receipts', { body: { id: 'WR-A11Y-1', lotId: lot.id, owner: 'alice', quantity: '40' } })).status).to.equal(201);
    const device = new TestDevice('TEMP-A11Y-1', 'Ed25519');
    expect((await gateway.request('custodian.supervisor', 'POST', '/v1/devices', { body: device.registration('WH-A11Y') })).status).to.equal(201);
    const items = [1, 2, 3].map((seq) => device.item(seq, { ts: new Date(Date.now() - (4 - seq) * 60_000).toISOString() }));
    expect((await gateway.request('custodian.device-gateway', 'POST', '/v1/evidence', { body: { items } })).status).to.equal(200);
    // A loan with an open margin call: the loans, the loan's drawer and the margin calls are judged with rows in them.
    ({ loanReference } = await openMarginCall(gateway, 'a11y'));
  });

  const pages: readonly [string, (page: Page) => Promise<void>][] = [
    ['the sign-in page', async () => openSignIn(suite(), 'custodian.clerk')],
    [
      'the receipts page',
      async (page) => {
        await page.getByTestId('demo-lender.officer').click();
        await page.getByTestId('identity').waitFor();
      },
    ],
    [
      'the lots page',
      async (page) => {
        await openSignIn(suite(), 'custodian.clerk');
        await page.getByTestId('demo-custodian.clerk').click();
        await page.getByRole('menuitem', { name: '货物批次' }).click();
        await page.getByTestId('lot').waitFor();
      },
    ],
    [
      'a refusal on the lots page',
      async (page) => {
        for (const [name, value] of Object.entries({ id: 'WR-A11Y-1', lotId: 'LOT-NONE', owner: 'alice', quantity: '1' })) await page.getByTestId(`draft-${name}`).fill(value);
        await page.getByTestId('draft-submit').click();
        await page.getByTestId('problem').waitFor();
      },
    ],
    [
      "a receipt's drawer",
      async (page) => {
        // The clerk's drawer: a draft it may cancel.
        await page.getByRole('menuitem', { name: '仓单' }).click();
        await page.getByTestId('open-WR-A11Y-1').click();
        await page.getByTestId('receipt-detail').waitFor();
      },
    ],
    [
      "an action's form",
      async (page) => {
        await page.getByTestId('action-CancelDraft').click();
        await page.getByTestId('field-reason').waitFor();
      },
    ],
    [
      "the devices page, with a device's chart",
      async (page) => {
        await page.keyboard.press('Escape');
        await page.getByTestId('field-reason').waitFor({ state: 'detached' });
        await page.keyboard.press('Escape');
        await page.getByTestId('receipt-detail').waitFor({ state: 'detached' });
        await page.getByRole('menuitem', { name: '设备' }).click();
        await page.getByTestId('device-TEMP-A11Y-1').click();
        await page.getByTestId('series-chart').locator('canvas').waitFor();
      },
    ],
    [
      'the dashboard',
      async (page) => {
        await page.getByRole('menuitem', { name: '监管大屏' }).click();
        await page.getByTestId('dashboard').waitFor();
      },
    ],
    [
      'the alarms page',
      async (page) => {
        await page.getByRole('menuitem', { name: '告警' }).click();
        await page.getByTestId('alarms').waitFor();
      },
    ],
    [
      'the work orders page',
      async (page) => {
        await page.getByRole('menuitem', { name: '工单' }).click();
        await page.getByTestId('work-orders').waitFor();
      },
    ],
    [
      'the evidence page',
      async (page) => {
        await page.getByRole('menuitem', { name: '电子证据' }).click();
        await page.getByTestId('evidence-id').waitFor();
      },
    ],
    [
      'the prices page',
      async (page) => {
        await page.getByRole('menuitem', { name: '价格盯市' }).click();
        await page.getByTestId('prices').waitFor();
      },
    ],
    [
      "the bank's loans page",
      async (page) => {
        await openSignIn(suite(), 'lender.officer');
        await page.getByTestId('demo-lender.officer').click();
        await page.getByRole('menuitem', { name: '贷款' }).click();
        await page.getByTestId(`loan-${loanReference}`).waitFor();
      },
    ],
    [
      "a loan's drawer, with its LTV chart",
      async (page) => {
        await page.getByTestId(`loan-${loanReference}`).click();
        await page.getByTestId('ltv-chart').locator('canvas').waitFor();
      },
    ],
    [
      'the margin calls page',
      async (page) => {
        await page.keyboard.press('Escape');
        await page.getByTestId('loan-drawer').waitFor({ state: 'hidden' });
        await page.getByRole('menuitem', { name: '追加保证金' }).click();
        await page.getByTestId('margin-calls').getByText(loanReference).waitFor();
      },
    ],
    [
      'the English receipts page',
      async (page) => {
        await page.getByTestId('language').click();
        await page.getByRole('menuitem', { name: 'Receipts' }).click();
        await page.getByRole('heading', { name: 'Warehouse receipts' }).waitFor();
      },
    ],
    [
      "the oracle's refused price feed, its bad rows listed",
      async (page) => {
        await openSignIn(suite(), 'custodian.oracle');
        await page.getByTestId('demo-custodian.oracle').click();
        await page.getByTestId('import-feed').click();
        await page.getByTestId('field-content').fill(`commodity,unit,price,currency,source,asOf\ncopper cathode,t,-1,CNY,desk,${new Date().toISOString()}\n`);
        await page.getByTestId('submit-action').click();
        await page.getByTestId('problem-rows').waitFor();
      },
    ],
    [
      'the verification page, opened from disk',
      async (page) => {
        await page.goto(pathToFileURL(`${defaultConsoleDir}/verify.html`).href);
        await page.getByTestId('bundle').waitFor();
      },
    ],
    [
      'a verification report',
      async (page) => {
        await page.getByTestId('bundle').fill('{"format":"wr-evidence-bundle/1"}');
        await page.getByTestId('verify').click();
        await page.getByTestId('verdict').waitFor();
      },
    ],
  ];
  for (const [what, open] of pages) {
    it(`${what}`, async () => {
      const { page } = suite();
      await open(page);
      expect(await seriousViolations(page)).to.deep.equal([]);
      expect(suite().errors.filter((error) => !error.includes('Refused to'))).to.deep.equal([]);
    });
  }
});
