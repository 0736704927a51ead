import { expect } from 'chai';
import { z } from 'zod';
import { TestDevice } from '../evidence/devices.js';
import { openSignIn, screenshotDir, useConsole } from './browser.js';

describe('the console in a real browser: work orders, and evidence from lookup to bundle to verification', function () {
  this.timeout(120_000);
  const suite = useConsole('en-GB');
  let evidenceId = '';
  let orderId = '';

  before(async function () {
    this.timeout(120_000);
    const { gateway } = suite();
    const order = await gateway.request('custodian.clerk', 'POST', '/v1/work-orders', { body: { title: 'Re-stack bay 12: pallets leaning', priority: 'P3', warehouseId: 'WH-UI-SUP', location: 'Shed 3, bay 12' } });
    expect(order.status, order.text).to.equal(201);
    orderId = z.object({ data: z.object({ id: z.string() }) }).parse(order.body).data.id;
    const lot = { id: 'LOT-UI-COUNT-1', warehouseId: 'WH-UI-SUP', location: 'Shed 3', commodity: 'soybean', unit: 't', quantity: '300' };
    expect((await gateway.request('custodian.clerk', 'POST', '/v1/lots', { body: lot })).status).to.equal(201);
    const device = new TestDevice('TEMP-UI-EVIDENCE-1', 'Ed25519');
    expect((await gateway.request('custodian.supervisor', 'POST', '/v1/devices', { body: device.registration('WH-UI-SUP') })).status).to.equal(201);
    const reply = await gateway.request('custodian.device-gateway', 'POST', '/v1/evidence', { body: { items: [device.item(1), device.item(2)] } });
    evidenceId = z.object({ data: z.object({ items: z.array(z.object({ id: z.string() })) }) }).parse(reply.body).data.items[0]?.id ?? '';
    await gateway.gateway.anchoringSettled();
    // A warning rule on the warehouse, and a reading above it: one active alarm.
    const rule = { id: 'ui-warm-WH-UI-SUP', scope: { warehouseId: 'WH-UI-SUP' }, kind: 'threshold', metric: 'temperature', severity: 'warning', raise: { op: 'gt', value: 8 }, clear: { op: 'lte', value: 4 } };
    const created = await gateway.request('custodian.supervisor', 'POST', '/v1/rules', { body: rule });
    expect(created.status, created.text).to.equal(201);
    expect((await gateway.request('custodian.device-gateway', 'POST', '/v1/evidence', { body: { items: [device.item(3, { readings: [{ kind: 'temperature', value: 12 }] })] } })).status).to.equal(200);
    await gateway.gateway.supervisionSettled();
  });
  afterEach(() => {
    expect(suite().errors, 'errors the page reported').to.deep.equal([]);
  });

  it("lists the warehouse's work orders with their SLA as the server keeps it", async () => {
    const { page } = suite();
    await openSignIn(suite(), 'custodian.supervisor');
    await page.getByTestId('demo-custodian.supervisor').click();
    await page.getByRole('menuitem', { name: 'Work orders' }).click();
    const table = page.getByTestId('work-orders');
    await table.getByText('Re-stack bay 12: pallets leaning').waitFor();
    expect(await table.innerText()).to.include('P3').and.include('OPEN').and.include('On track');
    await page.screenshot({ path: `${screenshotDir}work-orders.en.png`, fullPage: true });
  });

  /** Runs a work-order transition from its row, filling the note (and assignee), and waits for the new state. */
  async function transition(name: string, fields: Readonly<Record<string, string>>, state: string): Promise<void> {
    const { page, gateway } = suite();
    await page.getByTestId(`wo-${orderId}-${name}`).click();
    for (const [field, value] of Object.entries(fields)) await page.getByTestId(`field-${field}`).fill(value);
    await page.getByTestId('submit-action').click();
    await page.getByText(`${orderId} is now ${state}`).waitFor();
    const reply = await gateway.request('custodian.auditor', 'GET', `/v1/work-orders/${orderId}`);
    expect((reply.body as { data: { state: string } }).data.state).to.equal(state);
  }

  it('takes a work order through its life, each step offered only to whom the table allows: assign, start, resolve, close', async () => {
    const { page } = suite();
    expect(await page.getByTestId(`wo-${orderId}-resolution`).count(), 'resolve before it is started').to.equal(0);
    await transition('assignment', { assignee: 'custodian.clerk', note: 'before noon' }, 'ASSIGNED');
    await openSignIn(suite(), 'custodian.clerk');
    await page.getByTestId('demo-custodian.clerk').click();
    await page.getByRole('menuitem', { name: 'Work orders' }).click();
    expect(await page.getByTestId(`wo-${orderId}-assignment`).count(), 'assigning is the supervisor’s').to.equal(0);
    await transition('start', {}, 'IN_PROGRESS');
    await transition('resolution', { note: 'pallets re-stacked' }, 'RESOLVED');
    expect(await page.getByTestId(`wo-${orderId}-closure`).count(), 'closing is the supervisor’s').to.equal(0);
    await openSignIn(suite(), 'custodian.supervisor');
    await page.getByTestId('demo-custodian.supervisor').click();
    await page.getByRole('menuitem', { name: 'Work orders' }).click();
    await transition('closure', { note: 'checked' }, 'CLOSED');
  });

  it('the supervisor records a stock count from the lots page, and the ledger has it (registering lots stays the clerk’s)', async () => {
    const { page, gateway } = suite();
    await page.getByRole('menuitem', { name: 'Lots' }).click();
    for (const [name, value] of Object.entries({ lotId: 'LOT-UI-COUNT-1', quantity: '298.5', reference: 'count by inspector Liu' })) await page.getByTestId(`count-${name}`).fill(value);
    await page.getByTestId('count-submit').click();
    await page.getByText('Record stock count: done').waitFor();
    expect(await page.getByTestId('lot').count(), 'registering lots is the clerk’s').to.equal(0);
    const lot = (await gateway.request('custodian.auditor', 'GET', '/v1/lots/LOT-UI-COUNT-1')).body as { data: { lastCount: { quantity: string; countedBy: string } | null } };
    expect(lot.data.lastCount).to.deep.include({ quantity: '298.5', countedBy: 'supervisor' });
  });

  it("the custodian's auditor looks evidence up, and the verification page it opens checks the bundle in the browser: VALID", async () => {
    const { page } = suite();
    await openSignIn(suite(), 'custodian.auditor');
    await page.getByTestId('demo-custodian.auditor').click();
    await page.getByRole('menuitem', { name: 'Evidence' }).click();
    await page.getByTestId('evidence-id').fill(evidenceId);
    await page.getByTestId('evidence-find').click();
    await page.getByTestId('evidence').getByText(evidenceId).waitFor();
    const [verifier] = await Promise.all([page.context().waitForEvent('page'), page.getByTestId('bundle-verify').click()]);
    await verifier.getByTestId('bundle').waitFor();
    expect(await verifier.getByTestId('bundle').inputValue()).to.include(evidenceId);
    await verifier.getByTestId('verify').click();
    expect(await verifier.getByTestId('verdict').getAttribute('data-verdict')).to.equal('VALID');
    // Handed over once: the page left nothing behind.
    expect(await verifier.evaluate(() => (globalThis as unknown as { localStorage: { getItem(key: string): string | null } }).localStorage.getItem('wr.verify.bundle'))).to.equal(null);
    await verifier.close();
  });

  it('an unknown evidence id is refused with its code, in the page', async () => {
    const { page } = suite();
    await page.getByTestId('evidence-id').fill('ev_NO_SUCH_EVIDENCE');
    await page.getByTestId('evidence-find').click();
    expect(await page.getByTestId('problem').getAttribute('data-code')).to.equal('EVIDENCE_NOT_FOUND');
  });

  it('the supervisor acknowledges the alarm and shelves it for two hours, from its row', async () => {
    const { page, gateway } = suite();
    await openSignIn(suite(), 'custodian.supervisor');
    await page.getByTestId('demo-custodian.supervisor').click();
    await page.getByRole('menuitem', { name: 'Alarms' }).click();
    const list = z.object({ data: z.array(z.object({ id: z.string(), acknowledged: z.object({ by: z.string() }).nullable(), shelved: z.object({ until: z.string() }).nullable() })) });
    const read = async () => list.parse((await gateway.request('custodian.auditor', 'GET', '/v1/alarms')).body).data;
    const [alarm] = await read();
    if (alarm === undefined) throw new Error('no alarm was raised');
    await page.getByTestId(`acknowledge-${alarm.id}`).click();
    await page.getByTestId('field-note').fill('door closed');
    await page.getByTestId('submit-action').click();
    await page.getByTestId(`acknowledge-${alarm.id}`).waitFor({ state: 'detached' });
    await page.getByTestId(`shelve-${alarm.id}`).click();
    await page.getByTestId('field-hours').fill('25');
    await page.getByTestId('submit-action').click();
    await page.getByText('A whole number of hours from 1 to 24').waitFor();
    await page.getByTestId('field-hours').fill('2');
    await page.getByTestId('field-reason').fill('probe being recalibrated');
    await page.getByTestId('submit-action').click();
    await page.getByTestId(`shelve-${alarm.id}`).waitFor({ state: 'detached' });
    const [after] = await read();
    expect(after?.acknowledged?.by).to.equal('custodian.supervisor');
    const hours = (new Date(after?.shelved?.until ?? 0).getTime() - Date.now()) / 3_600_000;
    expect(hours).to.be.within(1.9, 2.01);
  });

  it("offers alarms and work orders to a lender, and evidence to the warehouse only", async () => {
    const { page } = suite();
    await openSignIn(suite(), 'lender.officer');
    await page.getByTestId('demo-lender.officer').click();
    await page.getByRole('menuitem', { name: 'Alarms' }).click();
    await page.getByTestId('alarms').waitFor();
    expect(await page.getByRole('menuitem', { name: 'Evidence' }).count()).to.equal(0);
  });
});
