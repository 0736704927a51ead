import type { z } from 'zod';
import { receiptExample } from '../../http/component-examples.js';
import { emptyBody, idParams } from '../../http/fields.js';
import { committed, defineOperation, type LedgerCall, type Operation as ModuleOperation, type OperationTag, type Reply } from '../../http/operation.js';
import type { Identity } from '../../ledger/port.js';
import type { Committed, ReceiptRegistry } from '../../registry/receipt-registry.js';
import type { ReceiptQueries } from './receipt-queries.js';
import * as s from './schemas.js';

/** What the receipts module's operations are served by. */
export interface ReceiptServices {
  readonly registry: ReceiptRegistry;
  readonly receipts: ReceiptQueries;
}

/** An operation backed by a chaincode transaction: the chaincode enforces who may call it. */
export type Operation = ModuleOperation<ReceiptServices> & { readonly call: LedgerCall };

const operation = defineOperation<ReceiptServices>();

/** What a ledger operation declares; its `call` is derived from `tx` and the method. */
interface LedgerSpec<P extends z.ZodType | undefined, B extends z.ZodType | undefined> {
  readonly operationId: string;
  readonly path: string;
  readonly tx: string;
  readonly summary: string;
  readonly tag: OperationTag;
  readonly who: string;
  readonly params?: P;
  readonly body?: B;
  readonly component: string;
  readonly successStatus: 200 | 201;
}

type LedgerInput<P, B> = {
  readonly params: P extends z.ZodType ? z.output<P> : undefined;
  readonly body: B extends z.ZodType ? z.output<B> : undefined;
  readonly who: Identity;
};

function ledger<P extends z.ZodType | undefined, B extends z.ZodType | undefined, T>(
  spec: LedgerSpec<P, B>,
  call: LedgerCall,
  run: (input: LedgerInput<P, B>, registry: ReceiptRegistry) => Promise<Reply<T>>,
): Operation {
  const defined = operation<P, undefined, B, T>({
    operationId: spec.operationId,
    method: call.kind === 'submit' ? 'post' : 'get',
    path: spec.path,
    summary: spec.summary,
    tag: spec.tag,
    who: spec.who,
    call,
    ...(spec.params ? { params: spec.params } : {}),
    ...(spec.body ? { body: spec.body } : {}),
    response: { component: spec.component },
    successStatus: spec.successStatus,
    run: ({ params, body, caller }, { registry }) => run({ params, body, who: caller.identity }, registry),
  });
  return { ...defined, call };
}

/** A chaincode transaction that is ordered and committed: it answers its result and its transaction. */
function submit<P extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined, T = unknown>(
  spec: LedgerSpec<P, B> & { readonly run: (input: LedgerInput<P, B>, registry: ReceiptRegistry) => Promise<Committed<T>> },
): Operation {
  return ledger(spec, { kind: 'submit', tx: spec.tx }, async (input, registry) => committed(await spec.run(input, registry)));
}

/** A chaincode query against committed state. */
function query<P extends z.ZodType | undefined = undefined, T = unknown>(
  spec: LedgerSpec<P, undefined> & { readonly run: (input: LedgerInput<P, undefined>, registry: ReceiptRegistry) => Promise<T> },
): Operation {
  return ledger(spec, { kind: 'evaluate', tx: spec.tx }, async (input, registry) => ({ data: await spec.run(input, registry) }));
}

/** A receipt transition: POST /v1/receipts/{id}/{action}, answering the receipt as it is after the commit. */
function transition<B extends z.ZodType | undefined = undefined>(
  operationId: string,
  action: string,
  tx: string,
  summary: string,
  who: string,
  body: B,
  run: (registry: ReceiptRegistry, who: Identity, id: string, body: B extends z.ZodType ? z.output<B> : undefined) => Promise<Committed<unknown>>,
): Operation {
  return submit({
    operationId,
    path: `/v1/receipts/{id}/${action}`,
    tx,
    summary,
    tag: 'Receipts',
    who,
    params: idParams,
    body,
    component: 'Receipt',
    successStatus: 200,
    run: ({ params, body: parsed, who: identity }, registry) => run(registry, identity, params.id, parsed),
  });
}

/** A read of one receipt by id, for the parties to it. */
function receiptQuery(
  operationId: string,
  suffix: string,
  tx: string,
  summary: string,
  component: string,
  read: (registry: ReceiptRegistry, who: Identity, id: string) => Promise<unknown>,
  tag: OperationTag = 'Receipts',
): Operation {
  return query({
    operationId,
    path: `/v1/receipts/{id}${suffix}`,
    tx,
    summary,
    tag,
    who: 'parties to the receipt',
    params: idParams,
    component,
    successStatus: 200,
    run: ({ params, who }, registry) => read(registry, who, params.id),
  });
}

const optionalEmpty = emptyBody.optional();

