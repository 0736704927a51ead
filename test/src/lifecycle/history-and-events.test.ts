import { historyEntry } from '@wr/chaincode';
import type { Identity, LedgerEvent } from '@wr/gateway-api';
import { expect } from 'chai';
import { embeddedOnly } from '../support/world.js';
import { checkpointJson, codeOf, lotJson, pledgeRequest, refusal, startFixture, type Fixture } from './fixture.js';

const start = Date.parse('2024-07-01T08:00:00.000Z');

describe('the history of a receipt after a full lifecycle', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    await f.close();
  });

  it('lists every transition newest first, each with its transaction id, time and status', async function () {
    const world = embeddedOnly(this, f.world, 'the test fixes each transaction timestamp, which only the embedded ledger lets a client choose');
    const lotId = await f.registerLot('100');
    const receiptId = 'LIFE-1';
    const steps: { who: Identity; tx: string; args: string[]; status: string }[] = [
      {
        who: f.cast.clerk,
        tx: 'DraftReceipt',
        args: [JSON.stringify({ id: receiptId, lotId, owner: 'alice', quantity: '100', description: '99.7% Al ingots' })],
        status: 'DRAFT',
      },
      { who: f.cast.supervisor, tx: 'ConfirmReceipt', args: [receiptId], status: 'ISSUED' },
      { who: f.cast.alice, tx: 'RequestPledge', args: [receiptId, pledgeRequest()], status: 'PLEDGE_REQUESTED' },
      { who: f.cast.officer, tx: 'AcceptPledge', args: [receiptId, '{}'], status: 'PLEDGED' },
      { who: f.cast.officer, tx: 'Freeze', args: [receiptId, 'margin call', 'MC-1'], status: 'PLEDGED' },
      { who: f.cast.officer, tx: 'Unfreeze', args: [receiptId, 'margin restored'], status: 'PLEDGED' },
      { who: f.cast.officer, tx: 'ReleasePledge', args: [receiptId, '100'], status: 'ISSUED' },
      { who: f.cast.alice, tx: 'TransferOwnership', args: [receiptId, 'bob'], status: 'ISSUED' },
      { who: f.cast.bob, tx: 'RequestWithdrawal', args: [receiptId], status: 'WITHDRAWAL_REQUESTED' },
      { who: f.cast.supervisor, tx: 'ConfirmDelivery', args: [receiptId], status: 'DELIVERED' },
    ];
    const committed: { txId: string; at: string }[] = [];
    for (const [index, step] of steps.entries()) {
      const timestamp = new Date(start + index * 60_000);
      const { txId } = await world.ledger.submit(step.who, step.tx, step.args, { timestamp });
      committed.push({ txId, at: timestamp.toISOString() });
    }

    const entries = historyEntry.array().parse(await f.world.evaluate(f.cast.supervisor, 'GetHistory', receiptId));
    expect(entries.map((entry) => entry.txId)).to.deep.equal(committed.map((entry) => entry.txId).reverse());
    expect(entries.map((entry) => entry.timestamp)).to.deep.equal(committed.map((entry) => entry.at).reverse());
    expect(entries.map((entry) => entry.value?.status)).to.deep.equal(steps.map((step) => step.status).reverse());
    expect(entries.every((entry) => !entry.isDelete)).to.equal(true);
    for (const [index, entry] of entries.entries()) {
      expect(entry.value?.lastTxId, 'each version names the transaction that wrote it').to.equal(entry.txId);
      expect(entry.value?.updatedAt, 'times come from the transaction, not a clock').to.equal(entries[index]?.timestamp);
    }
    const frozenAt = entries.flatMap((entry, index) => (entry.value?.frozen === true ? [index] : []));
    expect(frozenAt, 'only the version written by Freeze is frozen').to.deep.equal([5]);
    expect(entries.map((entry) => entry.value?.owner.id)).to.deep.equal(['bob', 'bob', 'bob', ...Array<string>(7).fill('alice')]);
    expect(entries.at(-1)?.value).to.deep.include({ draftedBy: 'zhang', draftedAt: committed[0]?.at, description: '99.7% Al ingots' });
  });

  it('the previous owner cannot read the history once the receipt is transferred', async function () {
    embeddedOnly(this, f.world, 'it reads the receipt of the test before');
    expect(await codeOf(f.world.evaluate(f.cast.alice, 'GetHistory', 'LIFE-1'))).to.equal('NOT_FOUND');
  });
});

