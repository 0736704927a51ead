import { encumbrance, riskEventRecord } from '@wr/chaincode';
import { expect } from 'chai';
import {
  codeOf,
  expectRefusedUnchanged,
  expectSubmitRefused,
  lotJson,
  pledgeRequest,
  refusal,
  startFixture,
  type Fixture,
} from './fixture.js';

const draftJson = (id: string, lotId: string, quantity: string): string =>
  JSON.stringify({ id, lotId, owner: 'alice', quantity });

describe('the lot invariant: live receipts never exceed the measured quantity', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    await f.close();
  });


  it('drafts up to the measured quantity pass; one millionth more is OVER_ISSUE and writes nothing', async () => {
    const lotId = await f.registerLot('100');
    await f.draft(lotId, '60.5');
    await f.draft(lotId, '39.5');
    expect((await f.lot(lotId)).receiptedQuantity).to.equal('100');
    const lotBefore = await f.lot(lotId);
    const error = await refusal(f.world.submit(f.cast.clerk, 'DraftReceipt', draftJson('EXTRA-1', lotId, '0.000001')));
    expect(error.code).to.equal('OVER_ISSUE');
    expect(await f.lot(lotId)).to.deep.equal(lotBefore);
    expect(await codeOf(f.world.evaluate(f.cast.supervisor, 'GetReceipt', 'EXTRA-1'))).to.equal('NOT_FOUND');
  });

  it('a single draft larger than the lot is OVER_ISSUE', async () => {
    const lotId = await f.registerLot('10');
    expect(await codeOf(f.world.submit(f.cast.clerk, 'DraftReceipt', draftJson('BIG-1', lotId, '10.000001')))).to.equal('OVER_ISSUE');
    expect((await f.lot(lotId)).receiptedQuantity).to.equal('0');
  });

  it('issued, pledged and withdrawal-requested receipts all keep counting against the lot', async () => {
    const lotId = await f.registerLot('90');
    const issued = await f.draft(lotId, '30');
    const pledged = await f.draft(lotId, '30');
    const leaving = await f.draft(lotId, '30');
    for (const id of [issued, pledged, leaving]) await f.world.submit(f.cast.supervisor, 'ConfirmReceipt', id);
    await f.world.submit(f.cast.alice, 'RequestPledge', pledged, pledgeRequest());
    await f.world.submit(f.cast.officer, 'AcceptPledge', pledged, '{}');
    await f.world.submit(f.cast.alice, 'RequestWithdrawal', leaving);
    expect(await codeOf(f.world.submit(f.cast.clerk, 'DraftReceipt', draftJson('ONE-MORE', lotId, '1')))).to.equal('OVER_ISSUE');
  });

  it('cancelling a draft gives its quantity back to the lot', async () => {
    const lotId = await f.registerLot('100');
    const draft = await f.draft(lotId, '70');
    expect(await codeOf(f.world.submit(f.cast.clerk, 'DraftReceipt', draftJson('AGAIN-1', lotId, '100')))).to.equal('OVER_ISSUE');
    await f.world.submit(f.cast.clerk, 'CancelDraft', draft, 'wrong owner named');
    expect((await f.lot(lotId)).receiptedQuantity).to.equal('0');
    await f.world.submit(f.cast.clerk, 'DraftReceipt', draftJson('AGAIN-1', lotId, '100'));
    expect((await f.lot(lotId)).receiptedQuantity).to.equal('100');
  });

  it('delivered goods leave the lot: measured and receipted quantities both drop, and nothing is freed for new receipts', async () => {
    const lotId = await f.registerLot('100');
    const leaving = await f.issued('60.25', lotId);
    await f.issued('39.75', lotId);
    await f.world.submit(f.cast.alice, 'RequestWithdrawal', leaving);
    await f.world.submit(f.cast.supervisor, 'ConfirmDelivery', leaving);
    expect(await f.lot(lotId)).to.include({ quantity: '39.75', receiptedQuantity: '39.75' });
    expect(await codeOf(f.world.submit(f.cast.clerk, 'DraftReceipt', draftJson('AFTER-1', lotId, '0.000001')))).to.equal('OVER_ISSUE');
  });

  it('a receipt id that is taken is ALREADY_EXISTS and the lot count does not move', async () => {
    const lotId = await f.registerLot('100');
    const existing = await f.draft(lotId, '10');
    await expectRefusedUnchanged(f, existing, 'ALREADY_EXISTS', () =>
      f.world.submit(f.cast.clerk, 'DraftReceipt', draftJson(existing, lotId, '10')),
    );
  });

  it('a lot id that is taken is ALREADY_EXISTS; a lot of zero is INVALID_ARGUMENT', async () => {
    const lotId = await f.registerLot('5');
    expect(await codeOf(f.world.submit(f.cast.clerk, 'RegisterLot', lotJson(lotId, '7')))).to.equal('ALREADY_EXISTS');
    expect((await f.lot(lotId)).quantity).to.equal('5');
    expect(await codeOf(f.world.submit(f.cast.clerk, 'RegisterLot', lotJson('ZERO-1', '0')))).to.equal('INVALID_ARGUMENT');
  });
});

