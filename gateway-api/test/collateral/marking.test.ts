import { expect } from 'chai';
import { z } from 'zod';
import { expectProblem, useGateway } from '../http/helpers.js';
import { testDatabases } from '../support/postgres.js';
import { Collateral } from './support.js';

for (const target of await testDatabases()) {
  describe(`collateral marking on ${target.name}`, function () {
    this.timeout(120_000);
    const suite = useGateway(target, { ANCHOR_INTERVAL_MS: '3600000' });
    const c = new Collateral(() => suite().api.gateway);

    it('crosses each line up and down, exactly at the line: opens a call at 0.7, escalates at 0.85, cures below 0.7', async () => {
      // 100 t, 700000 CNY out: LTV = 7000 / price.
      const { loanReference, commodity } = await c.loan({ price: '12000', quantity: '100', amount: '700000' });
      // Marking values a loan once per batch of ledger events: settle, so that the acceptance has its own valuation.
      await c.settled();
      const at = async (price: string): Promise<{ ltv: string | null; band: string | null; call: string | null | undefined }> => {
        await c.mark(commodity, price);
        const view = await c.loanView(loanReference);
        return { ltv: view.ltv, band: view.band, call: view.marginCall?.status };
      };
      expect(await at('10000.01')).to.deep.equal({ ltv: '0.699999', band: 'OK', call: undefined });
      expect(await at('10000')).to.deep.equal({ ltv: '0.7', band: 'WARNING', call: 'OPEN' });
      expect(await at('8235.3')).to.deep.equal({ ltv: '0.849999', band: 'WARNING', call: 'OPEN' });
      expect(await at('8235.29')).to.deep.equal({ ltv: '0.85', band: 'LIQUIDATION', call: 'ESCALATED' });
      expect(await at('12000')).to.deep.include({ band: 'OK', call: undefined });
      const view = await c.loanView(loanReference);
      expect(view.marginCalls.map((call) => [call.status, call.escalation, call.openedBy.kind, call.endedBy?.kind])).to.deep.equal([['CURED', 'LIQUIDATION_LINE', 'PRICE', 'PRICE']]);
      // A point for the acceptance, then one per change of band (a price within its band moves the figures only).
      expect(view.history.map((entry) => [entry.cause, entry.band])).to.deep.equal([
        ['PLEDGE', 'OK'],
        ['PRICE', 'WARNING'],
        ['PRICE', 'LIQUIDATION'],
        ['PRICE', 'OK'],
      ]);
    });

    it('values several receipts of one loan; a partial release changes the LTV; a free receipt moves touch no loan', async () => {
      const commodity = c.commodity();
      await c.mark(commodity, '1000');
      const first = await c.receipt(commodity, '600');
      const second = await c.receipt(commodity, '400');
      const loanReference = `LOAN-MULTI-${first}`;
      await c.pledge(first, loanReference, '500000');
      await c.pledge(second, loanReference, '500000');
      const both = await c.loanView(loanReference);
      expect([both.value, both.ltv, both.receipts.length]).to.deep.equal(['1000000', '0.5', 2]);
      // A mark is one ledger transaction, however many pledges it re-values.
      const height = (): number => suite().api.height();
      const before = height();
      await c.mark(commodity, '1100');
      expect(height() - before, 'blocks for one mark').to.equal(1);
      expect((await c.loanView(loanReference)).value).to.equal('1100000');
      await c.mark(commodity, '1000');
      await c.ok('lender.officer', 'POST', `/v1/receipts/${second}/release`, { quantity: '100' }, 200);
      const released = await c.loanView(loanReference);
      expect([released.value, released.ltv]).to.deep.equal(['900000', '0.555555']);
      expect(released.receipts.map((receipt) => [receipt.id, receipt.quantity])).to.deep.equal([
        [first, '600'],
        [`${second}.2`, '300'],
      ]);
      // The released 100 t are free now: splitting and transferring them leave the loan as it was.
      const historyBefore = released.history.length;
      await c.ok('borrower.alice', 'POST', `/v1/receipts/${second}.1/split`, { quantities: ['40', '60'] }, 200);
      await c.ok('borrower.alice', 'POST', `/v1/receipts/${second}.1.1/transfer`, { newOwner: 'bob' }, 200);
      const after = await c.loanView(loanReference);
      expect([after.value, after.ltv, after.history.length]).to.deep.equal(['900000', '0.555555', historyBefore]);
    });

    it('a margin call is cured by pledging a second receipt, and another by a repayment', async () => {
      const { loanReference, commodity } = await c.loan({ price: '10000', quantity: '100', amount: '650000' });
      await c.mark(commodity, '9000');
      const [opened] = (await c.calls('borrower.alice', '?status=OPEN')).filter((call) => call.loanReference === loanReference);
      expect(opened?.openedLtv).to.equal('0.722222');
      const topUp = await c.receipt(commodity, '20');
      await c.pledge(topUp, loanReference, '650000');
      const cured = await c.loanView(loanReference);
      expect([cured.ltv, cured.marginCall]).to.deep.equal(['0.601851', null]);
      expect(cured.marginCalls.map((call) => [call.status, call.endedBy?.kind])).to.deep.equal([['CURED', 'PLEDGE']]);

      const repaid = await c.loan({ price: '10000', quantity: '100', amount: '650000' });
      await c.mark(repaid.commodity, '9000');
      expect((await c.loanView(repaid.loanReference)).marginCall?.status).to.equal('OPEN');
      await c.ok('lender.officer', 'POST', `/v1/loans/${repaid.loanReference}/repayments`, { amount: '50000', currency: 'CNY', reference: 'PAY-1' }, 201);
      const after = await c.loanView(repaid.loanReference);
      expect([after.outstanding, after.ltv, after.marginCall]).to.deep.equal(['600000', '0.666666', null]);
      expect(after.marginCalls.map((call) => call.endedBy?.kind)).to.deep.equal(['REPAYMENT']);
      // The same reference again is the same payment: refused, not counted twice.
      expectProblem(await suite().api.gateway.request('lender.officer', 'POST', `/v1/loans/${repaid.loanReference}/repayments`, { body: { amount: '50000', currency: 'CNY', reference: 'PAY-1' } }), 409, 'ALREADY_EXISTS');
      expectProblem(await suite().api.gateway.request('lender.officer', 'POST', `/v1/loans/${repaid.loanReference}/repayments`, { body: { amount: '1', currency: 'USD', reference: 'PAY-2' } }), 422, 'CURRENCY_MISMATCH');
      expectProblem(await suite().api.gateway.request('lender.officer', 'POST', `/v1/loans/${repaid.loanReference}/repayments`, { body: { amount: '600000.01', currency: 'CNY', reference: 'PAY-3' } }), 400, 'INVALID_ARGUMENT');
    });

    it('refuses a release the covenant forbids, then lets an approver override it with a reason', async () => {
      const { loanReference, receiptId } = await c.loan({ price: '10000', quantity: '100', amount: '500000' });
      // 30 of 100 t out would leave 500000 / 700000 = 0.714285: at or above the warning line.
      const refused = expectProblem(await suite().api.gateway.request('lender.officer', 'POST', `/v1/receipts/${receiptId}/release`, { body: { quantity: '30' } }), 409, 'LTV_COVENANT');
      expect(refused.detail).to.match(/0\.714285/);
      await c.ok('lender.officer', 'POST', `/v1/receipts/${receiptId}/release`, { quantity: '20' }, 200);
      const rest = `${receiptId}.2`;
      await c.ok('lender.officer', 'POST', `/v1/receipts/${rest}/release-override-request`, { quantity: '20' }, 200);
      expectProblem(await suite().api.gateway.request('lender.approver', 'POST', `/v1/receipts/${rest}/release-approval`, { body: {} }), 409, 'LTV_COVENANT');
      const overridden = await c.ok('lender.approver', 'POST', `/v1/receipts/${rest}/covenant-override`, { reason: 'risk committee 2026-51 accepts it' }, 200);
      expect(z.object({ data: z.object({ status: z.string() }) }).parse(overridden.body).data.status).to.equal('SPLIT');
      const view = await c.loanView(loanReference);
      expect([view.ltv, view.band, view.marginCall?.status]).to.deep.equal(['0.833333', 'WARNING', 'OPEN']);
    });

    it('terms come with the first acceptance and change only by an approver; a lender sees only its loans, a borrower its own', async () => {
      const { loanReference } = await c.loan({ price: '10000', quantity: '100', amount: '500000', terms: { haircut: '0.2', warningLtv: '0.6', liquidationLtv: '0.8', cureHours: 24 } });
      const view = await c.loanView(loanReference);
      expect([view.value, view.ltv, view.band]).to.deep.equal(['800000', '0.625', 'WARNING']);
      expectProblem(await suite().api.gateway.request('lender.officer', 'POST', `/v1/loans/${loanReference}/terms-amendment`, { body: { terms: { warningLtv: '0.7' }, reason: 'credit committee' } }), 403, 'FORBIDDEN');
      await c.ok('lender.approver', 'POST', `/v1/loans/${loanReference}/terms-amendment`, { terms: { warningLtv: '0.7' }, reason: 'credit committee 2026-48' }, 200);
      const amended = await c.loanView(loanReference);
      expect([amended.band, amended.marginCall]).to.deep.equal(['OK', null]);
      expect(amended.marginCalls.map((call) => [call.status, call.endedBy?.kind])).to.deep.equal([['CURED', 'TERMS']]);

      expectProblem(await suite().api.gateway.request('borrower.bob', 'GET', `/v1/loans/${loanReference}`), 404, 'LOAN_NOT_FOUND');
      expectProblem(await suite().api.gateway.request('custodian.supervisor', 'GET', '/v1/loans'), 403, 'FORBIDDEN');
      expect((await c.calls('borrower.bob')).some((call) => call.loanReference === loanReference)).to.equal(false);
      expect((await c.calls('borrower.alice')).some((call) => call.loanReference === loanReference)).to.equal(true);
      expect((await c.loanView(loanReference, 'borrower.auditor')).loanReference).to.equal(loanReference);
      const portfolio = z.object({ data: z.object({ currencies: z.array(z.object({ currency: z.string(), loans: z.number() })), bands: z.array(z.object({ band: z.string(), loans: z.number() })) }) });
      const bobs = portfolio.parse((await c.ok('borrower.bob', 'GET', '/v1/portfolio', undefined, 200)).body).data;
      const lenders = portfolio.parse((await c.ok('lender.auditor', 'GET', '/v1/portfolio', undefined, 200)).body).data;
      expect(lenders.currencies.find((row) => row.currency === 'CNY')?.loans ?? 0).to.be.above(bobs.currencies.find((row) => row.currency === 'CNY')?.loans ?? 0);
    });

    it('keeps marks as history: the mark in force at any time, and refuses a negative price or another currency', async () => {
      const commodity = c.commodity('nickel');
      await c.mark(commodity, '130000', { minutesAgo: 120 });
      await c.mark(commodity, '128500.5', { minutesAgo: 60 });
      await c.settled();
      const history = z.object({ data: z.object({ inForce: z.object({ price: z.string() }), items: z.array(z.object({ price: z.string() })) }) });
      const now = history.parse((await c.ok('lender.auditor', 'GET', `/v1/prices/${commodity}`, undefined, 200)).body).data;
      expect([now.inForce.price, now.items.map((item) => item.price)]).to.deep.equal(['128500.5', ['128500.5', '130000']]);
      const earlier = new Date(Date.now() - 90 * 60_000).toISOString();
      expect(history.parse((await c.ok('borrower.alice', 'GET', `/v1/prices/${commodity}?at=${earlier}`, undefined, 200)).body).data.inForce.price).to.equal('130000');
      expectProblem(await suite().api.gateway.request('lender.auditor', 'GET', `/v1/prices/${commodity}?at=${new Date(Date.now() - 300 * 60_000).toISOString()}`), 404, 'PRICE_NOT_FOUND');
      const mark = { commodity, unit: 't', currency: 'CNY', source: 'desk', asOf: new Date().toISOString() };
      expectProblem(await suite().api.gateway.request('custodian.oracle', 'POST', '/v1/prices', { body: { ...mark, price: '-5' } }), 400, 'INVALID_ARGUMENT');
      expectProblem(await suite().api.gateway.request('custodian.oracle', 'POST', '/v1/prices', { body: { ...mark, price: '5', currency: 'USD' } }), 422, 'CURRENCY_MISMATCH');
      expectProblem(await suite().api.gateway.request('lender.officer', 'POST', '/v1/prices', { body: { ...mark, price: '5' } }), 403, 'FORBIDDEN');
      // The oracle sees prices only: no receipt, no alarm.
      const receipts = z.object({ data: z.array(z.unknown()) }).parse((await c.ok('custodian.oracle', 'GET', '/v1/receipts', undefined, 200)).body).data;
      expect(receipts).to.deep.equal([]);
    });
  });
}
