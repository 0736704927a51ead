import type { z } from 'zod';
import * as s from './schemas.js';

/** What a route does on the ledger: a transaction that is ordered and committed, or a query. */
export type LedgerCall = { readonly kind: 'submit' | 'evaluate'; readonly tx: string };

/**
 * One HTTP operation: its route, the schemas its input must satisfy, the chaincode transaction it maps to and how
 * its arguments are built. Express routes and the OpenAPI document are both generated from this table.
 */
export interface Operation {
  readonly operationId: string;
  readonly method: 'get' | 'post';
  /** OpenAPI path template (`{id}`); Express's `:id` is derived from it. */
  readonly path: string;
  readonly summary: string;
  readonly tag: 'Lots' | 'Receipts' | 'Risk events';
  /** Who may call it (documentation; the chaincode enforces it). */
  readonly who: string;
  readonly params?: z.ZodType<Record<string, string>>;
  readonly body?: z.ZodType;
  readonly call: LedgerCall;
  /** Chaincode arguments from the parsed path parameters and body. */
  readonly args: (params: Record<string, string>, body: unknown) => string[];
  readonly successStatus: 200 | 201;
}

const field = (body: unknown, name: string): string => {
  const value: unknown = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : '';
};
const json = (body: unknown): string => JSON.stringify(body ?? {});
const idOf = (params: Record<string, string>): string => params.id ?? '';

const receiptAction = (
  operationId: string,
  path: string,
  tx: string,
  summary: string,
  who: string,
  body: z.ZodType | undefined,
  args: (params: Record<string, string>, body: unknown) => string[],
): Operation => ({
  operationId,
  method: 'post',
  path: `/v1/receipts/{id}/${path}`,
  summary,
  tag: 'Receipts',
  who,
  params: s.idParams,
  ...(body ? { body } : {}),
  call: { kind: 'submit', tx },
  args,
  successStatus: 200,
});

const receiptQuery = (operationId: string, suffix: string, tx: string, summary: string, tag: Operation['tag'] = 'Receipts'): Operation => ({
  operationId,
  method: 'get',
  path: `/v1/receipts/{id}${suffix}`,
  summary,
  tag,
  who: 'parties to the receipt',
  params: s.idParams,
  call: { kind: 'evaluate', tx },
  args: (params) => [idOf(params)],
  successStatus: 200,
});

