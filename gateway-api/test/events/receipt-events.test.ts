import { expect } from 'chai';
import { receiptExample } from '../../src/http/component-examples.js';
import { readEvents } from '../../src/modules/events/outbox.js';
import { writeEventUpdate, type EventUpdate } from '../../src/modules/receipts/projection-store.js';
import { testDatabases, useDatabase } from '../support/postgres.js';
import { uid } from '../http/helpers.js';

/** The update the projection writes for one OwnershipTransferred (or issue) event, reading the ledger's state `now`. */
function transferUpdate(block: number, receiptId: string, name: string, owner: string, now: string): EventUpdate {
  const txId = uid('tx');
  const payload = {
    receiptId,
    status: 'ISSUED',
    receiptIds: [receiptId],
    parties: [{ receiptId, custodian: 'CustodianMSP', owner: { mspId: 'BorrowerMSP', id: owner }, lender: null }],
    txId,
  };
  return {
    event: { blockNumber: BigInt(block), txIndex: 0, txId, eventName: name, payload: Buffer.from(JSON.stringify(payload)), timestamp: new Date() },
    payloadJson: JSON.stringify(payload),
    receipts: new Map([[receiptId, { ...receiptExample, id: receiptId, status: 'ISSUED', pledge: null, owner: { mspId: 'BorrowerMSP', id: now } }]]),
    lots: new Map(),
  };
}

for (const target of await testDatabases()) {
  describe(`Receipt events told by a projection that runs behind the ledger, on ${target.name}`, function () {
    this.timeout(60_000);
    const db = useDatabase(target);

    it('tells each transfer to the owners before and after it, as the transaction left them, not as the ledger holds the receipt now', async () => {
      const receiptId = uid('WR-LAG');
      // Three transactions committed (issue to alice, alice -> bob, bob -> carol) before the projection applies the
      // first: each time it reads the receipt, the ledger already says carol.
      const updates = [
        transferUpdate(10_001, receiptId, 'ReceiptIssued', 'alice', 'carol'),
        transferUpdate(10_002, receiptId, 'OwnershipTransferred', 'bob', 'carol'),
        transferUpdate(10_003, receiptId, 'OwnershipTransferred', 'carol', 'carol'),
      ];
      const start = (await readEvents(db(), { after: undefined, limit: 100_000 })).at(-1)?.position;
      for (const update of updates) await db().transaction((tx) => writeEventUpdate(tx, update));
      const heard = async (party: string): Promise<string[]> =>
        (await readEvents(db(), { after: start, limit: 100, party })).filter((event) => event.object.id === receiptId).map((event) => event.type);
      expect(await heard('BorrowerMSP/alice')).to.deep.equal(['receipt.issued', 'receipt.transferred']);
      // Bob owned it only between the two transfers, never when the projection looked: he still hears of both.
      expect(await heard('BorrowerMSP/bob')).to.deep.equal(['receipt.transferred', 'receipt.transferred']);
      expect(await heard('BorrowerMSP/carol')).to.deep.equal(['receipt.transferred']);
      expect(await heard('CustodianMSP')).to.deep.equal(['receipt.issued', 'receipt.transferred', 'receipt.transferred']);
      expect(await heard('LenderMSP')).to.deep.equal([]);
    });
  });
}
