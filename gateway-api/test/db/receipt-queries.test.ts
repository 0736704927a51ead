import { receiptPage, type ReceiptPage as ChaincodePage } from '@wr/chaincode/responses';
import { expect } from 'chai';
import { StoreError } from '../../src/db/errors.js';
import { startProjection } from '../../src/modules/receipts/projection.js';
import { receiptQueries, type ReceiptListFilter, type ReceiptQueries, type Viewer } from '../../src/modules/receipts/receipt-queries.js';
import { testDatabases, useDatabase } from '../support/postgres.js';
import { castRoles, draftJson, issue, lotJson, openRegistryLedger, pledgeJson, type CastMember, type RegistryLedger } from './registry-ledger.js';

/** Receipts in every kind of relationship to every viewer: owned by alice or bob, pledged, offered, split, gone. */
async function populate(world: RegistryLedger): Promise<void> {
  await world.submit('clerk', 'RegisterLot', lotJson('LOT1', 'WH1', '1000'));
  await world.submit('clerk', 'RegisterLot', lotJson('LOT2', 'WH2', '500'));
  await issue(world, 'R01', 'LOT1', 'alice', '100');
  await issue(world, 'R02', 'LOT1', 'alice', '100');
  await world.submit('alice', 'RequestPledge', 'R02', pledgeJson('LN-2'));
  await world.submit('officer', 'AcceptPledge', 'R02', '{}');
  await issue(world, 'R03', 'LOT1', 'bob', '100');
  await world.submit('bob', 'RequestPledge', 'R03', pledgeJson('LN-3'));
  await issue(world, 'R04', 'LOT2', 'bob', '100');
  await world.submit('clerk', 'DraftReceipt', draftJson('R05', 'LOT2', 'alice', '100'));
  await issue(world, 'R06', 'LOT2', 'alice', '100');
  await world.submit('alice', 'RequestPledge', 'R06', pledgeJson('LN-6'));
  await world.submit('officer', 'RejectPledge', 'R06', 'not our sector');
  await issue(world, 'R07', 'LOT1', 'bob', '100');
  await world.submit('bob', 'SplitReceipt', 'R07', '["50","50"]');
  await world.submit('bob', 'TransferOwnership', 'R07.1', 'alice');
  await issue(world, 'R08', 'LOT1', 'alice', '100');
  await world.submit('alice', 'RequestPledge', 'R08', pledgeJson('LN-8'));
  await world.submit('officer', 'AcceptPledge', 'R08', '{}');
  await world.submit('officer', 'ReleasePledge', 'R08', '30');
  await world.submit('clerk', 'DraftReceipt', draftJson('R09', 'LOT1', 'bob', '100'));
  await world.submit('clerk', 'CancelDraft', 'R09', 'drafted in error');
  await issue(world, 'R10', 'LOT2', 'alice', '100');
  await world.submit('alice', 'RequestWithdrawal', 'R10');
  await world.submit('supervisor', 'ConfirmDelivery', 'R10');
}

const filters: readonly Omit<ReceiptListFilter, 'limit'>[] = [
  {},
  { status: 'ISSUED' },
  { status: 'PLEDGED' },
  { owner: 'alice' },
  { owner: 'bob' },
  { lender: 'LenderMSP' },
  { lotId: 'LOT1' },
  { warehouseId: 'WH2' },
  { status: 'PLEDGED', owner: 'alice' },
  { lotId: 'LOT1', status: 'ISSUED', owner: 'alice' },
  { after: 'R05' },
];

const viewerOf = (member: CastMember): Viewer => {
  const [mspId, user, role] = castRoles[member];
  return { mspId, user, role };
};

