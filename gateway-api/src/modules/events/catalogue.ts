import { loanExample as ledgerLoan, receiptExample } from '../../http/component-examples.js';

/**
 * Every event type the registry tells, with the object it is about, what it means and an example of its `data` (the
 * OpenAPI document's `webhooks` and docs/events.md show them; a test compares each example's shape with real events).
 * Types are `<object>.<what happened>`; a new one is added here, never renamed.
 */
export const eventCatalogue = {
  'receipt.drafted': { object: 'receipt', summary: 'a custodian clerk drafted a receipt on a lot (ReceiptDrafted)' },
  'receipt.issued': { object: 'receipt', summary: 'the custodian supervisor confirmed a draft: the receipt is issued (ReceiptIssued)' },
  'receipt.draft-cancelled': { object: 'receipt', summary: 'a draft was cancelled before issue (DraftCancelled)' },
  'receipt.withdrawal-requested': { object: 'receipt', summary: 'the owner asked for the goods out (WithdrawalRequested)' },
  'receipt.delivered': { object: 'receipt', summary: 'the goods left the warehouse against the receipt (GoodsDelivered)' },
  'receipt.frozen': { object: 'receipt', summary: 'a party put a hold on the receipt by hand (ReceiptFrozen)' },
  'receipt.unfrozen': { object: 'receipt', summary: 'a party lifted its hold (ReceiptUnfrozen)' },
  'receipt.transferred': { object: 'receipt', summary: 'the owner transferred the receipt; told to the previous owner too (OwnershipTransferred)' },
  'receipt.split': { object: 'receipt', summary: 'the owner split the receipt into children (ReceiptSplit)' },
  'receipt.pledge-requested': { object: 'receipt', summary: 'the owner asked a lender to accept a pledge (PledgeRequested)' },
  'receipt.pledge-accepted': { object: 'receipt', summary: 'the lender accepted the pledge (PledgeAccepted)' },
  'receipt.pledge-rejected': { object: 'receipt', summary: 'the lender rejected the pledge request (PledgeRejected)' },
  'receipt.release-requested': { object: 'receipt', summary: 'a release above the four-eyes threshold waits for an approver (ReleaseRequested)' },
  'receipt.release-rejected': { object: 'receipt', summary: 'the approver rejected the pending release (ReleaseRejected)' },
  'receipt.released': { object: 'receipt', summary: 'the lender released the pledge, wholly or in part; told to the lender after it lost sight (PledgeReleased)' },
  'receipt.default-declared': { object: 'receipt', summary: 'the lender declared the loan in default (DefaultDeclared)' },
  'receipt.disposed': { object: 'receipt', summary: 'the lender disposed of the collateral (CollateralDisposed)' },
  'receipt.held': { object: 'receipt', summary: "the custodian's risk hold was put on the receipt by a critical risk event or a stock shortfall" },
  'receipt.hold-lifted': { object: 'receipt', summary: 'the risk event behind a hold was resolved, and its hold lifted' },
  'lot.registered': { object: 'lot', summary: 'the custodian registered a lot of goods (LotRegistered; the custodian only)' },
  'lot.stock-counted': { object: 'lot', summary: 'a stock count was recorded on the lot (StockCounted; the custodian only)' },
  'risk-event.recorded': { object: 'risk-event', summary: 'a risk event was recorded on a lot or receipt (RiskEventRecorded, StockCounted with a shortfall)' },
  'risk-event.resolved': { object: 'risk-event', summary: 'a risk event was resolved (RiskEventResolved)' },
  'alarm.raised': { object: 'alarm', summary: 'a rule raised an alarm (an episode began)' },
  'alarm.cleared': { object: 'alarm', summary: 'the alarm cleared in device time' },
  'alarm.withdrawn': { object: 'alarm', summary: 'late readings showed the episode never happened' },
  'alarm.acknowledged': { object: 'alarm', summary: 'a person acknowledged the alarm' },
  'alarm.shelved': { object: 'alarm', summary: 'a person shelved the alarm until a time' },
  'work-order.created': { object: 'work-order', summary: 'a work order was raised (from an alarm, a schedule, or by hand)' },
  'work-order.assigned': { object: 'work-order', summary: 'the work order was assigned (or reassigned)' },
  'work-order.started': { object: 'work-order', summary: 'work started' },
  'work-order.waiting': { object: 'work-order', summary: 'the work order waits for someone outside (its SLA clocks pause)' },
  'work-order.resolved': { object: 'work-order', summary: 'the work order was resolved' },
  'work-order.closed': { object: 'work-order', summary: 'the work order was closed' },
  'work-order.reopened': { object: 'work-order', summary: 'the work order was reopened' },
  'work-order.escalated': { object: 'work-order', summary: 'an SLA escalation step was taken (notify, reassign, raise priority)' },
  'price.recorded': { object: 'price', summary: 'the oracle recorded a price mark on the ledger (PriceRecorded; told to everyone)' },
  'price.stale': { object: 'price', summary: "a commodity's latest mark grew older than its limit: a stale-mark alarm (told to everyone)" },
  'price.stale-cleared': { object: 'price', summary: 'a fresh mark cleared the stale-mark alarm (told to everyone)' },
  'loan.opened': { object: 'loan', summary: "the loan's first pledge was accepted, setting its terms (PledgeAccepted; the lender and the borrower)" },
  'loan.terms-amended': { object: 'loan', summary: "a lender approver amended the loan's terms (LoanTermsAmended)" },
  'loan.repayment-recorded': { object: 'loan', summary: 'the lender recorded a repayment; the outstanding amount went down (RepaymentRecorded)' },
  'margin-call.opened': { object: 'margin-call', summary: 'marking found the loan at or above its warning line: the borrower is called to top up (追加保证金 / 补货)' },
  'margin-call.escalated': { object: 'margin-call', summary: "the call passed its deadline uncured, or the loan reached its liquidation line: the lender's approver decides" },
  'margin-call.cured': { object: 'margin-call', summary: 'the loan is below its warning line again (a pledge, a repayment, a price or amended terms)' },
  'margin-call.closed': { object: 'margin-call', summary: 'the lender declared the loan in default: the call ends without a cure' },
  'checkpoint.anchored': { object: 'checkpoint', summary: 'a Merkle checkpoint of evidence was anchored on the EVM chain (told to everyone)' },
} as const satisfies Record<string, { readonly object: string; readonly summary: string }>;