export const operations: readonly Operation[] = [
  {
    operationId: 'registerLot',
    method: 'post',
    path: '/v1/lots',
    summary: 'Register a lot of goods taken into a warehouse',
    tag: 'Lots',
    who: 'custodian clerk',
    body: s.lotBody,
    call: { kind: 'submit', tx: 'RegisterLot' },
    args: (_, body) => [json(body)],
    successStatus: 201,
  },
  {
    operationId: 'getLot',
    method: 'get',
    path: '/v1/lots/{id}',
    summary: "A lot, with its measured and receipted quantities (the custodian's books)",
    tag: 'Lots',
    who: 'custodian',
    params: s.idParams,
    call: { kind: 'evaluate', tx: 'GetLot' },
    args: (params) => [idOf(params)],
    successStatus: 200,
  },
  {
    operationId: 'recordStockCount',
    method: 'post',
    path: '/v1/lots/{id}/stock-counts',
    summary: 'Record a stock count; a count below the receipted quantity raises a shortfall and freezes the receipts',
    tag: 'Lots',
    who: 'custodian supervisor',
    params: s.idParams,
    body: s.stockCountBody,
    call: { kind: 'submit', tx: 'RecordStockCount' },
    args: (params, body) => [idOf(params), field(body, 'quantity'), field(body, 'reference')],
    successStatus: 200,
  },
  {
    operationId: 'draftReceipt',
    method: 'post',
    path: '/v1/receipts',
    summary: 'Draft a warehouse receipt against a lot (refused with OVER_ISSUE beyond the lot)',
    tag: 'Receipts',
    who: 'custodian clerk',
    body: s.receiptBody,
    call: { kind: 'submit', tx: 'DraftReceipt' },
    args: (_, body) => [json(body)],
    successStatus: 201,
  },
  receiptAction('confirmReceipt', 'confirm', 'ConfirmReceipt', 'Issue a drafted receipt (four eyes: not by its drafter)', 'custodian supervisor', s.emptyBody.optional(), (p) => [idOf(p)]),
  receiptAction('cancelDraft', 'cancellation', 'CancelDraft', 'Cancel a draft; its quantity goes back to the lot', 'custodian clerk or supervisor', s.reasonBody, (p, b) => [idOf(p), field(b, 'reason')]),
  receiptAction('requestPledge', 'pledge-request', 'RequestPledge', 'Offer the receipt to a lender as collateral', 'borrower owner', s.pledgeRequestBody, (p, b) => [idOf(p), json(b)]),
  receiptAction('acceptPledge', 'pledge-acceptance', 'AcceptPledge', 'Accept the pledge offered to this lender', 'lender officer', s.pledgeAcceptanceBody.optional(), (p, b) => [idOf(p), json(b)]),
  receiptAction('rejectPledge', 'pledge-rejection', 'RejectPledge', 'Decline the pledge offered to this lender', 'lender officer', s.reasonBody, (p, b) => [idOf(p), field(b, 'reason')]),
  receiptAction('releasePledge', 'release', 'ReleasePledge', 'Release all or part of a pledge (above the approval threshold: waits for an approver)', 'lender officer', s.releaseBody, (p, b) => [idOf(p), field(b, 'quantity')]),
  receiptAction('approveRelease', 'release-approval', 'ApproveRelease', 'Approve a pending release (four eyes: not by its requester)', 'lender approver', s.emptyBody.optional(), (p) => [idOf(p)]),
  receiptAction('rejectRelease', 'release-rejection', 'RejectRelease', 'Reject a pending release', 'lender approver', s.reasonBody, (p, b) => [idOf(p), field(b, 'reason')]),
  receiptAction('transferReceipt', 'transfer', 'TransferOwnership', 'Transfer an unencumbered receipt to another owner', 'borrower owner', s.transferBody, (p, b) => [idOf(p), field(b, 'newOwner')]),
  receiptAction('splitReceipt', 'split', 'SplitReceipt', 'Split an unencumbered receipt into parts that sum exactly to it', 'borrower owner', s.splitBody, (p, b) => [idOf(p), JSON.stringify((b as { quantities?: unknown } | undefined)?.quantities ?? [])]),
  receiptAction('requestWithdrawal', 'withdrawal-request', 'RequestWithdrawal', 'Ask for the goods to be delivered out', 'borrower owner', s.emptyBody.optional(), (p) => [idOf(p)]),
  receiptAction('confirmDelivery', 'delivery', 'ConfirmDelivery', 'Confirm the goods left the warehouse; the receipt is surrendered', 'custodian supervisor', s.emptyBody.optional(), (p) => [idOf(p)]),
  receiptAction('freezeReceipt', 'freeze', 'Freeze', "Put this organisation's hold on a receipt", 'lender officer/approver (its pledges), custodian supervisor', s.freezeBody, (p, b) => [idOf(p), field(b, 'reason'), field(b, 'reference')]),
  receiptAction('unfreezeReceipt', 'unfreeze', 'Unfreeze', "Lift this organisation's own hold", 'lender officer/approver, custodian supervisor', s.reasonBody, (p, b) => [idOf(p), field(b, 'reason')]),
  receiptAction('declareDefault', 'default', 'DeclareDefault', 'Declare the loan behind a pledge in default', 'lender approver', s.reasonBody, (p, b) => [idOf(p), field(b, 'reason')]),
  receiptAction('disposeCollateral', 'disposal', 'Dispose', 'Dispose of defaulted collateral to a buyer; the pledge closes', 'lender approver', s.disposalBody, (p, b) => [idOf(p), field(b, 'buyer')]),
  receiptQuery('getReceipt', '', 'GetReceipt', 'A receipt as the ledger holds it now'),
  receiptQuery('getReceiptHistory', '/history', 'GetHistory', 'Every version of a receipt with its ledger transaction, newest first'),
  receiptQuery(
    'getEncumbrance',
    '/encumbrance',
    'GetEncumbrance',
    "The lender's check: who owns the receipt and what encumbers it (pledge, holds, pending release, open risks)",
  ),
  receiptQuery('listReceiptRiskEvents', '/risk-events', 'ListRiskEvents', 'Risk events on a receipt and on its lot', 'Risk events'),
  {
    operationId: 'recordRiskEvent',
    method: 'post',
    path: '/v1/risk-events',
    summary: 'Record a risk event on a receipt or a lot (critical ones put a hold on it)',
    tag: 'Risk events',
    who: 'custodian device-gateway, clerk or supervisor',
    body: s.riskEventBody,
    call: { kind: 'submit', tx: 'RecordRiskEvent' },
    args: (_, body) => [json(body)],
    successStatus: 201,
  },
  {
    operationId: 'resolveRiskEvent',
    method: 'post',
    path: '/v1/risk-events/{id}/resolution',
    summary: 'Resolve a risk event; its hold is lifted',
    tag: 'Risk events',
    who: 'custodian supervisor',
    params: s.idParams,
    body: s.resolutionBody,
    call: { kind: 'submit', tx: 'ResolveRiskEvent' },
    args: (params, body) => [idOf(params), field(body, 'resolution')],
    successStatus: 200,
  },
];
