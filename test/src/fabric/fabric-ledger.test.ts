import { LedgerError, type Identity } from '@wr/gateway-api';
import { FabricLedger } from '@wr/gateway-api/fabric';
import { expect } from 'chai';
import { refusal } from '@wr/gateway-api/testing';
import { fabricUnavailable, gatewayBundle } from './network.js';

describe('the registry on a real Fabric 2.5 network through the Fabric backend', function () {
  this.timeout(120_000);
  let ledger: FabricLedger;
  const people = new Map<string, Identity>();
  const as = (id: string): Identity => {
    const identity = people.get(id);
    if (!identity) throw new Error(`no identity ${id}`);
    return identity;
  };
  const run = Date.now().toString(36).toUpperCase();
  const json = (value: unknown): string => JSON.stringify(value);

  before(async function () {
    const unavailable = fabricUnavailable();
    if (unavailable) {
      console.log(`    skipped: ${unavailable}`);
      this.skip();
    }
    const { bundle, wallet } = await gatewayBundle();
    for (const id of bundle.identities) {
      const identity = await wallet.get(id);
      if (identity) people.set(id, identity);
    }
    ledger = new FabricLedger({ bundle, gatewayMspId: 'CustodianMSP', eventReader: as('service.projector') });
  });

  after(async () => {
    await ledger?.close();
  });

  const lot = `LOT-${run}`;
  const receipt = `WR-${run}`;

  it('issues, pledges and partly releases a receipt, the rest staying pledged', async () => {
    await ledger.submit(as('custodian.clerk'), 'RegisterLot', [json({ id: lot, warehouseId: 'WH-1', location: 'A', commodity: 'aluminium', unit: 't', quantity: '1000.005' })]);
    await ledger.submit(as('custodian.clerk'), 'DraftReceipt', [json({ id: receipt, lotId: lot, owner: 'alice', quantity: '1000.005' })]);
    await ledger.submit(as('custodian.supervisor'), 'ConfirmReceipt', [receipt]);
    await ledger.submit(as('borrower.alice'), 'RequestPledge', [receipt, json({ lender: 'LenderMSP', loanReference: 'LOAN-1', loanAmount: '5000000', currency: 'CNY' })]);
    await ledger.submit(as('lender.officer'), 'AcceptPledge', [receipt, '{}']);
    const released = await ledger.submit(as('lender.officer'), 'ReleasePledge', [receipt, '333.335']);
    expect(released.txId).to.match(/^[0-9a-f]{64}$/);
    const rest: unknown = JSON.parse(Buffer.from(await ledger.evaluate(as('lender.officer'), 'GetEncumbrance', [`${receipt}.2`])).toString());
    expect(rest).to.deep.include({ quantity: '666.67', status: 'PLEDGED' });
  });

  it('refuses with the chaincode stable codes: OVER_ISSUE, NOT_FOUND for a stranger, FORBIDDEN for a wrong role', async () => {
    expect((await refusal(ledger.submit(as('custodian.clerk'), 'DraftReceipt', [json({ id: `${receipt}-X`, lotId: lot, owner: 'bob', quantity: '1' })]))).code).to.equal('OVER_ISSUE');
    expect((await refusal(ledger.evaluate(as('borrower.bob'), 'GetReceipt', [receipt]))).code).to.equal('NOT_FOUND');
    expect((await refusal(ledger.submit(as('custodian.clerk'), 'DeclareDefault', [`${receipt}.2`, 'no']))).code).to.equal('FORBIDDEN');
  });

  it('enforces state-based endorsement: an update of a pledged receipt endorsed by the custodian alone is invalidated', async () => {
    const error = await refusal(ledger.submit(as('lender.approver'), 'DeclareDefault', [`${receipt}.2`, 'margin call unanswered'], { endorsingOrganizations: ['CustodianMSP'] }));
    expect(error.code).to.equal('ENDORSEMENT_POLICY_FAILURE');
    const still: unknown = JSON.parse(Buffer.from(await ledger.evaluate(as('lender.officer'), 'GetReceipt', [`${receipt}.2`])).toString());
    expect(still).to.deep.include({ status: 'PLEDGED' });
    await ledger.submit(as('lender.approver'), 'DeclareDefault', [`${receipt}.2`, 'margin call unanswered'], { endorsingOrganizations: ['CustodianMSP', 'LenderMSP'] });
    const defaulted: unknown = JSON.parse(Buffer.from(await ledger.evaluate(as('lender.officer'), 'GetReceipt', [`${receipt}.2`])).toString());
    expect(defaulted).to.deep.include({ status: 'DEFAULTED' });
  });

  // The losers were simulated while the receipt needed only the custodian; the winner raised its key-level policy to
  // custodian AND lender within the block, so Fabric invalidates them on that policy before comparing versions.
  it('of ten concurrent acceptances of one pledge request exactly one commits; the others conflict and overwrite nothing', async () => {
    const id = `WR-${run}-RACE`;
    await ledger.submit(as('custodian.clerk'), 'RegisterLot', [json({ id: `${lot}-R`, warehouseId: 'WH-1', location: 'B', commodity: 'aluminium', unit: 't', quantity: '10' })]);
    await ledger.submit(as('custodian.clerk'), 'DraftReceipt', [json({ id, lotId: `${lot}-R`, owner: 'alice', quantity: '10' })]);
    await ledger.submit(as('custodian.supervisor'), 'ConfirmReceipt', [id]);
    await ledger.submit(as('borrower.alice'), 'RequestPledge', [id, json({ lender: 'LenderMSP', loanReference: 'LOAN-2', loanAmount: '1', currency: 'CNY' })]);
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => ledger.submit(as('lender.officer'), 'AcceptPledge', [id, '{}'])));
    const committed = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const codes = outcomes.flatMap((outcome) => (outcome.status === 'rejected' && outcome.reason instanceof LedgerError ? [outcome.reason.code] : []));
    expect(committed).to.have.length(1);
    expect(codes).to.have.length(9);
    for (const code of codes) expect(['MVCC_READ_CONFLICT', 'ENDORSEMENT_POLICY_FAILURE', 'ALREADY_PLEDGED']).to.include(code);
    const pledged: unknown = JSON.parse(Buffer.from(await ledger.evaluate(as('lender.officer'), 'GetReceipt', [id])).toString());
    expect(pledged).to.deep.include({ status: 'PLEDGED' });
  });

  it('delivers the chaincode events of committed transactions from a block number', async () => {
    const controller = new AbortController();
    const names: string[] = [];
    for await (const event of ledger.events(0n, controller.signal)) {
      names.push(event.eventName);
      if (names.includes('PledgeReleased')) controller.abort();
    }
    expect(names).to.include.members(['LotRegistered', 'ReceiptIssued', 'PledgeAccepted', 'PledgeReleased']);
  });
});