describe('a stock count that finds less than is receipted', () => {
  let f: Fixture;
  let lotId: string;
  let issued: string;
  let pledged: string;
  let drafted: string;
  let cancelled: string;
  let riskEventId: string;

  before(async () => {
    f = await startFixture();
    lotId = await f.registerLot('100');
    issued = await f.issued('50', lotId);
    pledged = await f.issued('30', lotId);
    await f.world.submit(f.cast.alice, 'RequestPledge', pledged, pledgeRequest());
    await f.world.submit(f.cast.officer, 'AcceptPledge', pledged, '{}');
    drafted = await f.draft(lotId, '10');
    cancelled = await f.draft(lotId, '10');
    await f.world.submit(f.cast.clerk, 'CancelDraft', cancelled, 'duplicate');
  });
  after(async () => {
    await f.close();
  });

  it('records the shortfall on the lot and one critical SHORTFALL risk event named after the transaction', async () => {
    const { txId } = await f.world.ledger.submit(f.cast.supervisor, 'RecordStockCount', [lotId, '80', 'COUNT-2024-07']);
    const lot = await f.lot(lotId);
    expect(lot).to.include({ quantity: '80', receiptedQuantity: '90' });
    expect(lot.shortfall).to.deep.include({ measured: '80', receipted: '90', missing: '10', txId });
    expect(lot.lastCount).to.deep.include({ quantity: '80', reference: 'COUNT-2024-07', countedBy: 'li' });
    riskEventId = `shortfall-${lotId}-${txId.slice(0, 12)}`;
    const events = riskEventRecord.array().parse(await f.world.evaluate(f.cast.supervisor, 'ListRiskEvents', issued));
    expect(events).to.have.length(1);
    expect(events[0]).to.deep.include({ id: riskEventId, lotId, receiptId: null, kind: 'SHORTFALL', severity: 'critical', status: 'OPEN' });
  });

  it('freezes every live receipt of the lot with the risk event, and leaves the cancelled one alone', async () => {
    for (const id of [issued, pledged, drafted]) {
      const receipt = await f.receipt(id);
      expect(receipt.frozen, id).to.equal(true);
      expect(receipt.freezes.map((hold) => hold.riskEventId)).to.deep.equal([riskEventId]);
    }
    expect((await f.receipt(cancelled)).freezes).to.deep.equal([]);
  });

  it('shows the bank the open shortfall on its pledged receipt', async () => {
    const view = encumbrance.parse(await f.world.evaluate(f.cast.officer, 'GetEncumbrance', pledged));
    expect(view.frozen).to.equal(true);
    expect(view.openRiskEvents.map((event) => event.id)).to.deep.equal([riskEventId]);
  });

  it('blocks the owner, the lender and new drafts while the shortfall stands', async () => {
    await expectSubmitRefused(f, 'FROZEN', f.cast.alice, 'RequestWithdrawal', issued);
    await expectSubmitRefused(f, 'FROZEN', f.cast.officer, 'ReleasePledge', pledged, '30');
    expect(await codeOf(f.world.submit(f.cast.clerk, 'DraftReceipt', draftJson('NEW-1', lotId, '1')))).to.equal('OVER_ISSUE');
  });

  it('does not let a manual Unfreeze lift a risk hold', async () => {
    await expectSubmitRefused(f, 'INVALID_STATE', f.cast.supervisor, 'Unfreeze', issued, 'looks fine');
  });

  it('resolving the risk event lifts its holds on every receipt; the lot shortfall stays until a full count', async () => {
    await f.world.submit(f.cast.supervisor, 'ResolveRiskEvent', riskEventId, 'missing 10 t found in bay 4');
    for (const id of [issued, pledged, drafted]) expect((await f.receipt(id)).frozen, id).to.equal(false);
    const [event] = riskEventRecord.array().parse(await f.world.evaluate(f.cast.supervisor, 'ListRiskEvents', issued));
    expect(event).to.deep.include({ status: 'RESOLVED', resolvedBy: 'li', resolution: 'missing 10 t found in bay 4' });
    expect((await f.lot(lotId)).shortfall).to.not.equal(null);
    expect(await codeOf(f.world.submit(f.cast.supervisor, 'ResolveRiskEvent', riskEventId, 'again'))).to.equal('INVALID_STATE');
  });

  it('a count that finds enough clears the shortfall and raises nothing', async () => {
    await f.world.submit(f.cast.supervisor, 'RecordStockCount', lotId, '90', 'COUNT-2024-08');
    expect(await f.lot(lotId)).to.include({ quantity: '90', shortfall: null });
    expect(riskEventRecord.array().parse(await f.world.evaluate(f.cast.supervisor, 'ListRiskEvents', issued))).to.have.length(1);
    expect((await f.receipt(issued)).frozen).to.equal(false);
  });

  it("only the custodian's supervisor or device gateway counts stock", async () => {
    for (const who of [f.cast.clerk, f.cast.custodianAuditor, f.cast.officer, f.cast.alice]) {
      expect(await codeOf(f.world.submit(who, 'RecordStockCount', lotId, '1', 'X'))).to.equal('FORBIDDEN');
    }
    expect((await f.lot(lotId)).quantity).to.equal('90');
  });
});