/** The receipts module's ledger operations: each one chaincode transaction. */
export const operations: readonly Operation[] = [
  submit({
    operationId: 'registerLot',
    path: '/v1/lots',
    tx: 'RegisterLot',
    summary: 'Register a lot of goods taken into a warehouse',
    tag: 'Lots',
    who: 'custodian clerk',
    body: s.lotBody,
    component: 'Lot',
    successStatus: 201,
    run: ({ body, who }, registry) => registry.registerLot(who, body),
  }),
  query({
    operationId: 'getLot',
    path: '/v1/lots/{id}',
    tx: 'GetLot',
    summary: "A lot, with its measured and receipted quantities (the custodian's books)",
    tag: 'Lots',
    who: 'custodian',
    params: idParams,
    component: 'Lot',
    successStatus: 200,
    run: ({ params, who }, registry) => registry.getLot(who, params.id),
  }),
  submit({
    operationId: 'recordStockCount',
    path: '/v1/lots/{id}/stock-counts',
    tx: 'RecordStockCount',
    summary: 'Record a stock count; a count below the receipted quantity raises a shortfall and freezes the receipts',
    tag: 'Lots',
    who: 'custodian supervisor or device-gateway',
    params: idParams,
    body: s.stockCountBody,
    component: 'Lot',
    successStatus: 200,
    run: ({ params, body, who }, registry) => registry.recordStockCount(who, params.id, body.quantity, body.reference),
  }),
  submit({
    operationId: 'draftReceipt',
    path: '/v1/receipts',
    tx: 'DraftReceipt',
    summary: 'Draft a warehouse receipt against a lot (refused with OVER_ISSUE beyond the lot)',
    tag: 'Receipts',
    who: 'custodian clerk',
    body: s.receiptBody,
    component: 'Receipt',
    successStatus: 201,
    run: ({ body, who }, registry) => registry.draftReceipt(who, body),
  }),
  transition('confirmReceipt', 'confirm', 'ConfirmReceipt', 'Issue a drafted receipt (four eyes: not by its drafter)', 'custodian supervisor', optionalEmpty, (r, who, id) => r.confirmReceipt(who, id)),
  transition('cancelDraft', 'cancellation', 'CancelDraft', 'Cancel a draft; its quantity goes back to the lot', 'custodian clerk or supervisor', s.reasonBody, (r, who, id, b) => r.cancelDraft(who, id, b.reason)),
  transition('requestPledge', 'pledge-request', 'RequestPledge', 'Offer the receipt to a lender as collateral', 'borrower owner', s.pledgeRequestBody, (r, who, id, b) => r.requestPledge(who, id, b)),
  transition('acceptPledge', 'pledge-acceptance', 'AcceptPledge', 'Accept the pledge offered to this lender', 'lender officer', s.pledgeAcceptanceBody.optional(), (r, who, id, b) => r.acceptPledge(who, id, b ?? {})),
  transition('rejectPledge', 'pledge-rejection', 'RejectPledge', 'Decline the pledge offered to this lender', 'lender officer', s.reasonBody, (r, who, id, b) => r.rejectPledge(who, id, b.reason)),
  transition('releasePledge', 'release', 'ReleasePledge', 'Release all or part of a pledge (above the approval threshold: waits for an approver)', 'lender officer', s.releaseBody, (r, who, id, b) => r.releasePledge(who, id, b.quantity)),
  transition('approveRelease', 'release-approval', 'ApproveRelease', 'Approve a pending release (four eyes: not by its requester)', 'lender approver', optionalEmpty, (r, who, id) => r.approveRelease(who, id)),
  transition('requestReleaseOverride', 'release-override-request', 'RequestReleaseOverride', "Ask for a release the loan's LTV covenant refuses (LTV_COVENANT) to wait for an approver's override", 'lender officer', s.releaseBody, (r, who, id, b) => r.requestReleaseOverride(who, id, b.quantity)),
  transition('overrideCovenant', 'covenant-override', 'OverrideCovenant', 'Let a covenant-refused release go ahead, with a reason (four eyes: not by its requester)', 'lender approver', s.reasonBody, (r, who, id, b) => r.overrideCovenant(who, id, b.reason)),
  transition('rejectRelease', 'release-rejection', 'RejectRelease', 'Reject a pending release', 'lender approver', s.reasonBody, (r, who, id, b) => r.rejectRelease(who, id, b.reason)),
  transition('transferReceipt', 'transfer', 'TransferOwnership', 'Transfer an unencumbered receipt to another owner', 'borrower owner', s.transferBody, (r, who, id, b) => r.transferOwnership(who, id, b.newOwner)),
  transition('splitReceipt', 'split', 'SplitReceipt', 'Split an unencumbered receipt into parts that sum exactly to it', 'borrower owner', s.splitBody, (r, who, id, b) => r.splitReceipt(who, id, b.quantities)),
  transition('requestWithdrawal', 'withdrawal-request', 'RequestWithdrawal', 'Ask for the goods to be delivered out', 'borrower owner', optionalEmpty, (r, who, id) => r.requestWithdrawal(who, id)),
  transition('confirmDelivery', 'delivery', 'ConfirmDelivery', 'Confirm the goods left the warehouse; the receipt is surrendered', 'custodian supervisor', optionalEmpty, (r, who, id) => r.confirmDelivery(who, id)),
  transition('freezeReceipt', 'freeze', 'Freeze', "Put this organisation's hold on a receipt", 'lender officer/approver (its pledges), custodian supervisor', s.freezeBody, (r, who, id, b) => r.freeze(who, id, b.reason, b.reference)),
  transition('unfreezeReceipt', 'unfreeze', 'Unfreeze', "Lift this organisation's own hold", 'lender officer/approver, custodian supervisor', s.reasonBody, (r, who, id, b) => r.unfreeze(who, id, b.reason)),
  transition('declareDefault', 'default', 'DeclareDefault', 'Declare the loan behind a pledge in default', 'lender approver', s.reasonBody, (r, who, id, b) => r.declareDefault(who, id, b.reason)),
  transition('disposeCollateral', 'disposal', 'Dispose', 'Dispose of defaulted collateral to a buyer; the pledge closes', 'lender approver', s.disposalBody, (r, who, id, b) => r.dispose(who, id, b.buyer)),
  receiptQuery('getReceipt', '', 'GetReceipt', 'A receipt as the ledger holds it now', 'Receipt', (r, who, id) => r.getReceipt(who, id)),
  receiptQuery('getReceiptHistory', '/history', 'GetHistory', 'Every version of a receipt with its ledger transaction, newest first', 'ReceiptHistoryList', (r, who, id) => r.getHistory(who, id)),
  receiptQuery(
    'getEncumbrance',
    '/encumbrance',
    'GetEncumbrance',
    "The lender's check: who owns the receipt and what encumbers it (pledge, holds, pending release, open risks)",
    'Encumbrance',
    (r, who, id) => r.getEncumbrance(who, id),
  ),
  receiptQuery('listReceiptRiskEvents', '/risk-events', 'ListRiskEvents', 'Risk events on a receipt and on its lot', 'RiskEventList', (r, who, id) => r.listRiskEvents(who, id), 'Risk events'),
  submit({
    operationId: 'recordRiskEvent',
    path: '/v1/risk-events',
    tx: 'RecordRiskEvent',
    summary: 'Record a risk event on a receipt or a lot, optionally linked to its alarm (critical ones put a hold on it)',
    tag: 'Risk events',
    who: 'custodian device-gateway, clerk or supervisor',
    body: s.riskEventBody,
    component: 'RiskEventRecord',
    successStatus: 201,
    run: ({ body, who }, registry) => registry.recordRiskEvent(who, body),
  }),
  submit({
    operationId: 'resolveRiskEvent',
    path: '/v1/risk-events/{id}/resolution',
    tx: 'ResolveRiskEvent',
    summary: 'Resolve a risk event; its hold is lifted',
    tag: 'Risk events',
    who: 'custodian supervisor',
    params: idParams,
    body: s.resolutionBody,
    component: 'RiskEventRecord',
    successStatus: 200,
    run: ({ params, body, who }, registry) => registry.resolveRiskEvent(who, params.id, body.resolution),
  }),
];

