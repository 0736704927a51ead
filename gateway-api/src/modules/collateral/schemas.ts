import { ltvBands } from '@wr/chaincode/valuation';
import { z } from 'zod';
import { decimal, mspId, text } from '../../http/fields.js';
import { loanTermsBody } from '../receipts/schemas.js';
import { loanExample, marginCallExample, priceAlarmExample, priceExample } from '../events/catalogue.js';

/** Schemas of the collateral module (docs/collateral.md). */

const isoTime = z.iso.datetime({ error: 'must be an ISO 8601 UTC time like 2026-12-02T07:00:00Z' });
const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code like "CNY"');

export const priceBody = z
  .strictObject({
    commodity: text(100),
    unit: text(20),
    price: z.string().min(1).max(40).openapi({ description: 'per unit, a positive plain decimal ("68250.5"); a negative or zero price is refused' }),
    currency,
    source: text(200).openapi({ description: 'where the price comes from (an exchange settlement, a dealer quote)' }),
    asOf: isoTime.openapi({ description: 'the market time of the price; at most 5 minutes ahead of the ledger' }),
  })
  .openapi('PriceMarkInput', { example: { commodity: 'copper cathode', unit: 't', price: '68250.5', currency: 'CNY', source: 'SHFE settlement', asOf: '2026-12-02T07:00:00Z' } });

export const priceMark = z
  .object({
    commodity: z.string(),
    unit: z.string(),
    price: z.string(),
    currency: z.string(),
    source: z.string(),
    asOf: z.string(),
    recordedBy: z.string(),
    recordedAt: z.string(),
    txId: z.string(),
  })
  .openapi('PriceMark', { example: priceExample });

export const priceAlarm = z
  .object({ id: z.string(), commodity: z.string(), asOf: z.string(), limitHours: z.number().int(), raisedAt: z.string(), clearedAt: z.string().nullable(), clearedByAsOf: z.string().nullable() })
  .openapi('StaleMarkAlarm', { example: priceAlarmExample });

const commodityPriceExample = { commodity: 'copper cathode', latest: priceExample, marks: 31, staleAfterHours: 48, staleAlarm: null };
export const commodityPrice = z
  .object({ commodity: z.string(), latest: priceMark, marks: z.number().int(), staleAfterHours: z.number().int(), staleAlarm: priceAlarm.nullable() })
  .openapi('CommodityPrice', { example: commodityPriceExample });
export const commodityPriceList = z.array(commodityPrice).openapi('CommodityPriceList', { example: [commodityPriceExample] });

export const commodityParams = z.strictObject({ commodity: text(100) });

export const priceHistoryQuery = z.strictObject({
  at: isoTime.optional().openapi({ description: 'the mark in force at this time (the latest asOf at or before it), and the history up to it' }),
  limit: z.coerce.number().int().min(1).max(1000).default(100).openapi({ description: 'how many marks of history, newest first' }),
});

export const priceHistory = z
  .object({ commodity: z.string(), at: z.string(), inForce: priceMark, items: z.array(priceMark) })
  .openapi('PriceHistory', { example: { commodity: 'copper cathode', at: '2026-12-02T08:00:00.000Z', inForce: priceExample, items: [priceExample] } });

export const feedImportBody = z
  .strictObject({
    format: z.enum(['json', 'csv']),
    content: z.string().min(1).max(1024 * 1024).openapi({ description: 'the feed document: CSV with a header (commodity,unit,price,currency,source,asOf) or JSON marks' }),
    source: text(200).optional().openapi({ description: 'the source of rows that name none (default "manual import")' }),
  })
  .openapi('PriceImport', {
    example: { format: 'csv', content: 'commodity,unit,price,currency,source,asOf\ncopper cathode,t,68250.5,CNY,SHFE settlement,2026-12-02T07:00:00Z\n' },
  });

export const feedImportResult = z
  .object({ recorded: z.array(priceMark), skipped: z.number().int().openapi({ description: 'marks the ledger already holds at the same price' }) })
  .openapi('PriceImportResult', { example: { recorded: [priceExample], skipped: 0 } });

export const feedStatus = z
  .object({
    url: z.string().nullable(),
    intervalMs: z.number().int(),
    lastPullAt: z.string().nullable(),
    lastResult: z.object({ recorded: z.number().int(), skipped: z.number().int() }).nullable(),
    lastError: z.object({ code: z.string(), message: z.string(), problems: z.array(z.record(z.string(), z.unknown())) }).nullable(),
  })
  .openapi('PriceFeedStatus', { example: { url: 'https://prices.example.com/marks.csv', intervalMs: 3600000, lastPullAt: '2026-12-02T07:00:05.000Z', lastResult: { recorded: 3, skipped: 0 }, lastError: null } });

const terms = z.object({ haircut: z.string(), warningLtv: z.string(), liquidationLtv: z.string(), cureHours: z.number().int() });
const party = z.object({ mspId: z.string(), id: z.string() });
const holding = z.object({ commodity: z.string(), unit: z.string(), quantity: z.string(), mark: z.record(z.string(), z.unknown()).nullable() });

