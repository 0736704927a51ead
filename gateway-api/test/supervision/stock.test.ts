import { expect } from 'chai';
import { z } from 'zod';
import { useTestGateway } from '../support/gateway.js';
import { testDatabases } from '../support/postgres.js';
import { expectProblem, uid } from '../http/helpers.js';
import { alarmsSeen, minute, placedDevice, pledgedLot, series, submit } from './support.js';

const targets = await testDatabases();

const lotReply = z.object({ data: z.looseObject({ quantity: z.string(), receiptedQuantity: z.string(), lastCount: z.looseObject({ reference: z.string() }).nullable(), shortfall: z.looseObject({ measured: z.string(), missing: z.string() }).nullable() }) });
const encumbranceReply = z.object({ data: z.looseObject({ frozen: z.boolean() }) });

for (const target of targets) {
  describe(`Stock reconciliation on ${target.name}: load cells against the receipted quantity, through the stock-count path`, function () {
    this.timeout(120_000);
    const gw = useTestGateway(target);

    it("a forklift's transient raises nothing; a sustained shortfall is counted on the ledger, holds the receipt and caps new receipts at the measured stock", async () => {
      const lot = await pledgedLot(gw(), { quantity: '1000', receipted: '800' });
      const ruleId = uid('qingdao-check');
      const rule = { id: ruleId, scope: { lotId: lot.lotId }, kind: 'stock-reconciliation', metric: 'weight', severity: 'critical', tolerance: { ratio: 0.02 }, forMs: 10 * minute };
      const created = await gw().request('custodian.supervisor', 'POST', '/v1/rules', { body: rule });
      expect(created.status, created.text).to.equal(201);
      const cell = await placedDevice(gw(), lot, 'load-cell');
      const start = Date.now() - 2 * 60 * minute;
      // 10 min at 1000 kg; a forklift lifts a pallet for 3 min (500 kg); back to 1000; then 300 kg are gone for 20 min.
      const weights = [...Array<number>(10).fill(1000), ...Array<number>(3).fill(500), ...Array<number>(10).fill(1000), ...Array<number>(20).fill(700)];
      await submit(gw(), series(cell, start, weights.slice(0, 23), 1, 'weight', 'kg'));
      await gw().gateway.supervisionSettled();
      expect(await alarmsSeen(gw(), 'custodian.auditor', `?lotId=${lot.lotId}`), 'the transient is shorter than forMs').to.deep.equal([]);

      await submit(gw(), series(cell, start + 23 * minute, weights.slice(23), 24, 'weight', 'kg'));
      await gw().gateway.supervisionSettled();
      const [alarm, ...others] = await alarmsSeen(gw(), 'custodian.auditor', `?lotId=${lot.lotId}`);
      expect(others).to.deep.equal([]);
      if (alarm === undefined) expect.fail('no shortfall alarm');
      expect(alarm).to.deep.include({ kind: 'stock-reconciliation', severity: 'critical', ruleId });
      expect(Date.parse(alarm.startedAt)).to.equal(start + 23 * minute);
      expect(alarm.ledger).to.deep.equal([{ action: 'stock-count', status: 'done', txId: alarm.ledger[0]?.txId ?? null, lastError: null }]);

      const counted = lotReply.parse((await gw().request('custodian.auditor', 'GET', `/v1/lots/${lot.lotId}`)).body).data;
      expect(counted).to.deep.include({ quantity: '700', receiptedQuantity: '800' });
      expect(counted.lastCount?.reference).to.match(new RegExp(`^alarm:${alarm.id} root:0x[0-9a-f]{64}$`));
      expect(counted.shortfall).to.deep.include({ measured: '700', missing: '100' });
      expect(encumbranceReply.parse((await gw().request('lender.officer', 'GET', `/v1/receipts/${lot.receiptId}/encumbrance`)).body).data.frozen).to.equal(true);
      expectProblem(await gw().request('custodian.clerk', 'POST', '/v1/receipts', { body: { id: uid('WR-OVER'), lotId: lot.lotId, owner: 'bob', quantity: '1' } }), 422, 'OVER_ISSUE');
    });
  });
}
