import { expect } from 'chai';
import { z } from 'zod';
import type { Reply, TestGateway } from '../support/gateway.js';
import { uid } from '../http/helpers.js';

/** Builds priced collateral through the API: commodities of their own, loans of their own, marks by the oracle. */
export class Collateral {
  private readonly lastAsOf = new Map<string, number>();

  constructor(private readonly gateway: () => TestGateway) {}

  async ok(who: string, method: string, path: string, body: unknown, status: number): Promise<Reply> {
    const reply = await this.gateway().request(who, method, path, body === undefined ? {} : { body });
    expect(reply.status, `${method} ${path} as ${who}: ${reply.text.slice(0, 600)}`).to.equal(status);
    return reply;
  }

  /** A commodity no other test marks. */
  commodity(prefix = 'copper'): string {
    return uid(prefix);
  }

  /** The oracle's mark of `commodity` (per t, CNY unless told), `minutesAgo` before now. */
  async mark(commodity: string, price: string, options: { minutesAgo?: number; currency?: string; asOf?: Date } = {}): Promise<Reply> {
    // Each mark of a commodity later than the one before, so that it is the latest.
    const time = options.asOf?.getTime() ?? Math.max(Date.now() - (options.minutesAgo ?? 0) * 60_000, (this.lastAsOf.get(commodity) ?? 0) + 1);
    this.lastAsOf.set(commodity, time);
    const asOf = new Date(time).toISOString();
    return this.ok('custodian.oracle', 'POST', '/v1/prices', { commodity, unit: 't', price, currency: options.currency ?? 'CNY', source: 'test desk', asOf }, 201);
  }

  /** An issued receipt of `quantity` t of `commodity`, owned by `owner`, on a lot of its own. */
  async receipt(commodity: string, quantity: string, owner = 'alice'): Promise<string> {
    const lotId = uid('LOT');
    await this.ok('custodian.clerk', 'POST', '/v1/lots', { id: lotId, warehouseId: 'WH-QD-01', location: 'Shed 1', commodity, unit: 't', quantity }, 201);
    const id = uid('WR');
    await this.ok('custodian.clerk', 'POST', '/v1/receipts', { id, lotId, owner, quantity }, 201);
    await this.ok('custodian.supervisor', 'POST', `/v1/receipts/${id}/confirm`, {}, 200);
    return id;
  }

  /** Pledges a receipt to `loanReference` for `amount` CNY; the first acceptance gives the terms. */
  async pledge(receiptId: string, loanReference: string, amount: string, acceptance: Record<string, unknown> = {}, owner = 'alice'): Promise<void> {
    await this.ok(`borrower.${owner}`, 'POST', `/v1/receipts/${receiptId}/pledge-request`, { lender: 'LenderMSP', loanReference, loanAmount: amount, currency: 'CNY' }, 200);
    await this.ok('lender.officer', 'POST', `/v1/receipts/${receiptId}/pledge-acceptance`, acceptance, 200);
  }

  /** A loan of `amount` CNY secured by one receipt of `quantity` t of a fresh commodity marked at `price`. */
  async loan(options: { price: string; quantity: string; amount: string; terms?: Record<string, unknown>; owner?: string }): Promise<{ loanReference: string; commodity: string; receiptId: string }> {
    const commodity = this.commodity();
    await this.mark(commodity, options.price, { minutesAgo: 30 });
    const receiptId = await this.receipt(commodity, options.quantity, options.owner);
    const loanReference = uid('LOAN');
    await this.pledge(receiptId, loanReference, options.amount, options.terms === undefined ? {} : { terms: options.terms }, options.owner);
    return { loanReference, commodity, receiptId };
  }

  async settled(): Promise<void> {
    await this.gateway().gateway.collateralSettled();
  }

  async loanView(loanReference: string, who = 'lender.officer'): Promise<LoanView> {
    await this.settled();
    return loanView.parse((await this.ok(who, 'GET', `/v1/loans/${encodeURIComponent(loanReference)}`, undefined, 200)).body).data;
  }

  async calls(who: string, query = ''): Promise<MarginCallView[]> {
    await this.settled();
    return z.object({ data: z.array(marginCall) }).parse((await this.ok(who, 'GET', `/v1/margin-calls${query}`, undefined, 200)).body).data;
  }
}

export const marginCall = z.looseObject({
  id: z.string(),
  loanReference: z.string(),
  status: z.enum(['OPEN', 'ESCALATED', 'CURED', 'CLOSED']),
  deadline: z.string(),
  openedLtv: z.string().nullable(),
  ltv: z.string().nullable(),
  escalation: z.string().nullable(),
  openedBy: z.looseObject({ kind: z.string() }),
  endedBy: z.looseObject({ kind: z.string() }).nullable(),
});
export type MarginCallView = z.infer<typeof marginCall>;

const loanView = z.object({
  data: z.looseObject({
    loanReference: z.string(),
    outstanding: z.string(),
    state: z.string().nullable(),
    value: z.string().nullable(),
    ltv: z.string().nullable(),
    band: z.string().nullable(),
    receipts: z.array(z.looseObject({ id: z.string(), quantity: z.string() })),
    history: z.array(z.looseObject({ cause: z.string(), ltv: z.string().nullable(), band: z.string().nullable() })),
    marginCalls: z.array(marginCall),
    marginCall: z.looseObject({ id: z.string(), status: z.string().nullable() }).nullable(),
  }),
});
export type LoanView = z.infer<typeof loanView>['data'];
