import { encumbrance, historyEntry, lotRecord, receiptPage, receiptView, type Receipt } from '@wr/chaincode';
import type { Identity } from '@wr/gateway-api';
import { expect } from 'chai';
import { codeOf, expectSubmitRefused, lotJson, pledgeRequest, refusal, startFixture, type Fixture } from './fixture.js';

describe('object-level visibility', () => {
  let f: Fixture;
  let alices: string;
  let bobs: string;
  let offered: string;
  let pledged: string;

  before(async () => {
    f = await startFixture();
    alices = await f.issued('10');
    bobs = await f.draft(await f.registerLot('10'), '10', 'bob');
    await f.world.submit(f.cast.supervisor, 'ConfirmReceipt', bobs);
    offered = await f.pledgeRequested('20');
    pledged = await f.pledged('30');
  });
  after(async () => {
    await f.close();
  });

  const code = async (who: Identity, tx: string, ...args: string[]): Promise<string> => await codeOf(f.world.evaluate(who, tx, ...args));
  const list = async (who: Identity, filter: object = {}): Promise<string[]> =>
    receiptPage.parse(await f.world.evaluate(who, 'ListReceipts', JSON.stringify(filter))).items.map((item) => item.id);

  it('a borrower gets NOT_FOUND for another owner\'s receipt from every query, exactly as for one that does not exist', async () => {
    for (const tx of ['GetReceipt', 'GetEncumbrance', 'GetHistory', 'ListRiskEvents']) {
      expect(await code(f.cast.bob, tx, alices), tx).to.equal('NOT_FOUND');
      const missing = await refusal(f.world.evaluate(f.cast.bob, tx, 'NO-SUCH-RECEIPT'));
      const hidden = await refusal(f.world.evaluate(f.cast.bob, tx, alices));
      const sameWords = missing.message.replace('NO-SUCH-RECEIPT', 'X');
      expect(hidden.message.replace(alices, 'X'), 'no existence leak in the message').to.equal(sameWords);
    }
  });

  it('a borrower gets NOT_FOUND for mutating another owner\'s receipt, and nothing changes', async () => {
    await expectSubmitRefused(f, 'NOT_FOUND', f.cast.bob, 'TransferOwnership', alices, 'bob');
    await expectSubmitRefused(f, 'NOT_FOUND', f.cast.bob, 'RequestPledge', alices, pledgeRequest());
    await expectSubmitRefused(f, 'NOT_FOUND', f.cast.bob, 'RequestWithdrawal', alices);
  });

  it('the owner sees her receipt and its encumbrance and history', async () => {
    expect(receiptView.parse(await f.world.evaluate(f.cast.alice, 'GetReceipt', alices)).id).to.equal(alices);
    const view = encumbrance.parse(await f.world.evaluate(f.cast.alice, 'GetEncumbrance', alices));
    expect(view).to.deep.include({ receiptId: alices, pledge: null, frozen: false });
    expect(historyEntry.array().parse(await f.world.evaluate(f.cast.alice, 'GetHistory', alices))).to.have.length(2);
  });

  it('a lender sees only receipts pledged or offered to it', async () => {
    for (const who of [f.cast.officer, f.cast.approver, f.cast.lenderAuditor]) {
      expect(await code(who, 'GetReceipt', alices)).to.equal('NOT_FOUND');
      expect(receiptView.parse(await f.world.evaluate(who, 'GetReceipt', offered)).status).to.equal('PLEDGE_REQUESTED');
      expect(receiptView.parse(await f.world.evaluate(who, 'GetReceipt', pledged)).status).to.equal('PLEDGED');
    }
  });

  it('a lender loses sight of an offer it rejected', async () => {
    const receiptId = await f.pledgeRequested('5');
    await f.world.submit(f.cast.officer, 'RejectPledge', receiptId, 'not eligible');
    expect(await code(f.cast.officer, 'GetReceipt', receiptId)).to.equal('NOT_FOUND');
    expect(await code(f.cast.officer, 'GetHistory', receiptId)).to.equal('NOT_FOUND');
  });

  it('auditors read within their scope but every write is FORBIDDEN', async () => {
    expect(receiptView.parse(await f.world.evaluate(f.cast.custodianAuditor, 'GetReceipt', alices)).id).to.equal(alices);
    expect(receiptView.parse(await f.world.evaluate(f.cast.borrowerAuditor, 'GetReceipt', bobs)).id).to.equal(bobs);
    expect(receiptView.parse(await f.world.evaluate(f.cast.lenderAuditor, 'GetReceipt', pledged)).id).to.equal(pledged);
    await expectSubmitRefused(f, 'FORBIDDEN', f.cast.borrowerAuditor, 'RequestWithdrawal', alices);
    await expectSubmitRefused(f, 'FORBIDDEN', f.cast.lenderAuditor, 'Freeze', pledged, 'audit', 'A-1');
    await expectSubmitRefused(f, 'FORBIDDEN', f.cast.custodianAuditor, 'Freeze', alices, 'audit', 'A-1');
    expect(await codeOf(f.world.submit(f.cast.custodianAuditor, 'RegisterLot', lotJson('AUDIT-LOT', '1')))).to.equal('FORBIDDEN');
  });

  it('lots are the custodian\'s books: lenders and borrowers get NOT_FOUND', async () => {
    const { lotId } = await f.receipt(pledged);
    expect((await f.lot(lotId)).id).to.equal(lotId);
    expect(lotRecord.parse(await f.world.evaluate(f.cast.custodianAuditor, 'GetLot', lotId)).id).to.equal(lotId);
    expect(await code(f.cast.officer, 'GetLot', lotId)).to.equal('NOT_FOUND');
    expect(await code(f.cast.alice, 'GetLot', lotId)).to.equal('NOT_FOUND');
  });

  it('ListReceipts returns each caller only what it may see', async () => {
    const everything = [alices, bobs, offered, pledged].sort();
    expect(await list(f.cast.alice)).to.include.members([alices, offered, pledged]).and.not.include(bobs);
    expect(await list(f.cast.bob)).to.deep.equal([bobs]);
    expect(await list(f.cast.officer)).to.include.members([offered, pledged]).and.not.include.members([alices, bobs]);
    expect(await list(f.cast.custodianAuditor)).to.include.members(everything);
    expect(await list(f.cast.borrowerAuditor)).to.include.members(everything);
    expect(await list(f.cast.bob, { owner: 'alice' }), 'naming another owner reveals nothing').to.deep.equal([]);
    expect(await list(f.cast.alice, { lender: 'LenderMSP' })).to.have.members([offered, pledged]);
    expect(await list(f.cast.officer, { status: 'PLEDGED' })).to.deep.equal([pledged]);
  });

  it('unknown organisations, roles and transactions are refused in the registry\'s error format', async () => {
    const janitor = await f.world.identity('CustodianMSP', 'zhou', 'janitor');
    expect(await code(janitor, 'GetReceipt', alices)).to.equal('FORBIDDEN');
    expect(await code(f.cast.alice, 'NoSuchTransaction')).to.equal('INVALID_ARGUMENT');
  });
});

