import { expect } from 'chai';
import { embeddedOnly, type EmbeddedWorld } from '../support/world.js';
import { checkpointJson, pledgeRequest, startFixture, type Fixture } from './fixture.js';

/** A composite key as fabric-shim's createCompositeKey writes it. */
const compositeKey = (type: string, ...attributes: string[]): string =>
  ['', type, ...attributes, ''].join('\u0000');

describe('state-based endorsement', () => {
  let f: Fixture;
  let world: EmbeddedWorld;
  before(async () => {
    f = await startFixture();
  });
  beforeEach(function () {
    world = embeddedOnly(this, f.world, 'key-level policies are read here from the embedded ledger; test/src/fabric proves them on Fabric by endorsement');
  });
  after(async () => {
    await f.close();
  });

  const orgsOf = (receiptId: string): string[] => world.endorsementOrgs(compositeKey('receipt', receiptId));

  it('a pledged or defaulted receipt needs the custodian and the lender; otherwise the custodian alone', async () => {
    const receiptId = await f.issued('10');
    expect(orgsOf(receiptId)).to.deep.equal(['CustodianMSP']);
    await f.world.submit(f.cast.alice, 'RequestPledge', receiptId, pledgeRequest());
    expect(orgsOf(receiptId)).to.deep.equal(['CustodianMSP']);
    await f.world.submit(f.cast.officer, 'AcceptPledge', receiptId, '{}');
    expect(orgsOf(receiptId)).to.deep.equal(['CustodianMSP', 'LenderMSP']);
    await f.world.submit(f.cast.approver, 'DeclareDefault', receiptId, 'overdue');
    expect(orgsOf(receiptId)).to.deep.equal(['CustodianMSP', 'LenderMSP']);
    await f.world.submit(f.cast.approver, 'Dispose', receiptId, 'bob');
    expect(orgsOf(receiptId)).to.deep.equal(['CustodianMSP']);
  });

  it('after a partial release the still-pledged child needs the lender, the released child and the parent do not', async () => {
    const receiptId = await f.pledged('10');
    await f.world.submit(f.cast.officer, 'ReleasePledge', receiptId, '4');
    expect(orgsOf(receiptId)).to.deep.equal(['CustodianMSP']);
    expect(orgsOf(`${receiptId}.1`)).to.deep.equal(['CustodianMSP']);
    expect(orgsOf(`${receiptId}.2`)).to.deep.equal(['CustodianMSP', 'LenderMSP']);
  });

  it('lots, risk events and checkpoints need the custodian; index entries carry no policy', async () => {
    const receiptId = await f.issued('10');
    const { lotId, warehouseId } = await f.receipt(receiptId);
    const riskEvent = { id: 'E-RISK', receiptId, kind: 'TILT', severity: 'info', detail: 'pallet tilted' };
    await f.world.submit(f.cast.deviceGateway, 'RecordRiskEvent', JSON.stringify(riskEvent));
    await f.world.submit(f.cast.deviceGateway, 'RecordCheckpoint', checkpointJson(3));
    expect(world.endorsementOrgs(compositeKey('lot', lotId))).to.deep.equal(['CustodianMSP']);
    expect(world.endorsementOrgs(compositeKey('risk', 'E-RISK'))).to.deep.equal(['CustodianMSP']);
    expect(world.endorsementOrgs(compositeKey('checkpoint', '3'.padStart(20, '0')))).to.deep.equal(['CustodianMSP']);
    expect(world.endorsementOrgs(compositeKey('warehouse~receipt', warehouseId, receiptId))).to.deep.equal([]);
    expect(world.endorsementOrgs(compositeKey('owner~receipt', 'BorrowerMSP', 'alice', receiptId))).to.deep.equal([]);
  });
});