/** GET /v1/receipts: served from the projection of ledger events, not by a chaincode query. */
export const listReceipts = operation({
  operationId: 'listReceipts',
  method: 'get',
  path: '/v1/receipts',
  summary: 'Receipts the caller may see, filtered and paged (from the projection of ledger events)',
  tag: 'Receipts',
  who: 'anyone; each sees the receipts the chaincode would show them',
  query: s.receiptListQuery,
  response: { component: 'Receipt' },
  documentedResponse: {
    description: 'a page; `next` is the `after` of the next page, `asOfBlock` the last ledger block projected',
    schema: {
      type: 'object',
      required: ['data', 'next', 'asOfBlock'],
      properties: {
        data: { type: 'array', items: { $ref: '#/components/schemas/Receipt' } },
        next: { type: ['string', 'null'] },
        asOfBlock: { type: ['integer', 'null'] },
      },
      example: { data: [receiptExample], next: null, asOfBlock: 42 },
    },
  },
  successStatus: 200,
  run: async ({ query, caller }, { receipts }) => {
    const page = await receipts.list({ mspId: caller.record.mspId, user: caller.record.user, role: caller.record.role }, query);
    return { data: page.items, extra: { next: page.next, asOfBlock: page.asOfBlock === null ? null : Number(page.asOfBlock) } };
  },
});