export type EventType = keyof typeof eventCatalogue;

export const eventTypes = Object.keys(eventCatalogue) as EventType[];

export const isEventType = (type: string): type is EventType => Object.hasOwn(eventCatalogue, type);

const txId = '7d3c5f0e8b2a41c69e0f1d2c3b4a59687766554433221100ffeeddccbbaa9988';
const ledger = { txId, blockNumber: 42, event: 'PledgeAccepted' };
const receipt = receiptExample;
const receiptData = (event: string, change: Record<string, unknown>, view: Record<string, unknown> = receipt) => ({
  receiptId: receipt.id,
  receiptIds: [receipt.id],
  ledger: { ...ledger, event },
  change,
  receipt: view,
});
/** The loan a pledge belongs to, as receipt events name it. */
const loanKey = { lender: 'LenderMSP', loanReference: 'LOAN-2026-118' };
const alarm = {
  id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  ruleId: 'chilled-high',
  ruleVersion: 1,
  ruleHash: `0x${'5e'.repeat(32)}`,
  kind: 'sustained',
  metric: 'temperature',
  severity: 'critical',
  subject: { warehouseId: 'WH-QINGDAO-01', lotId: 'LOT-QD-0001', deviceId: 'T-0007' },
  state: 'ACTIVE',
  startedAt: '2026-11-20T03:10:00.000Z',
  clearedAt: null,
  detail: 'temperature above 4 for 15 min (max 7.2)',
};
const workOrder = {
  id: 'WO-000017',
  state: 'ASSIGNED',
  priority: 'P1',
  severity: 'critical',
  source: { type: 'alarm', alarmId: alarm.id },
  title: alarm.detail,
  warehouseId: 'WH-QINGDAO-01',
  lotId: 'LOT-QD-0001',
  assignee: 'supervisor',
};
const riskEvent = {
  id: 'alarm-a1b2c3d4e5f60718293a4b5c6d7e8f90',
  kind: 'ALARM_SUSTAINED',
  severity: 'critical',
  lotId: 'LOT-QD-0001',
  receiptId: null,
  alarmId: alarm.id,
};

