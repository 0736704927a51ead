import { expect } from 'chai';
import type { TestGateway } from '../support/gateway.js';

/** What `openMarginCall` set up: the loan, the commodity its goods are marked in, and the pledged receipt. */
export interface MarginCallStory {
  readonly loanReference: string;
  readonly commodity: string;
  readonly receiptId: string;
}

/**
 * A loan with an open margin call, through the API as each party would: the oracle marks a fresh commodity at 10000,
 * the custodian registers 100 t of it and issues a receipt to alice, alice pledges it for 650000 CNY and the lender's
 * officer accepts (default terms: warning line 0.7, liquidation line 0.85); then the price falls to 9000, so the LTV
 * is 650000 / 900000 = 0.722222 and marking opens a call. Returns once marking has settled. `tag` keeps the story's
 * names apart from another's on the same gateway.
 */
export async function openMarginCall(test: TestGateway, tag: string): Promise<MarginCallStory> {
  const suffix = `${tag}-${Date.now().toString(36)}`.toUpperCase();
  const story = { loanReference: `LOAN-${suffix}`, commodity: `copper-${suffix.toLowerCase()}`, receiptId: `WR-${suffix}` };
  const lotId = `LOT-${suffix}`;
  const ok = async (who: string, method: string, path: string, body: unknown, status: number): Promise<void> => {
    const reply = await test.request(who, method, path, { body });
    expect(reply.status, `${method} ${path}: ${reply.text}`).to.equal(status);
  };
  const mark = (price: string, minutesAgo: number) =>
    ok('custodian.oracle', 'POST', '/v1/prices', { commodity: story.commodity, unit: 't', price, currency: 'CNY', source: 'SHFE settlement', asOf: new Date(Date.now() - minutesAgo * 60_000).toISOString() }, 201);
  await mark('10000', 30);
  await ok('custodian.clerk', 'POST', '/v1/lots', { id: lotId, warehouseId: `WH-${suffix}`, location: 'Shed 5', commodity: story.commodity, unit: 't', quantity: '100' }, 201);
  await ok('custodian.clerk', 'POST', '/v1/receipts', { id: story.receiptId, lotId, owner: 'alice', quantity: '100' }, 201);
  await ok('custodian.supervisor', 'POST', `/v1/receipts/${story.receiptId}/confirm`, {}, 200);
  await ok('borrower.alice', 'POST', `/v1/receipts/${story.receiptId}/pledge-request`, { lender: 'LenderMSP', loanReference: story.loanReference, loanAmount: '650000', currency: 'CNY' }, 200);
  await ok('lender.officer', 'POST', `/v1/receipts/${story.receiptId}/pledge-acceptance`, {}, 200);
  await mark('9000', 0);
  await test.gateway.collateralSettled();
  return story;
}