describe("the device gateway's stock reconciliation from load cells", () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    await f.close();
  });

  // What the gateway writes: the alarm and the evidence root of the readings behind it (114 characters).
  const evidence = `alarm:alm_${'5d41402a'.repeat(4)} root:0x${'2c26b46b'.repeat(8)}`;

  it('records a count whose reference names the alarm and its evidence, and raises the shortfall in its name', async () => {
    expect(evidence).to.have.length(114);
    const lotId = await f.registerLot('100');
    const receiptId = await f.issued('90', lotId);
    const { txId } = await f.world.ledger.submit(f.cast.deviceGateway, 'RecordStockCount', [lotId, '85.5', evidence]);
    const lot = await f.lot(lotId);
    expect(lot.lastCount).to.deep.equal({ quantity: '85.5', reference: evidence, countedBy: 'gateway', countedAt: lot.lastCount?.countedAt });
    expect(lot.shortfall).to.deep.include({ measured: '85.5', receipted: '90', missing: '4.5', txId });
    const [event] = riskEventRecord.array().parse(await f.world.evaluate(f.cast.supervisor, 'ListRiskEvents', receiptId));
    expect(event).to.deep.include({ kind: 'SHORTFALL', severity: 'critical', evidenceRef: evidence, recordedBy: 'gateway' });
    const [hold] = (await f.receipt(receiptId)).freezes;
    expect(hold).to.deep.include({ by: 'gateway', reference: evidence, riskEventId: event?.id });
  });

  it('takes a reference of up to 200 characters; one more is INVALID_ARGUMENT and changes nothing', async () => {
    const lotId = await f.registerLot('10');
    const before = await f.lot(lotId);
    expect(await codeOf(f.world.submit(f.cast.deviceGateway, 'RecordStockCount', lotId, '9', `${evidence} ${'x'.repeat(86)}`))).to.equal('INVALID_ARGUMENT');
    expect(await f.lot(lotId)).to.deep.equal(before);
    await f.world.submit(f.cast.deviceGateway, 'RecordStockCount', lotId, '9', `${evidence} ${'x'.repeat(85)}`);
    expect((await f.lot(lotId)).lastCount?.reference).to.have.length(200);
  });

  it("lets a machine count only lower the stock: above the lot's quantity it is FORBIDDEN and changes nothing; a supervisor's count raises it", async () => {
    const lotId = await f.registerLot('10');
    const before = await f.lot(lotId);
    expect(await codeOf(f.world.submit(f.cast.deviceGateway, 'RecordStockCount', lotId, '10.5', evidence))).to.equal('FORBIDDEN');
    expect(await f.lot(lotId)).to.deep.equal(before);
    await f.world.submit(f.cast.deviceGateway, 'RecordStockCount', lotId, '10', evidence);
    await f.world.submit(f.cast.supervisor, 'RecordStockCount', lotId, '10.5', 'recount by inspector Liu');
    expect((await f.lot(lotId)).quantity).to.equal('10.5');
  });
});

