import { expect } from 'chai';
import { z } from 'zod';
import { openSignIn, screenshotDir, useConsole } from './browser.js';
import { openMarginCall } from './collateral-story.js';

describe('the console in a real browser: loans, margin calls and price marks', function () {
  this.timeout(120_000);
  const suite = useConsole('en-GB');
  let loanReference = '';
  let commodity = '';
  const unpricedLoan = `LOAN-UI-NI-${Date.now().toString(36)}`;
  const unmarked = `nickel-ui-${Date.now().toString(36)}`;

  before(async function () {
    this.timeout(120_000);
    ({ loanReference, commodity } = await openMarginCall(suite().gateway, 'ui'));
    // A second loan, on goods of a commodity no one has marked: marking cannot value it.
    const { gateway } = suite();
    const ok = async (who: string, path: string, body: unknown, status: number): Promise<void> => {
      const reply = await gateway.request(who, 'POST', path, { body });
      expect(reply.status, `${path}: ${reply.text}`).to.equal(status);
    };
    await ok('custodian.clerk', '/v1/lots', { id: 'LOT-UI-NI', warehouseId: 'WH-UI-NI', location: 'Shed 6', commodity: unmarked, unit: 't', quantity: '10' }, 201);
    await ok('custodian.clerk', '/v1/receipts', { id: 'WR-UI-NI', lotId: 'LOT-UI-NI', owner: 'alice', quantity: '10' }, 201);
    await ok('custodian.supervisor', '/v1/receipts/WR-UI-NI/confirm', {}, 200);
    await ok('borrower.alice', '/v1/receipts/WR-UI-NI/pledge-request', { lender: 'LenderMSP', loanReference: unpricedLoan, loanAmount: '1000', currency: 'CNY' }, 200);
    await ok('lender.officer', '/v1/receipts/WR-UI-NI/pledge-acceptance', {}, 200);
    await gateway.gateway.collateralSettled();
  });
  afterEach(() => {
    expect(suite().errors, 'errors the page reported').to.deep.equal([]);
  });

  it("the borrower sees her margin call and its deadline; another borrower sees none", async () => {
    const { page } = suite();
    await openSignIn(suite(), 'borrower.alice');
    await page.getByTestId('demo-borrower.alice').click();
    await page.getByRole('menuitem', { name: 'Margin calls' }).click();
    await page.getByRole('heading', { name: 'Your margin calls' }).waitFor();
    const calls = page.getByTestId('margin-calls');
    await calls.getByText(loanReference).waitFor();
    expect(await calls.innerText()).to.include('Open').and.include('72.22%').and.include('70.00% / 85.00%');
    await openSignIn(suite(), 'borrower.bob');
    await page.getByTestId('demo-borrower.bob').click();
    await page.getByRole('menuitem', { name: 'Margin calls' }).click();
    await page.getByTestId('margin-calls').getByText('No margin calls').waitFor();
  });

  it('the bank sees the loan against its lines, its LTV chart, and a repayment recorded from the drawer cures the call', async () => {
    const { page, gateway } = suite();
    await openSignIn(suite(), 'lender.officer');
    await page.getByTestId('demo-lender.officer').click();
    await page.getByRole('menuitem', { name: 'Loans' }).click();
    const row = page.getByTestId('loans').getByRole('row').filter({ hasText: loanReference });
    await row.waitFor();
    expect(await row.innerText()).to.include('900,000').and.include('72.22%').and.include('at the warning line').and.include('Open');
    await page.getByTestId(`loan-${loanReference}`).click();
    const drawer = page.getByTestId('loan-drawer');
    await drawer.getByTestId('ltv-chart').locator('canvas').waitFor();
    await page.screenshot({ path: `${screenshotDir}loan.en.png`, fullPage: true });
    await drawer.getByTestId('record-repayment').click();
    await page.getByTestId('field-amount').fill('50000');
    await page.getByTestId('field-reference').fill('PAY-UI-1');
    await page.getByTestId('submit-action').click();
    await page.getByText('Repayment recorded').waitFor();
    await gateway.gateway.collateralSettled();
    // 600000 / 900000 = 0.666666: below the line again; the drawer follows the events.
    await drawer.getByTestId('loan-figures').getByText('below the warning line').waitFor();
    expect(await drawer.getByTestId('loan-calls').innerText()).to.include('Cured');
    const reply = await gateway.request('lender.officer', 'GET', `/v1/margin-calls?loanReference=${loanReference}`);
    expect(z.object({ data: z.array(z.object({ status: z.string() })) }).parse(reply.body).data.map((call) => call.status)).to.deep.equal(['CURED']);
  });

  it("a loan whose goods have no mark shows as unpriced, and its drawer says which commodity lacks one", async () => {
    const { page } = suite();
    await page.keyboard.press('Escape');
    await page.getByTestId('loan-drawer').waitFor({ state: 'hidden' });
    const row = page.getByTestId('loans').getByRole('row').filter({ hasText: unpricedLoan });
    expect(await row.innerText()).to.include('unpriced');
    await page.getByTestId(`loan-${unpricedLoan}`).click();
    const problems = page.getByTestId('loan-problems');
    await problems.waitFor();
    expect(await problems.innerText()).to.include('This loan cannot be valued').and.include(unmarked).and.include('NO_MARK');
    // The loan's state, not a refusal of the page's request.
    expect(await page.getByTestId('loan-drawer').getByTestId('problem').count()).to.equal(0);
    await page.keyboard.press('Escape');
    await page.getByTestId('loan-drawer').waitFor({ state: 'hidden' });
  });

  it('the dashboard shows the value under pledge and the loans by LTV band, in Chinese too', async () => {
    const { page } = suite();
    await page.keyboard.press('Escape');
    await page.getByRole('menuitem', { name: 'Dashboard' }).click();
    const portfolio = page.getByTestId('portfolio');
    await portfolio.getByTestId('portfolio-CNY').waitFor();
    expect(await portfolio.innerText()).to.include('Value under pledge (CNY)').and.include('900,000');
    await portfolio.getByTestId('bands-chart').locator('canvas').waitFor();
    await page.getByTestId('language').click();
    await portfolio.getByText('质押中押品价值（CNY）').waitFor();
    await page.getByRole('menuitem', { name: '贷款' }).click();
    await page.getByRole('heading', { name: '贷款组合' }).waitFor();
    expect(await page.getByTestId('loans').innerText()).to.include('低于警戒线');
    await page.getByTestId('language').click();
  });

  it('the oracle records a mark by hand, and a refused feed shows each bad row with nothing recorded', async () => {
    const { page, gateway } = suite();
    await openSignIn(suite(), 'custodian.oracle');
    await page.getByTestId('demo-custodian.oracle').click();
    await page.getByRole('heading', { name: 'Price marks' }).waitFor();
    await page.getByTestId('record-mark').click();
    const fresh = `${commodity}-hand`;
    await page.getByTestId('field-commodity').fill(fresh);
    await page.getByTestId('field-price').fill('70125.5');
    await page.getByTestId('field-source').fill('dealer quote');
    await page.getByTestId('submit-action').click();
    await page.getByText('Mark recorded').waitFor();
    await gateway.gateway.collateralSettled();
    await page.getByTestId('prices').getByText(fresh).waitFor();
    expect(await page.getByTestId('prices').getByRole('row').filter({ hasText: fresh }).innerText()).to.include('70,125.5');

    await page.getByTestId('import-feed').click();
    const asOf = new Date(Date.now() - 60_000).toISOString();
    await page.getByTestId('field-content').fill(`commodity,unit,price,currency,source,asOf\n${fresh},t,70200,CNY,desk,${asOf}\n${fresh},t,-1,CNY,desk,${asOf}\n`);
    await page.getByTestId('submit-action').click();
    const rows = page.getByTestId('problem-rows');
    await rows.waitFor();
    expect(await rows.innerText()).to.include('Row 2').and.include('INVALID_PRICE');
    const history = await gateway.request('lender.auditor', 'GET', `/v1/prices/${fresh}`);
    expect(z.object({ data: z.object({ items: z.array(z.unknown()) }) }).parse(history.body).data.items, 'nothing of the refused feed was recorded').to.have.length(1);
    // The oracle sees prices only.
    expect(await page.getByRole('menuitem').allInnerTexts()).to.deep.equal(['Prices']);
  });
});