export const priceExample = {
  commodity: 'copper cathode',
  unit: 't',
  price: '68250.5',
  currency: 'CNY',
  source: 'SHFE settlement',
  asOf: '2026-12-02T07:00:00.000Z',
  recordedBy: 'oracle',
  recordedAt: '2026-12-02T07:00:03.000Z',
  txId,
};
export const priceAlarmExample = { id: 'pa_3f2a9c1d', commodity: 'copper cathode', asOf: '2026-11-30T07:00:00.000Z', limitHours: 48, raisedAt: '2026-12-02T07:00:01.000Z', clearedAt: null, clearedByAsOf: null };
/** A loan as events show it: the ledger's record without its bookkeeping. */
export const loanExample = (({ docType: _docType, updatedAt: _updatedAt, lastTxId: _lastTxId, ...rest }: typeof ledgerLoan) => rest)(ledgerLoan);
export const marginCallExample = {
  id: 'mc_8c1f0e2d4b6a7988',
  lender: 'LenderMSP',
  loanReference: 'LOAN-2026-118',
  borrower: { mspId: 'BorrowerMSP', id: 'alice' },
  currency: 'CNY',
  status: 'OPEN',
  openedAt: '2026-12-02T09:00:00.000Z',
  openedBy: { kind: 'PRICE', txId, at: '2026-12-02T09:00:00.000Z' },
  deadline: '2026-12-05T09:00:00.000Z',
  warningLtv: '0.7',
  liquidationLtv: '0.85',
  openedLtv: '0.731',
  ltv: '0.731',
  value: '2735978.11',
  outstanding: '2000000',
  escalatedAt: null,
  escalation: null,
  endedAt: null,
  endedBy: null,
};

