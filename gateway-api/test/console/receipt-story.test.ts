import { expect } from 'chai';
import { openSignIn, screenshotDir, useConsole } from './browser.js';

describe('the console in a real browser: the whole receipt story, each step as the identity whose step it is', function () {
  this.timeout(120_000);
  const suite = useConsole('en-GB');
  const suffix = Date.now().toString(36);
  const lotId = `LOT-UI-${suffix}`;
  const receiptId = `WR-UI-${suffix}`;
  // Read in each test, once the suite's before hook has started them.
  let gateway: ReturnType<typeof suite>['gateway'];
  let page: ReturnType<typeof suite>['page'];
  beforeEach(() => {
    ({ gateway, page } = suite());
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') console.log(`      the page showed: ${(await page.locator('body').innerText()).slice(0, 2000)}`);
    if (this.currentTest?.state === 'failed') await page.screenshot({ path: `${screenshotDir}failed-${this.currentTest.title.slice(0, 40).replace(/\W+/g, '-')}.png`, fullPage: true });
    expect(suite().errors, 'errors the page reported').to.deep.equal([]);
  });

  /** Signs in as a demo identity from the sign-in page's list. */
  async function signInAs(id: string): Promise<void> {
    await openSignIn(suite(), id);
    await page.getByTestId(`demo-${id}`).click();
    await page.getByTestId('identity').filter({ hasText: id }).waitFor();
  }

  async function apiReceipt(who: string, id: string): Promise<{ status: string; quantity: string; children: string[] }> {
    const reply = await gateway.request(who, 'GET', `/v1/receipts/${id}`);
    expect(reply.status, reply.text).to.equal(200);
    return (reply.body as { data: { status: string; quantity: string; children: string[] } }).data;
  }

  /** Opens a receipt's drawer from the receipts table. */
  async function openReceipt(id: string): Promise<void> {
    await page.getByTestId(`open-${id}`).click();
    await page.getByTestId('receipt-detail').waitFor();
  }

  /**
   * Runs an action from the open receipt's drawer, filling its form, and waits for the receipt to show `status`, or
   * with `status` null for the console to say the receipt is no longer the caller's to see.
   */
  async function act(tx: string, fields: Readonly<Record<string, string>>, status: string | null): Promise<void> {
    await page.getByTestId(`action-${tx}`).click();
    for (const [name, value] of Object.entries(fields)) await page.getByTestId(`field-${name}`).fill(value);
    await page.getByTestId('submit-action').click();
    const done = status === null ? page.getByText('is no longer visible to you') : page.locator(`[data-testid="receipt-detail"][data-status="${status}"]`);
    const problem = page.getByTestId('problem');
    // Whichever comes first: the outcome, or a refusal (whose text then says what went wrong).
    const outcome = await Promise.race([
      done.waitFor().then(() => 'done', (error: unknown) => `no outcome: ${String(error)}`),
      problem.waitFor().then(async () => `refused: ${await problem.innerText()}`, () => 'no refusal either'),
    ]);
    expect(outcome, tx).to.equal('done');
  }

  it('the clerk registers a lot and drafts a receipt on it, from the lots page', async () => {
    await signInAs('custodian.clerk');
    await page.getByRole('menuitem', { name: 'Lots' }).click();
    const lot = { id: lotId, warehouseId: 'WH-UI-01', location: 'Hall 3, row 12', commodity: 'aluminium ingot A00', unit: 't', quantity: '1000' };
    for (const [name, value] of Object.entries(lot)) await page.getByTestId(`lot-${name}`).fill(value);
    await page.getByTestId('lot-submit').click();
    await page.getByText(`Lot ${lotId} registered`).waitFor();
    const draft = { id: receiptId, lotId, owner: 'alice', quantity: '500' };
    for (const [name, value] of Object.entries(draft)) await page.getByTestId(`draft-${name}`).fill(value);
    await page.getByTestId('draft-submit').click();
    await page.getByText('Draft receipt: done').waitFor();
    expect((await apiReceipt('custodian.clerk', receiptId)).status).to.equal('DRAFT');
    await page.screenshot({ path: `${screenshotDir}lots.en.png`, fullPage: true });
  });

  it('shows a refusal with its code: the clerk drafting more than the lot holds gets OVER_ISSUE, and nothing is written', async () => {
    const draft = { id: `${receiptId}-X`, lotId, owner: 'alice', quantity: '600' };
    for (const [name, value] of Object.entries(draft)) await page.getByTestId(`draft-${name}`).fill(value);
    await page.getByTestId('draft-submit').click();
    const problem = page.getByTestId('problem');
    await problem.waitFor();
    expect(await problem.getAttribute('data-code')).to.equal('OVER_ISSUE');
    expect(await problem.innerText()).to.include('OVER_ISSUE').and.include('More than the lot holds');
    expect((await gateway.request('custodian.clerk', 'GET', `/v1/receipts/${receiptId}-X`)).status).to.equal(404);
  });

  it('the supervisor confirms the draft (the clerk who drafted it is offered no Confirm: it is a supervisor step)', async () => {
    await page.getByRole('menuitem', { name: 'Receipts' }).click();
    await openReceipt(receiptId);
    expect(await page.getByTestId('action-ConfirmReceipt').count(), 'Confirm for the clerk').to.equal(0);
    await signInAs('custodian.supervisor');
    await openReceipt(receiptId);
    await act('ConfirmReceipt', {}, 'ISSUED');
    expect((await apiReceipt('custodian.supervisor', receiptId)).status).to.equal('ISSUED');
  });

  it('the owner requests a pledge to the bank', async () => {
    await signInAs('borrower.alice');
    await openReceipt(receiptId);
    await act('RequestPledge', { loanReference: `LOAN-${suffix}`, loanAmount: '2000000' }, 'PLEDGE_REQUESTED');
    expect((await apiReceipt('borrower.alice', receiptId)).status).to.equal('PLEDGE_REQUESTED');
  });

  it('the credit officer accepts it', async () => {
    await signInAs('lender.officer');
    await openReceipt(receiptId);
    await act('AcceptPledge', {}, 'PLEDGED');
    expect((await apiReceipt('lender.officer', receiptId)).status).to.equal('PLEDGED');
    // The encumbrance check, as the bank makes it before lending: the ledger's answer names its own pledge.
    await page.getByTestId('encumbrance-check').click();
    const encumbrance = page.getByTestId('encumbrance');
    await encumbrance.waitFor();
    expect(await encumbrance.getAttribute('data-encumbered')).to.equal('true');
    expect(await encumbrance.innerText()).to.include(`LenderMSP · LOAN-${suffix}`);
    await page.screenshot({ path: `${screenshotDir}receipt.en.png`, fullPage: true });
  });

  it('an auditor sees the receipt and no action buttons', async () => {
    await signInAs('custodian.auditor');
    await openReceipt(receiptId);
    await page.getByTestId('no-actions').waitFor();
    expect(await page.locator('[data-testid^="action-"]').count()).to.equal(0);
  });

  let released = '';
  it('the officer releases part of the pledge: the receipt splits into a released part and a part still pledged', async () => {
    await signInAs('lender.officer');
    await openReceipt(receiptId);
    // The split parent is the custodian's and the owner's to see, no longer the lender's: the drawer closes.
    await act('ReleasePledge', { quantity: '200' }, null);
    expect((await gateway.request('lender.officer', 'GET', `/v1/receipts/${receiptId}`)).status).to.equal(404);
    const parent = await apiReceipt('borrower.alice', receiptId);
    expect(parent.status).to.equal('SPLIT');
    const [first = '', second = ''] = parent.children;
    const parts = [await apiReceipt('borrower.alice', first), await apiReceipt('borrower.alice', second)];
    expect(parts.map((part) => [part.status, part.quantity])).to.deep.equal([
      ['ISSUED', '200'],
      ['PLEDGED', '300'],
    ]);
    released = first;
  });

  it('the owner asks to withdraw the released part', async () => {
    await signInAs('borrower.alice');
    await openReceipt(released);
    await act('RequestWithdrawal', {}, 'WITHDRAWAL_REQUESTED');
    expect((await apiReceipt('borrower.alice', released)).status).to.equal('WITHDRAWAL_REQUESTED');
  });

  it('the supervisor confirms its delivery', async () => {
    await signInAs('custodian.supervisor');
    await openReceipt(released);
    await act('ConfirmDelivery', {}, 'DELIVERED');
    expect((await apiReceipt('custodian.supervisor', released)).status).to.equal('DELIVERED');
    await page.screenshot({ path: `${screenshotDir}receipts.en.png`, fullPage: true });
  });
});
