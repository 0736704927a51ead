import { expect } from 'chai';
import { TestDevice } from '../evidence/devices.js';
import { openSignIn, screenshotDir, useConsole } from './browser.js';

describe("the console in a real browser: the warehouse's devices and a chart of their readings", function () {
  this.timeout(120_000);
  const suite = useConsole('en-GB');
  const device = new TestDevice('TEMP-UI-CHART-1', 'Ed25519');
  const readings = 120;

  before(async () => {
    const { gateway } = suite();
    expect((await gateway.request('custodian.supervisor', 'POST', '/v1/devices', { body: device.registration('WH-UI-CHART') })).status).to.equal(201);
    // A reading every 30 s over the last hour, with one spike.
    const now = Date.now();
    const items = Array.from({ length: readings }, (_, index) =>
      device.item(index + 1, { ts: new Date(now - (readings - index) * 30_000).toISOString(), readings: [{ kind: 'temperature', value: index === 60 ? 12.5 : 4 + (index % 5) / 10 }] }),
    );
    const reply = await gateway.request('custodian.device-gateway', 'POST', '/v1/evidence', { body: { items } });
    expect(reply.status, reply.text).to.equal(200);
  });
  afterEach(() => {
    expect(suite().errors, 'errors the page reported').to.deep.equal([]);
  });

  it('lists the devices, and charts one device’s readings from the server’s slots, the spike kept as a slot maximum', async () => {
    const { page } = suite();
    await openSignIn(suite(), 'custodian.auditor');
    await page.getByTestId('demo-custodian.auditor').click();
    await page.getByRole('menuitem', { name: 'Devices' }).click();
    const series = page.waitForResponse((response) => response.url().includes(`/v1/devices/${device.id}/series`));
    await page.getByTestId(`device-${device.id}`).click();
    const reply = (await (await series).json()) as { data: { buckets: { max: number }[] } };
    const summary = page.getByTestId('series-summary');
    await summary.waitFor();
    expect(Number(await summary.getAttribute('data-count'))).to.equal(readings);
    expect(Number(await summary.getAttribute('data-buckets'))).to.equal(reply.data.buckets.length).and.be.at.most(600);
    expect(Math.max(...reply.data.buckets.map((bucket) => bucket.max))).to.equal(12.5);
    // ECharts drew it on a canvas, loaded lazily as its own chunk.
    await page.getByTestId('series-chart').locator('canvas').waitFor();
    await page.screenshot({ path: `${screenshotDir}devices.en.png`, fullPage: true });
  });

  it('offers the devices page to the warehouse only', async () => {
    const { page } = suite();
    await openSignIn(suite(), 'lender.officer');
    await page.getByTestId('demo-lender.officer').click();
    await page.getByTestId('identity').waitFor();
    expect(await page.getByRole('menuitem', { name: 'Devices' }).count()).to.equal(0);
  });
});