describe('after a count below the receipted quantity, receipts are drafted against the measured stock only', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    await f.close();
  });

  const count = (lotId: string, quantity: string): Promise<unknown> =>
    f.world.submit(f.cast.deviceGateway, 'RecordStockCount', lotId, quantity, 'alarm:alm_1 root:0x00');
  const draft = (id: string, lotId: string, quantity: string): Promise<string> =>
    codeOf(f.world.submit(f.cast.clerk, 'DraftReceipt', draftJson(id, lotId, quantity)));
  /** Resolves the one shortfall event on the receipt's lot, lifting its holds. */
  const resolveShortfall = async (receiptId: string): Promise<void> => {
    const [event] = riskEventRecord.array().parse(await f.world.evaluate(f.cast.supervisor, 'ListRiskEvents', receiptId));
    await f.world.submit(f.cast.supervisor, 'ResolveRiskEvent', event?.id ?? expect.fail('no shortfall event'), 'written off');
  };

  it('refuses any new receipt while the receipted quantity exceeds the count, even once the shortfall is resolved', async () => {
    const lotId = await f.registerLot('100');
    const receiptId = await f.issued('90', lotId);
    await count(lotId, '80');
    expect(await draft('OVER-1', lotId, '0.000001')).to.equal('OVER_ISSUE');
    await resolveShortfall(receiptId);
    expect(await draft('OVER-2', lotId, '10')).to.equal('OVER_ISSUE');
    expect(await f.lot(lotId)).to.include({ quantity: '80', receiptedQuantity: '90' });
  });

  it('a count below the registered quantity but above the receipted one leaves only the measured remainder to receipt', async () => {
    const lotId = await f.registerLot('100');
    await f.issued('50', lotId);
    await count(lotId, '70');
    expect((await f.lot(lotId)).shortfall).to.equal(null);
    expect(await draft('REST-1', lotId, '20.000001')).to.equal('OVER_ISSUE');
    await f.world.submit(f.cast.clerk, 'DraftReceipt', draftJson('REST-2', lotId, '20'));
    expect(await f.lot(lotId)).to.include({ quantity: '70', receiptedQuantity: '70' });
  });

  it('cancelling a draft after a shortfall frees nothing beyond the measured stock', async () => {
    const lotId = await f.registerLot('100');
    await f.issued('60', lotId);
    const drafted = await f.draft(lotId, '40');
    await count(lotId, '70');
    await resolveShortfall(drafted);
    await f.world.submit(f.cast.supervisor, 'CancelDraft', drafted, 'goods not there');
    expect(await f.lot(lotId)).to.include({ quantity: '70', receiptedQuantity: '60' });
    expect(await draft('FREED-1', lotId, '10.000001')).to.equal('OVER_ISSUE');
    await f.world.submit(f.cast.clerk, 'DraftReceipt', draftJson('FREED-2', lotId, '10'));
  });
});