/** An example of each type's `data`. */
export const eventExamples: Readonly<Record<EventType, Readonly<Record<string, unknown>>>> = {
  'receipt.drafted': receiptData('ReceiptDrafted', { status: 'DRAFT', lotId: 'LOT-QD-0001', quantity: '500' }, { ...receipt, status: 'DRAFT', pledge: null }),
  'receipt.issued': receiptData('ReceiptIssued', { status: 'ISSUED' }, { ...receipt, status: 'ISSUED', pledge: null }),
  'receipt.draft-cancelled': receiptData('DraftCancelled', { status: 'CANCELLED', lotId: 'LOT-QD-0001', reason: 'weighbridge ticket wrong' }),
  'receipt.withdrawal-requested': receiptData('WithdrawalRequested', { status: 'WITHDRAWAL_REQUESTED' }),
  'receipt.delivered': receiptData('GoodsDelivered', { status: 'DELIVERED', lotId: 'LOT-QD-0001', quantity: '500' }),
  'receipt.frozen': receiptData('ReceiptFrozen', { status: 'PLEDGED', org: 'LenderMSP', reason: 'court order 2026-0311', reference: 'case 88', frozen: true }),
  'receipt.unfrozen': receiptData('ReceiptUnfrozen', { status: 'PLEDGED', org: 'LenderMSP', reason: 'order lifted', frozen: false }),
  'receipt.transferred': receiptData('OwnershipTransferred', {
    status: 'ISSUED',
    previousOwner: { mspId: 'BorrowerMSP', id: 'alice' },
    newOwner: { mspId: 'BorrowerMSP', id: 'bob' },
  }),
  'receipt.split': { ...receiptData('ReceiptSplit', { status: 'SPLIT', children: [`${receipt.id}.1`, `${receipt.id}.2`] }), receiptIds: [receipt.id, `${receipt.id}.1`, `${receipt.id}.2`] },
  'receipt.pledge-requested': receiptData('PledgeRequested', { status: 'PLEDGE_REQUESTED', lender: 'LenderMSP', loanReference: 'LOAN-2026-118' }),
  'receipt.pledge-accepted': receiptData('PledgeAccepted', { status: 'PLEDGED', lender: 'LenderMSP', loan: loanKey }),
  'receipt.pledge-rejected': receiptData('PledgeRejected', { status: 'ISSUED', lender: 'LenderMSP', reason: 'insufficient documents' }),
  'receipt.release-requested': receiptData('ReleaseRequested', { status: 'PLEDGED', quantity: '500', threshold: '100' }),
  'receipt.release-rejected': receiptData('ReleaseRejected', { status: 'PLEDGED', quantity: '500', reason: 'loan not repaid' }),
  'receipt.released': receiptData('PledgeReleased', { status: 'ISSUED', released: receipt.id, remaining: null, quantity: '500', loan: loanKey }),
  'receipt.default-declared': receiptData('DefaultDeclared', { status: 'DEFAULTED', lender: 'LenderMSP', reason: 'payment 90 days overdue', loan: loanKey }),
  'receipt.disposed': receiptData('CollateralDisposed', { status: 'DISPOSED', lender: 'LenderMSP', loan: loanKey }),
  'receipt.held': { ...receiptData('RiskEventRecorded', { riskEventId: riskEvent.id, severity: 'critical' }), receiptIds: [receipt.id] },
  'receipt.hold-lifted': { ...receiptData('RiskEventResolved', { riskEventId: riskEvent.id }), receiptIds: [receipt.id] },
  'lot.registered': { lotId: 'LOT-QD-0001', ledger: { ...ledger, event: 'LotRegistered' }, change: { warehouseId: 'WH-QINGDAO-01', quantity: '1000.005' } },
  'lot.stock-counted': {
    lotId: 'LOT-QD-0001',
    ledger: { ...ledger, event: 'StockCounted' },
    change: { quantity: '980', receiptedQuantity: '1000', shortfall: '20', riskEventId: 'count-LOT-QD-0001-42' },
  },
  'risk-event.recorded': { riskEvent, ledger: { ...ledger, event: 'RiskEventRecorded' } },
  'risk-event.resolved': { riskEvent: { id: riskEvent.id, lotId: riskEvent.lotId, receiptId: null }, ledger: { ...ledger, event: 'RiskEventResolved' } },
  'alarm.raised': { alarm },
  'alarm.cleared': { alarm: { ...alarm, state: 'CLEARED', clearedAt: '2026-11-20T03:40:00.000Z' } },
  'alarm.withdrawn': { alarm: { ...alarm, state: 'WITHDRAWN' } },
  'alarm.acknowledged': { alarm, by: 'supervisor', note: 'door closed, compressor restarted' },
  'alarm.shelved': { alarm: { ...alarm, severity: 'warning' }, by: 'supervisor', until: '2026-11-20T05:00:00.000Z', reason: 'defrost cycle' },
  'work-order.created': {
    workOrder: { ...workOrder, state: 'OPEN', assignee: null },
    entry: { seq: 0, at: '2026-11-20T03:25:00.000Z', actor: 'service.supervision', action: 'create', from: null, to: 'OPEN', priority: 'P1' },
  },
  'work-order.assigned': { workOrder, entry: { seq: 1, at: '2026-11-20T03:30:00.000Z', actor: 'supervisor', action: 'assign', from: 'OPEN', to: 'ASSIGNED', assignee: 'clerk' } },
  'work-order.started': { workOrder: { ...workOrder, state: 'IN_PROGRESS' }, entry: { seq: 2, at: '2026-11-20T03:35:00.000Z', actor: 'clerk', action: 'start', from: 'ASSIGNED', to: 'IN_PROGRESS' } },
  'work-order.waiting': {
    workOrder: { ...workOrder, state: 'WAITING' },
    entry: { seq: 3, at: '2026-11-20T03:50:00.000Z', actor: 'clerk', action: 'wait', from: 'IN_PROGRESS', to: 'WAITING', note: 'waiting for the compressor engineer' },
  },
  'work-order.resolved': {
    workOrder: { ...workOrder, state: 'RESOLVED' },
    entry: { seq: 4, at: '2026-11-20T04:20:00.000Z', actor: 'clerk', action: 'resolve', from: 'WAITING', to: 'RESOLVED', evidenceIds: ['01JD6Q2M3N4P5Q6R7S8T9V0W1X'] },
  },
  'work-order.closed': { workOrder: { ...workOrder, state: 'CLOSED' }, entry: { seq: 5, at: '2026-11-20T04:30:00.000Z', actor: 'supervisor', action: 'close', from: 'RESOLVED', to: 'CLOSED' } },
  'work-order.reopened': {
    workOrder: { ...workOrder, state: 'ASSIGNED' },
    entry: { seq: 6, at: '2026-11-21T01:00:00.000Z', actor: 'supervisor', action: 'reopen', from: 'CLOSED', to: 'ASSIGNED', assignee: 'clerk' },
  },
  'work-order.escalated': {
    workOrder: { ...workOrder, priority: 'P1' },
    entry: { seq: 2, at: '2026-11-20T03:55:00.000Z', actor: 'work-orders.escalation', action: 'escalate', from: 'ASSIGNED', to: 'ASSIGNED', escalation: { clock: 'acknowledge', percent: 100, action: 'notify' } },
  },
  'price.recorded': { price: priceExample, latest: true, ledger: { ...ledger, event: 'PriceRecorded' } },
  'price.stale': { alarm: priceAlarmExample },
  'price.stale-cleared': { alarm: { ...priceAlarmExample, clearedAt: '2026-12-03T09:00:05.000Z', clearedByAsOf: '2026-12-03T09:00:00.000Z' } },
  'loan.opened': { loan: loanExample, ledger: { ...ledger, event: 'PledgeAccepted' } },
  'loan.terms-amended': { loan: loanExample, previousTerms: { ...loanExample.terms, warningLtv: '0.75' }, reason: 'credit committee 2026-48', ledger: { ...ledger, event: 'LoanTermsAmended' } },
  'loan.repayment-recorded': {
    loan: { ...loanExample, repaid: '500000', outstanding: '1500000' },
    repayment: { reference: 'PAY-2026-0091', amount: '500000', currency: 'CNY', outstandingAfter: '1500000' },
    ledger: { ...ledger, event: 'RepaymentRecorded' },
  },
  'margin-call.opened': { marginCall: marginCallExample },
  'margin-call.escalated': { marginCall: { ...marginCallExample, status: 'ESCALATED', escalatedAt: '2026-12-05T09:00:00.000Z', escalation: 'DEADLINE_PASSED' } },
  'margin-call.cured': { marginCall: { ...marginCallExample, status: 'CURED', ltv: '0.64', endedAt: '2026-12-03T15:20:00.000Z', endedBy: { kind: 'PLEDGE', txId, at: '2026-12-03T15:20:00.000Z' } } },
  'margin-call.closed': { marginCall: { ...marginCallExample, status: 'CLOSED', endedAt: '2026-12-06T10:00:00.000Z', endedBy: { kind: 'DEFAULT', txId, at: '2026-12-06T10:00:00.000Z' } } },
  'checkpoint.anchored': {
    checkpoint: {
      seq: 12,
      prevHash: `0x${'1f'.repeat(32)}`,
      firstLeafIndex: 11000,
      leafCount: 1000,
      root: `0x${'ab'.repeat(32)}`,
      createdAt: '2026-11-20T03:00:00.000Z',
      hash: `0x${'cd'.repeat(32)}`,
    },
    anchor: { chainId: 31337, contract: `0x${'5f'.repeat(20)}`, txHash: `0x${'9e'.repeat(32)}`, blockNumber: 118, blockHash: `0x${'7a'.repeat(32)}`, blockTimestamp: 1763607612 },
  },
};
