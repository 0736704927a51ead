import { anyKnownCaller, type Allowed } from '@wr/chaincode/roles';
import { z } from 'zod';
import type { Database } from '../../db/database.js';
import { committed, defineOperation } from '../../http/operation.js';
import type { ReceiptRegistry } from '../../registry/receipt-registry.js';
import { viewerOf } from '../access.js';
import type { Collateral } from './collateral.js';
import { ApiError } from '../../http/problem.js';
import { FeedError, parseFeed } from './feed.js';
import { markView } from './marking.js';
import type { PriceFeed } from './puller.js';
import { marginCallExample } from '../events/catalogue.js';
import * as s from './schemas.js';

/** What the collateral module's operations are served by. */
export interface CollateralServices {
  readonly db: Database;
  readonly registry: ReceiptRegistry;
  readonly collateral: Collateral;
  readonly feed: PriceFeed;
}

const operation = defineOperation<CollateralServices>();

/** Who reads loans and margin calls: the lender organisation and the borrowers (the custodian holds goods, not loans). */
const loanReaders: readonly Allowed[] = [
  { org: 'lender', roles: ['officer', 'approver', 'auditor'] },
  { org: 'borrower', roles: ['owner', 'auditor'] },
];
const oracle: readonly Allowed[] = [{ org: 'custodian', roles: ['oracle'] }];

/** A refused feed as a problem document, each bad row listed in `problems`. */
async function feedProblems<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof FeedError)) throw error;
    throw new ApiError(error.code === 'PRICE_FEED_INVALID' ? 422 : 502, error.code, error.message, { problems: error.problems });
  }
}

const page = <T extends z.ZodType>(description: string, schema: T, example: unknown) => ({
  description,
  schema: z.object({ data: schema, next: z.string().nullable() }),
  example: { data: example, next: null },
});

