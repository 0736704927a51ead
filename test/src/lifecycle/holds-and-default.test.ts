import { encumbrance } from '@wr/chaincode';
import { expect } from 'chai';
import { codeOf, expectSubmitRefused, lender, startFixture, type Fixture } from './fixture.js';

describe('freezes by the lender and the custodian', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    await f.close();
  });

  it('are independent holds: lifting one leaves the receipt frozen by the other', async () => {
    const receiptId = await f.pledged('50');
    await f.world.submit(f.cast.officer, 'Freeze', receiptId, 'margin call', 'MC-7');
    await f.world.submit(f.cast.supervisor, 'Freeze', receiptId, 'humidity alarm', 'INS-3');
    const held = await f.receipt(receiptId);
    expect(held.freezes.map((hold) => [hold.org, hold.by, hold.reference])).to.deep.equal([
      [lender, 'wang', 'MC-7'],
      ['CustodianMSP', 'li', 'INS-3'],
    ]);

    await f.world.submit(f.cast.officer, 'Unfreeze', receiptId, 'margin restored');
    expect((await f.receipt(receiptId)).freezes.map((hold) => hold.org)).to.deep.equal(['CustodianMSP']);
    await expectSubmitRefused(f, 'FROZEN', f.cast.officer, 'ReleasePledge', receiptId, '50');

    await f.world.submit(f.cast.supervisor, 'Unfreeze', receiptId, 'humidity back to normal');
    expect((await f.receipt(receiptId)).frozen).to.equal(false);
    await f.world.submit(f.cast.officer, 'ReleasePledge', receiptId, '50');
    expect((await f.receipt(receiptId)).status).to.equal('ISSUED');
  });

  it('neither organisation can lift the other\'s hold, nor hold twice', async () => {
    const receiptId = await f.pledged('50');
    await f.world.submit(f.cast.officer, 'Freeze', receiptId, 'margin call', 'MC-8');
    await expectSubmitRefused(f, 'INVALID_STATE', f.cast.supervisor, 'Unfreeze', receiptId, 'not ours');
    await expectSubmitRefused(f, 'INVALID_STATE', f.cast.approver, 'Freeze', receiptId, 'again', 'MC-9');
    await f.world.submit(f.cast.approver, 'Unfreeze', receiptId, 'an approver of the same bank may lift it');
    expect((await f.receipt(receiptId)).frozen).to.equal(false);
  });

  it('a lender can hold only receipts pledged or offered to it', async () => {
    const issued = await f.issued('5');
    await expectSubmitRefused(f, 'NOT_FOUND', f.cast.officer, 'Freeze', issued, 'x', 'y');
    const offered = await f.pledgeRequested('5');
    await f.world.submit(f.cast.officer, 'Freeze', offered, 'checking title', 'KYC-1');
    expect((await f.receipt(offered)).frozen).to.equal(true);
  });

  it('the custodian can hold a receipt in any live state, even a draft', async () => {
    const draft = await f.inState('DRAFT');
    await f.world.submit(f.cast.supervisor, 'Freeze', draft, 'weighbridge ticket missing', 'WB-1');
    await expectSubmitRefused(f, 'FROZEN', f.cast.supervisor, 'ConfirmReceipt', draft);
  });

  it('GetEncumbrance shows the bank every hold with who placed it and why', async () => {
    const receiptId = await f.pledged('50');
    await f.world.submit(f.cast.supervisor, 'Freeze', receiptId, 'humidity alarm', 'INS-4');
    const view = encumbrance.parse(await f.world.evaluate(f.cast.officer, 'GetEncumbrance', receiptId));
    expect(view).to.deep.include({ receiptId, status: 'PLEDGED', frozen: true, quantity: '50', unit: 't' });
    expect(view.freezes[0]).to.deep.include({ org: 'CustodianMSP', by: 'li', reason: 'humidity alarm', reference: 'INS-4' });
    expect(view.freezes[0]?.riskEventId).to.equal(null);
    expect(view.pledge).to.deep.include({ lender, status: 'ACTIVE' });
  });
});

describe('default and disposal', () => {
  let f: Fixture;
  let receiptId: string;
  before(async () => {
    f = await startFixture();
    receiptId = await f.pledged('75');
  });
  after(async () => {
    await f.close();
  });

  it('a declared default hands the collateral to the lender: the owner can no longer move it', async () => {
    await f.world.submit(f.cast.approver, 'DeclareDefault', receiptId, 'loan 90 days overdue');
    const defaulted = await f.receipt(receiptId);
    expect(defaulted.status).to.equal('DEFAULTED');
    expect(defaulted.pledge).to.deep.include({ status: 'DEFAULTED', lender });
    expect(defaulted.pledge?.defaultedAt).to.be.a('string');
    await expectSubmitRefused(f, 'INVALID_STATE', f.cast.alice, 'RequestWithdrawal', receiptId);
    await expectSubmitRefused(f, 'INVALID_STATE', f.cast.alice, 'TransferOwnership', receiptId, 'bob');
    await expectSubmitRefused(f, 'INVALID_STATE', f.cast.officer, 'ReleasePledge', receiptId, '75');
    await expectSubmitRefused(f, 'INVALID_STATE', f.cast.officer, 'Freeze', receiptId, 'x', 'y');
  });

  it('disposal to the current owner is refused', async () => {
    await expectSubmitRefused(f, 'INVALID_ARGUMENT', f.cast.approver, 'Dispose', receiptId, 'alice');
  });

  it('disposal to a buyer leaves the buyer owning an unencumbered receipt, and the lender and old owner out of sight', async () => {
    await f.world.submit(f.cast.approver, 'Dispose', receiptId, 'carol');
    const sold = await f.receipt(receiptId);
    expect(sold).to.deep.include({ status: 'ISSUED', owner: { mspId: 'BorrowerMSP', id: 'carol' }, pledge: null, pendingRelease: null });
    expect(await codeOf(f.world.evaluate(f.cast.officer, 'GetReceipt', receiptId))).to.equal('NOT_FOUND');
    expect(await codeOf(f.world.evaluate(f.cast.alice, 'GetReceipt', receiptId))).to.equal('NOT_FOUND');
    const carol = await f.world.identity('BorrowerMSP', 'carol', 'owner');
    await f.world.submit(carol, 'RequestWithdrawal', receiptId);
    expect((await f.receipt(receiptId)).status).to.equal('WITHDRAWAL_REQUESTED');
    expect((await f.lot(sold.lotId)).receiptedQuantity, 'the goods are still receipted once').to.equal('75');
  });
});