for (const target of await testDatabases()) {
  describe(`receipt queries over the projection (${target.name})`, function () {
    this.timeout(120_000);
    const db = useDatabase(target);
    let world: RegistryLedger;
    let queries: ReceiptQueries;

    before(async () => {
      world = await openRegistryLedger();
      await populate(world);
      const projection = startProjection({ db: db(), ledger: world.ledger, reader: world.reader });
      await projection.waitFor(world.lastBlock());
      await projection.stop();
      queries = receiptQueries(db());
    });
    after(async () => {
      await world.close();
    });

    const listOnLedger = async (member: CastMember, filter: object): Promise<ChaincodePage> =>
      receiptPage.parse(await world.evaluate(member, 'ListReceipts', JSON.stringify(filter)));

    for (const member of Object.keys(castRoles) as CastMember[]) {
      it(`${member} (${castRoles[member].join(' ')}) gets exactly what ListReceipts gives them, for every filter`, async () => {
        let visible = 0;
        for (const filter of filters) {
          const expected = await listOnLedger(member, { ...filter, limit: 1000 });
          const page = await queries.list(viewerOf(member), { ...filter, limit: 1000 });
          expect(page.items, JSON.stringify(filter)).to.deep.equal(expected.items);
          expect(page.next).to.equal(expected.next);
          visible += expected.items.length;
        }
        expect(visible, 'the comparison is not vacuous').to.be.greaterThan(0);
      });
    }

    it('pages like ListReceipts: the same pages, in id order, with next = null on the last', async () => {
      for (const member of ['custodianAuditor', 'alice', 'borrowerAuditor'] as const) {
        let after: string | undefined;
        let pages = 0;
        for (;;) {
          const filter = { limit: 2, ...(after === undefined ? {} : { after }) };
          const expected = await listOnLedger(member, filter);
          const page = await queries.list(viewerOf(member), filter);
          expect(page.items, `${member} page ${pages.toString()}`).to.deep.equal(expected.items);
          expect(page.next).to.equal(expected.next);
          pages++;
          if (page.next === null) break;
          after = page.next;
        }
        expect(pages, member).to.be.greaterThan(1);
      }
    });

    it('alice and bob never see each other’s receipts; the lender sees only what was pledged or offered to it', async () => {
      const ids = async (member: CastMember): Promise<string[]> =>
        (await queries.list(viewerOf(member), { limit: 1000 })).items.map((item) => item.id);
      expect(await ids('alice')).to.deep.equal(['R01', 'R02', 'R05', 'R06', 'R07.1', 'R08', 'R08.1', 'R08.2', 'R10']);
      expect(await ids('bob')).to.deep.equal(['R03', 'R04', 'R07', 'R07.2', 'R09']);
      expect(await ids('officer'), 'the split parent R08 no longer carries the pledge').to.deep.equal(['R02', 'R03', 'R08.2']);
    });

    it('a viewer the chaincode would refuse (unknown organisation, or a role its organisation does not issue) sees nothing', async () => {
      for (const viewer of [
        { mspId: 'StrangerMSP', user: 'eve', role: 'auditor' },
        { mspId: 'BorrowerMSP', user: 'alice', role: 'clerk' },
        { mspId: 'LenderMSP', user: 'wang', role: 'owner' },
      ]) {
        expect((await queries.list(viewer, { limit: 1000 })).items, JSON.stringify(viewer)).to.deep.equal([]);
      }
    });

    it('says which block the page is as of, and counts receipts by status as the ledger has them', async () => {
      const page = await queries.list(viewerOf('custodianAuditor'), { limit: 1000 });
      expect(page.asOfBlock).to.equal(world.lastBlock());
      const expected: Record<string, number> = {};
      for (const item of page.items) expected[item.status] = (expected[item.status] ?? 0) + 1;
      expect(await queries.countsByStatus()).to.deep.equal(expected);
      expect(expected).to.include({ ISSUED: 6, PLEDGED: 2, PLEDGE_REQUESTED: 1, SPLIT: 2, DRAFT: 1, DELIVERED: 1, CANCELLED: 1 });
    });

    it('refuses a filter ListReceipts would refuse, as INVALID_ARGUMENT', async () => {
      for (const filter of [{ limit: 0 }, { limit: 1001 }, { limit: 10, status: 'LOST' }, { limit: 10, after: '../x' }]) {
        const error: unknown = await queries.list(viewerOf('supervisor'), filter).catch((caught: unknown) => caught);
        expect(error, JSON.stringify(filter)).to.be.instanceOf(StoreError).and.to.have.property('code', 'INVALID_ARGUMENT');
      }
    });
  });
}