export const marginCall = z
  .object({
    id: z.string(),
    lender: z.string(),
    loanReference: z.string(),
    borrower: party,
    currency: z.string(),
    status: z.enum(['OPEN', 'ESCALATED', 'CURED', 'CLOSED']),
    openedAt: z.string(),
    openedBy: z.record(z.string(), z.unknown()),
    deadline: z.string(),
    warningLtv: z.string(),
    liquidationLtv: z.string(),
    openedLtv: z.string().nullable(),
    ltv: z.string().nullable(),
    value: z.string().nullable(),
    outstanding: z.string(),
    escalatedAt: z.string().nullable(),
    escalation: z.enum(['DEADLINE_PASSED', 'LIQUIDATION_LINE']).nullable(),
    endedAt: z.string().nullable(),
    endedBy: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('MarginCall', { example: marginCallExample });

export const loanSummaryExample = {
  ...loanExample,
  defaultedAt: null,
  state: 'VALUED',
  value: '2735978.11',
  ltv: '0.731',
  band: 'WARNING',
  holdings: [{ commodity: 'copper cathode', unit: 't', quantity: '44.5', mark: { ...priceExample, price: '68312.3' } }],
  problems: [],
  markedAt: '2026-12-02T09:00:00.000Z',
  marginCall: { id: marginCallExample.id, status: 'OPEN', deadline: marginCallExample.deadline },
};

const loanSummaryShape = {
  lender: z.string(),
  loanReference: z.string(),
  borrower: party,
  currency: z.string(),
  principal: z.string(),
  repaid: z.string(),
  outstanding: z.string(),
  terms,
  openedAt: z.string(),
  defaultedAt: z.string().nullable(),
  state: z.enum(['VALUED', 'UNPRICED']).nullable(),
  value: z.string().nullable(),
  ltv: z.string().nullable(),
  band: z.enum(ltvBands).nullable(),
  holdings: z.array(holding),
  problems: z.array(z.object({ commodity: z.string(), code: z.string(), message: z.string() })),
  markedAt: z.string().nullable(),
  marginCall: z.object({ id: z.string(), status: z.string().nullable(), deadline: z.string().nullable() }).nullable(),
};

export const loanSummary = z.object(loanSummaryShape).openapi('LoanSummary', { example: loanSummaryExample });
export const loanList = z.array(loanSummary).openapi('LoanList', { example: [loanSummaryExample] });

export const loanDetail = z
  .object({
    ...loanSummaryShape,
    receipts: z.array(z.object({ id: z.string(), status: z.string(), commodity: z.string(), unit: z.string(), quantity: z.string(), warehouseId: z.string() })),
    history: z.array(z.object({ at: z.string(), cause: z.string(), state: z.string(), value: z.string().nullable(), ltv: z.string().nullable(), band: z.string().nullable(), outstanding: z.string() })),
    repayments: z.array(z.object({ reference: z.string(), amount: z.string(), currency: z.string(), outstandingAfter: z.string(), recordedBy: z.string(), recordedAt: z.string(), txId: z.string() })),
    marginCalls: z.array(marginCall),
  })
  .openapi('LoanDetail', {
    example: {
      ...loanSummaryExample,
      receipts: [{ id: 'WR-2026-0001', status: 'PLEDGED', commodity: 'copper cathode', unit: 't', quantity: '44.5', warehouseId: 'WH-QINGDAO-01' }],
      history: [
        { at: '2026-11-20T04:00:00.000Z', cause: 'PLEDGE', state: 'VALUED', value: '3100000', ltv: '0.645161', band: 'OK', outstanding: '2000000' },
        { at: '2026-12-02T09:00:00.000Z', cause: 'PRICE', state: 'VALUED', value: '2735978.11', ltv: '0.731', band: 'WARNING', outstanding: '2000000' },
      ],
      repayments: [],
      marginCalls: [marginCallExample],
    },
  });

export const loanParams = z.strictObject({ loanReference: text(100) });
export const loanQuery = z.strictObject({ lender: mspId.optional().openapi({ description: 'the lender, when the caller sees loans of several under one reference' }) });

export const loanListQuery = z.strictObject({
  band: z.enum(ltvBands).optional(),
  state: z.enum(['VALUED', 'UNPRICED']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: text(100).optional().openapi({ description: 'the `next` of the previous page' }),
});

export const repaymentBody = z
  .strictObject({ amount: decimal, currency, reference: text(100).openapi({ description: "the lender's reference for the payment; unique per loan (a second is ALREADY_EXISTS)" }) })
  .openapi('Repayment', { example: { amount: '500000', currency: 'CNY', reference: 'PAY-2026-0091' } });

export const termsAmendmentBody = z.strictObject({ terms: loanTermsBody, reason: text(500) }).openapi('LoanTermsAmendment', { example: { terms: { warningLtv: '0.75' }, reason: 'credit committee 2026-48' } });

export const marginCallQuery = z.strictObject({
  status: z.enum(['OPEN', 'ESCALATED', 'CURED', 'CLOSED', 'ACTIVE']).optional().openapi({ description: 'ACTIVE: OPEN and ESCALATED' }),
  loanReference: text(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: z.string().max(100).optional(),
});
export const marginCallList = z.array(marginCall).openapi('MarginCallList', { example: [marginCallExample] });
export const marginCallParams = z.strictObject({ id: z.string().regex(/^mc_[0-9a-f]{32}$/, 'must be a margin call id (mc_ and 32 hex digits)') });

export const portfolio = z
  .object({
    asOf: z.string(),
    currencies: z.array(z.object({ currency: z.string(), loans: z.number().int(), value: z.string(), outstanding: z.string() })),
    bands: z.array(z.object({ band: z.string(), loans: z.number().int() })),
    marginCalls: z.array(z.object({ status: z.string(), calls: z.number().int() })),
  })
  .openapi('Portfolio', {
    example: {
      asOf: '2026-12-02T09:00:00.000Z',
      currencies: [{ currency: 'CNY', loans: 12, value: '48211530.5', outstanding: '30500000' }],
      bands: [
        { band: 'OK', loans: 9 },
        { band: 'WARNING', loans: 2 },
        { band: 'LIQUIDATION', loans: 1 },
      ],
      marginCalls: [{ status: 'OPEN', calls: 2 }, { status: 'ESCALATED', calls: 1 }],
    },
  });