export const operations = [
  operation({
    operationId: 'recordPrice',
    method: 'post',
    path: '/v1/prices',
    summary: 'Record a price mark on the ledger (RecordPrice); marking re-values every loan holding the commodity',
    tag: 'Collateral',
    who: 'custodian oracle',
    call: { kind: 'submit', tx: 'RecordPrice' },
    body: s.priceBody,
    response: s.priceMark,
    successStatus: 201,
    run: async ({ body, caller }, { registry }) => {
      const result = await registry.recordPrice(caller.identity, body);
      return committed({ ...result, data: markView(result.data) });
    },
  }),
  operation({
    operationId: 'listPrices',
    method: 'get',
    path: '/v1/prices',
    summary: "Every commodity's latest mark, its staleness limit and open stale-mark alarm",
    tag: 'Collateral',
    allowed: anyKnownCaller,
    response: s.commodityPriceList,
    successStatus: 200,
    run: async (_input, { collateral }) => ({ data: await collateral.listPrices() }),
  }),
  operation({
    operationId: 'getPriceHistory',
    method: 'get',
    path: '/v1/prices/{commodity}',
    summary: "A commodity's marks, newest first; `at` gives the mark in force then (the latest asOf at or before it)",
    tag: 'Collateral',
    allowed: anyKnownCaller,
    params: s.commodityParams,
    query: s.priceHistoryQuery,
    response: s.priceHistory,
    successStatus: 200,
    run: async ({ params, query }, { collateral }) => ({ data: await collateral.priceHistory(params.commodity, query.at === undefined ? undefined : new Date(query.at), query.limit) }),
  }),
  operation({
    operationId: 'importPrices',
    method: 'post',
    path: '/v1/price-imports',
    summary: 'Record the marks of a CSV or JSON feed document, checked whole first: one bad row refuses it all (PRICE_FEED_INVALID)',
    tag: 'Collateral',
    allowed: oracle,
    audit: 'ImportPrices',
    body: s.feedImportBody,
    response: s.feedImportResult,
    successStatus: 200,
    run: async ({ body, caller, write }, { collateral, db }) => {
      const result = await feedProblems(() => collateral.importMarks(caller.identity, parseFeed(body.content, body.format, body.source ?? 'manual import')));
      await write.record(db);
      return { data: result };
    },
  }),
  operation({
    operationId: 'pullPriceFeed',
    method: 'post',
    path: '/v1/price-feed/pull',
    summary: 'Pull the configured price feed (PRICE_FEED_URL) now instead of at its next interval',
    tag: 'Collateral',
    allowed: oracle,
    audit: 'PullPriceFeed',
    response: s.feedImportResult,
    successStatus: 200,
    run: async ({ write }, { feed, db }) => {
      const result = await feedProblems(() => feed.pull());
      await write.record(db);
      return { data: result };
    },
  }),
  operation({
    operationId: 'getPriceFeed',
    method: 'get',
    path: '/v1/price-feed',
    summary: "The price feed's configuration and its last pull: what it recorded, or why it refused the feed",
    tag: 'Collateral',
    allowed: anyKnownCaller,
    response: s.feedStatus,
    successStatus: 200,
    run: (_input, { feed }) => Promise.resolve({ data: feed.status() }),
  }),
  operation({
    operationId: 'listLoans',
    method: 'get',
    path: '/v1/loans',
    summary: "Loans the caller may see (the lender its own, a borrower its own) with value, LTV against the lines, and any open margin call",
    tag: 'Collateral',
    allowed: loanReaders,
    query: s.loanListQuery,
    response: s.loanList,
    documentedResponse: page('a page of loans in loan-reference order; `next` is the `after` of the next page', s.loanList, [s.loanSummaryExample]),
    successStatus: 200,
    run: async ({ query, caller }, { collateral }) => {
      const result = await collateral.listLoans(viewerOf(caller), query);
      return { data: result.items, extra: { next: result.next } };
    },
  }),
  operation({
    operationId: 'getPortfolio',
    method: 'get',
    path: '/v1/portfolio',
    summary: 'The 大屏 figures over the loans the caller may see: value and outstanding by currency, loans by LTV band, open margin calls',
    tag: 'Collateral',
    allowed: loanReaders,
    response: s.portfolio,
    successStatus: 200,
    run: async ({ caller }, { collateral }) => ({ data: await collateral.portfolio(viewerOf(caller)) }),
  }),
  operation({
    operationId: 'getLoan',
    method: 'get',
    path: '/v1/loans/{loanReference}',
    summary: 'A loan: value, outstanding, LTV against its warning and liquidation lines, its receipts, valuation history, repayments and margin calls',
    tag: 'Collateral',
    allowed: loanReaders,
    params: s.loanParams,
    query: s.loanQuery,
    response: s.loanDetail,
    successStatus: 200,
    run: async ({ params, query, caller }, { collateral }) => ({ data: await collateral.getLoan(viewerOf(caller), params.loanReference, query.lender) }),
  }),
  operation({
    operationId: 'recordRepayment',
    method: 'post',
    path: '/v1/loans/{loanReference}/repayments',
    summary: 'Record a repayment (RecordRepayment): the outstanding amount goes down, and an open margin call may be cured',
    tag: 'Collateral',
    who: 'lender officer',
    call: { kind: 'submit', tx: 'RecordRepayment' },
    params: s.loanParams,
    body: s.repaymentBody,
    response: { component: 'Loan' },
    successStatus: 201,
    run: async ({ params, body, caller }, { registry }) => committed(await registry.recordRepayment(caller.identity, params.loanReference, body)),
  }),
  operation({
    operationId: 'amendLoanTerms',
    method: 'post',
    path: '/v1/loans/{loanReference}/terms-amendment',
    summary: "Amend a loan's haircut, lines or cure hours, with a reason (AmendLoanTerms)",
    tag: 'Collateral',
    who: 'lender approver',
    call: { kind: 'submit', tx: 'AmendLoanTerms' },
    params: s.loanParams,
    body: s.termsAmendmentBody,
    response: { component: 'Loan' },
    successStatus: 200,
    run: async ({ params, body, caller }, { registry }) => committed(await registry.amendLoanTerms(caller.identity, params.loanReference, body.terms, body.reason)),
  }),
  operation({
    operationId: 'listMarginCalls',
    method: 'get',
    path: '/v1/margin-calls',
    summary: 'Margin calls the caller may see (the lender its loans, a borrower its own), by status (ACTIVE: open or escalated)',
    tag: 'Collateral',
    allowed: loanReaders,
    query: s.marginCallQuery,
    response: s.marginCallList,
    documentedResponse: page('a page of margin calls in id order; `next` is the `after` of the next page', s.marginCallList, [marginCallExample]),
    successStatus: 200,
    run: async ({ query, caller }, { collateral }) => {
      const result = await collateral.listCalls(viewerOf(caller), query);
      return { data: result.items, extra: { next: result.next } };
    },
  }),
  operation({
    operationId: 'getMarginCall',
    method: 'get',
    path: '/v1/margin-calls/{id}',
    summary: 'A margin call: what opened it, its deadline, the loan as last marked, and what cured, escalated or closed it',
    tag: 'Collateral',
    allowed: loanReaders,
    params: s.marginCallParams,
    response: s.marginCall,
    successStatus: 200,
    run: async ({ params, caller }, { collateral }) => ({ data: await collateral.getCall(viewerOf(caller), params.id) }),
  }),
];