describe('chaincode events', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    await f.close();
  });

  it('every transition emits its one named event carrying the transaction id and the receipts it wrote', async () => {
    const expected: { txId: string; name: string; receiptIds: string[] }[] = [];
    const run = async (who: Identity, tx: string, args: string[], name: string, receiptIds: string[]): Promise<void> => {
      const { txId } = await f.world.ledger.submit(who, tx, args);
      expected.push({ txId, name, receiptIds });
    };
    const { clerk, supervisor, alice, bob, officer, approver, deviceGateway } = f.cast;
    const draft = (id: string, quantity: string): string[] => [JSON.stringify({ id, lotId: 'EV-LOT', owner: 'alice', quantity })];
    await run(clerk, 'RegisterLot', [lotJson('EV-LOT', '100', { warehouseId: 'WH9' })], 'LotRegistered', []);
    await run(clerk, 'DraftReceipt', draft('EV-0', '10'), 'ReceiptDrafted', ['EV-0']);
    await run(clerk, 'CancelDraft', ['EV-0', 'duplicate'], 'DraftCancelled', ['EV-0']);
    await run(clerk, 'DraftReceipt', draft('EV-1', '60'), 'ReceiptDrafted', ['EV-1']);
    await run(supervisor, 'ConfirmReceipt', ['EV-1'], 'ReceiptIssued', ['EV-1']);
    await run(alice, 'RequestPledge', ['EV-1', pledgeRequest()], 'PledgeRequested', ['EV-1']);
    await run(officer, 'RejectPledge', ['EV-1', 'incomplete file'], 'PledgeRejected', ['EV-1']);
    await run(alice, 'RequestPledge', ['EV-1', pledgeRequest('LN-2')], 'PledgeRequested', ['EV-1']);
    await run(officer, 'AcceptPledge', ['EV-1', '{"releaseApprovalThreshold":"5"}'], 'PledgeAccepted', ['EV-1']);
    await run(officer, 'ReleasePledge', ['EV-1', '20'], 'ReleaseRequested', ['EV-1']);
    await run(approver, 'RejectRelease', ['EV-1', 'not repaid'], 'ReleaseRejected', ['EV-1']);
    await run(officer, 'ReleasePledge', ['EV-1', '5'], 'PledgeReleased', ['EV-1', 'EV-1.1', 'EV-1.2']);
    await run(officer, 'Freeze', ['EV-1.2', 'margin call', 'MC-2'], 'ReceiptFrozen', ['EV-1.2']);
    await run(officer, 'Unfreeze', ['EV-1.2', 'margin restored'], 'ReceiptUnfrozen', ['EV-1.2']);
    await run(approver, 'DeclareDefault', ['EV-1.2', 'missed payment'], 'DefaultDeclared', ['EV-1.2']);
    await run(approver, 'Dispose', ['EV-1.2', 'bob'], 'CollateralDisposed', ['EV-1.2']);
    await run(alice, 'TransferOwnership', ['EV-1.1', 'bob'], 'OwnershipTransferred', ['EV-1.1']);
    await run(bob, 'SplitReceipt', ['EV-1.1', '["2","3"]'], 'ReceiptSplit', ['EV-1.1', 'EV-1.1.1', 'EV-1.1.2']);
    await run(bob, 'RequestWithdrawal', ['EV-1.1.1'], 'WithdrawalRequested', ['EV-1.1.1']);
    await run(supervisor, 'ConfirmDelivery', ['EV-1.1.1'], 'GoodsDelivered', ['EV-1.1.1']);
    const doorOpen = { id: 'EV-RISK', receiptId: 'EV-1.2', kind: 'DOOR_OPEN', severity: 'critical', detail: 'door open 40 min' };
    await run(deviceGateway, 'RecordRiskEvent', [JSON.stringify(doorOpen)], 'RiskEventRecorded', ['EV-1.2']);
    await run(supervisor, 'ResolveRiskEvent', ['EV-RISK', 'door closed, stock checked'], 'RiskEventResolved', ['EV-1.2']);
    await run(supervisor, 'RecordStockCount', ['EV-LOT', '10', 'COUNT-1'], 'StockCounted', ['EV-1.1.2', 'EV-1.2']);
    await run(deviceGateway, 'RecordCheckpoint', [checkpointJson(0)], 'CheckpointRecorded', []);
    // Refused transactions are never committed, so they emit nothing.
    await refusal(f.world.ledger.submit(alice, 'RequestPledge', ['EV-1.2', pledgeRequest()]));

    const seen: LedgerEvent[] = [];
    const abort = new AbortController();
    const ours = new Set(expected.map((entry) => entry.txId));
    for await (const event of f.world.ledger.events(0n, abort.signal)) {
      if (ours.has(event.txId)) seen.push(event);
      if (seen.length === expected.length) abort.abort();
    }

    expect(seen.map((event) => event.eventName)).to.deep.equal(expected.map((entry) => entry.name));
    const names = new Set(seen.map((event) => event.eventName));
    expect(names.size, 'all 22 event names occur').to.equal(22);
    for (const [index, event] of seen.entries()) {
      const want = expected[index] ?? expect.fail('more events than transactions');
      expect(event.txId).to.equal(want.txId);
      const payload: unknown = JSON.parse(Buffer.from(event.payload).toString('utf8'));
      expect(payload, want.name).to.include({ txId: want.txId });
      expect(payload, want.name).to.have.deep.property('receiptIds', want.receiptIds);
      if (want.receiptIds.length > 0 && want.name !== 'StockCounted') {
        expect(payload, want.name).to.have.property('receiptId', want.receiptIds[0]);
      }
    }
    const released: unknown = JSON.parse(Buffer.from(seen[11]?.payload ?? []).toString('utf8'));
    expect(released).to.include({ receiptId: 'EV-1', status: 'SPLIT', released: 'EV-1.1', remaining: 'EV-1.2', quantity: '5' });
  });
});
