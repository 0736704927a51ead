import { expect } from 'chai';
import { TestDevice } from '../evidence/devices.js';
import { openSignIn, screenshotDir, useConsole } from './browser.js';

describe('the console in a real browser: the dashboard, kept up to date by the event stream', function () {
  this.timeout(120_000);
  const suite = useConsole('en-GB');
  const suffix = Date.now().toString(36);
  const lotId = `LOT-DASH-${suffix}`;

  /** A receipt of `quantity` on the lot, pledged to the bank, through the API as each party. */
  async function pledge(id: string, quantity: string): Promise<void> {
    const { gateway } = suite();
    const steps: [string, string, unknown][] = [
      ['custodian.clerk', '/v1/receipts', { id, lotId, owner: 'alice', quantity }],
      ['custodian.supervisor', `/v1/receipts/${id}/confirm`, {}],
      ['borrower.alice', `/v1/receipts/${id}/pledge-request`, { lender: 'LenderMSP', loanReference: `LOAN-${id}`, loanAmount: '1000000', currency: 'CNY' }],
      ['lender.officer', `/v1/receipts/${id}/pledge-acceptance`, {}],
    ];
    for (const [who, path, body] of steps) {
      const reply = await gateway.request(who, 'POST', path, { body });
      expect(reply.status, `${path}: ${reply.text}`).to.be.oneOf([200, 201]);
    }
  }

  before(async function () {
    this.timeout(120_000);
    const { gateway } = suite();
    const lot = { id: lotId, warehouseId: 'WH-DASH-01', location: 'Hall 2', commodity: 'copper cathode', unit: 't', quantity: '5000' };
    expect((await gateway.request('custodian.clerk', 'POST', '/v1/lots', { body: lot })).status).to.equal(201);
    await pledge(`WR-DASH-${suffix}-1`, '1200.5');
    const device = new TestDevice(`TEMP-DASH-UI-${suffix}`, 'Ed25519');
    expect((await gateway.request('custodian.supervisor', 'POST', '/v1/devices', { body: device.registration('WH-DASH-01') })).status).to.equal(201);
    expect((await gateway.request('custodian.device-gateway', 'POST', '/v1/evidence', { body: { items: [device.item(1)] } })).status).to.equal(200);
    await gateway.gateway.anchoringSettled();
    await gateway.gateway.projectionCaughtUp();
  });
  afterEach(() => {
    expect(suite().errors, 'errors the page reported').to.deep.equal([]);
  });

  it("shows the lender the quantity under pledge, exactly, and how fresh the anchoring is; a new pledge appears without a reload", async () => {
    const { page } = suite();
    await openSignIn(suite(), 'lender.officer');
    await page.getByTestId('demo-lender.officer').click();
    await page.getByRole('menuitem', { name: 'Dashboard' }).click();
    const table = page.getByTestId('pledged-table');
    await table.getByText('1,200.5 t').waitFor();
    expect(await table.innerText()).to.include('copper cathode').and.include('WH-DASH-01').and.include('Pledged');
    await page.getByTestId('pledged-chart').locator('canvas').waitFor();
    expect(await page.getByTestId('leaves-waiting').innerText()).to.include('0');
    expect(await page.getByTestId('anchoring').innerText()).to.match(/#\d+/);
    await page.screenshot({ path: `${screenshotDir}dashboard.en.png`, fullPage: true });
    // Another pledge, made elsewhere: the page hears receipt.pledge-accepted and reads the figures again.
    await pledge(`WR-DASH-${suffix}-2`, '800');
    await table.getByText('2,000.5 t').waitFor({ timeout: 20_000 });
  });
});