describe('ListReceipts filters and pages', () => {
  let f: Fixture;
  let lotA: string;
  let ids: string[];
  before(async () => {
    f = await startFixture();
    lotA = await f.registerLot('100');
    ids = [];
    for (let index = 0; index < 5; index++) ids.push(await f.issued('10', lotA));
    ids.push(await f.pledged('10'));
  });
  after(async () => {
    await f.close();
  });

  const page = async (filter: object): Promise<{ items: Receipt[]; next: string | null }> =>
    receiptPage.parse(await f.world.evaluate(f.cast.supervisor, 'ListReceipts', JSON.stringify(filter)));

  it('filters by lot, status and owner together', async () => {
    expect((await page({ lotId: lotA })).items.map((item) => item.id)).to.deep.equal(ids.slice(0, 5).sort());
    expect((await page({ lotId: lotA, status: 'PLEDGED' })).items).to.deep.equal([]);
    expect((await page({ status: 'PLEDGED', owner: 'alice' })).items.map((item) => item.id)).to.deep.equal([ids[5]]);
  });

  it('pages through in id order with limit and after, ending with next = null', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const result = await page({ lotId: lotA, limit: 2, ...(after === undefined ? {} : { after }) });
      seen.push(...result.items.map((item) => item.id));
      expect(result.items.length).to.be.at.most(2);
      if (result.next === null) break;
      after = result.next;
    }
    expect(seen).to.deep.equal(ids.slice(0, 5).sort());
  });

  it('refuses a limit outside 1..1000 and unknown filter fields', async () => {
    for (const filter of [{ limit: 0 }, { limit: 1001 }, { limit: 1.5 }, { colour: 'red' }]) {
      expect(await codeOf(f.world.evaluate(f.cast.supervisor, 'ListReceipts', JSON.stringify(filter)))).to.equal('INVALID_ARGUMENT');
    }
  });
});
