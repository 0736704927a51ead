import { internal } from './errors';
import type { Allowed } from './roles';

/** States whose quantity counts against the lot: the goods are still promised to someone. */
export const liveStatuses = ['DRAFT', 'ISSUED', 'PLEDGE_REQUESTED', 'PLEDGED', 'DEFAULTED', 'WITHDRAWAL_REQUESTED'] as const;

/** Terminal states: nothing moves a receipt out of them. */
export const terminalStatuses = ['CANCELLED', 'DELIVERED', 'SPLIT'] as const;

/** Every state a receipt can be in: live or terminal, never both. */
export const receiptStatuses = [...liveStatuses, ...terminalStatuses] as const;

export type ReceiptStatus = (typeof receiptStatuses)[number];

/** True while the receipt's quantity counts against its lot. */
export function isLive(status: ReceiptStatus): boolean {
  return (liveStatuses as readonly ReceiptStatus[]).includes(status);
}

/** One row of the lifecycle: which transaction moves a receipt from which states to which, and who may run it. */
export interface Transition {
  readonly tx: ReceiptTx;
  /** States the receipt must be in; empty means the transaction creates the receipt. */
  readonly from: readonly ReceiptStatus[];
  /** States the receipt may be left in ('unchanged': only an overlay such as a freeze changes). */
  readonly to: readonly ReceiptStatus[] | 'unchanged';
  readonly who: readonly Allowed[];
  /** Whether the transaction may run on a frozen receipt (only the holds themselves). */
  readonly whileFrozen: boolean;
  /** States refused with a code more precise than INVALID_STATE. */
  readonly refuse?: { readonly states: readonly ReceiptStatus[]; readonly code: 'ALREADY_PLEDGED' };
}

export const receiptTxs = [
  'DraftReceipt',
  'ConfirmReceipt',
  'CancelDraft',
  'RequestPledge',
  'AcceptPledge',
  'RejectPledge',
  'ReleasePledge',
  'ApproveRelease',
  'RejectRelease',
  'RequestReleaseOverride',
  'OverrideCovenant',
  'TransferOwnership',
  'SplitReceipt',
  'RequestWithdrawal',
  'ConfirmDelivery',
  'Freeze',
  'Unfreeze',
  'DeclareDefault',
  'Dispose',
] as const;

export type ReceiptTx = (typeof receiptTxs)[number];

const clerk: Allowed = { org: 'custodian', roles: ['clerk'] };
const supervisor: Allowed = { org: 'custodian', roles: ['supervisor'] };
const owner: Allowed = { org: 'borrower', roles: ['owner'] };
const officer: Allowed = { org: 'lender', roles: ['officer'] };
const approver: Allowed = { org: 'lender', roles: ['approver'] };
const holder: readonly Allowed[] = [{ org: 'lender', roles: ['officer', 'approver'] }, supervisor];

/**
 * The receipt lifecycle (docs/design.md section 4). The chaincode checks every receipt transaction against this table;
 * tests and documentation read it. Relationship rules (the owner, the named lender, the receipt's custodian) are
 * object visibility, checked after the role: a caller who is not party to the receipt gets NOT_FOUND.
 */
export const transitions: readonly Transition[] = [
  { tx: 'DraftReceipt', from: [], to: ['DRAFT'], who: [clerk], whileFrozen: false },
  { tx: 'ConfirmReceipt', from: ['DRAFT'], to: ['ISSUED'], who: [supervisor], whileFrozen: false },
  {
    tx: 'CancelDraft',
    from: ['DRAFT'],
    to: ['CANCELLED'],
    who: [{ org: 'custodian', roles: ['clerk', 'supervisor'] }],
    whileFrozen: false,
  },
  {
    tx: 'RequestPledge',
    from: ['ISSUED'],
    to: ['PLEDGE_REQUESTED'],
    who: [owner],
    whileFrozen: false,
    refuse: { states: ['PLEDGE_REQUESTED', 'PLEDGED', 'DEFAULTED'], code: 'ALREADY_PLEDGED' },
  },
  {
    tx: 'AcceptPledge',
    from: ['PLEDGE_REQUESTED'],
    to: ['PLEDGED'],
    who: [officer],
    whileFrozen: false,
    refuse: { states: ['PLEDGED', 'DEFAULTED'], code: 'ALREADY_PLEDGED' },
  },
  { tx: 'RejectPledge', from: ['PLEDGE_REQUESTED'], to: ['ISSUED'], who: [officer], whileFrozen: false },
  // Stays PLEDGED when the quantity is above the approval threshold (a release request waits for an approver).
  { tx: 'ReleasePledge', from: ['PLEDGED'], to: ['ISSUED', 'SPLIT', 'PLEDGED'], who: [officer], whileFrozen: false },
  { tx: 'ApproveRelease', from: ['PLEDGED'], to: ['ISSUED', 'SPLIT'], who: [approver], whileFrozen: false },
  { tx: 'RejectRelease', from: ['PLEDGED'], to: ['PLEDGED'], who: [approver], whileFrozen: false },
  // A release the loan's LTV covenant refuses waits for an approver's override (docs/collateral.md).
  { tx: 'RequestReleaseOverride', from: ['PLEDGED'], to: ['PLEDGED'], who: [officer], whileFrozen: false },
  { tx: 'OverrideCovenant', from: ['PLEDGED'], to: ['ISSUED', 'SPLIT'], who: [approver], whileFrozen: false },
  { tx: 'TransferOwnership', from: ['ISSUED'], to: ['ISSUED'], who: [owner], whileFrozen: false },
  { tx: 'SplitReceipt', from: ['ISSUED'], to: ['SPLIT'], who: [owner], whileFrozen: false },
  { tx: 'RequestWithdrawal', from: ['ISSUED'], to: ['WITHDRAWAL_REQUESTED'], who: [owner], whileFrozen: false },
  { tx: 'ConfirmDelivery', from: ['WITHDRAWAL_REQUESTED'], to: ['DELIVERED'], who: [supervisor], whileFrozen: false },
  // Holds are independent per organisation, so adding one must work while another organisation's hold is in place.
  { tx: 'Freeze', from: liveStatuses, to: 'unchanged', who: holder, whileFrozen: true },
  { tx: 'Unfreeze', from: liveStatuses, to: 'unchanged', who: holder, whileFrozen: true },
  { tx: 'DeclareDefault', from: ['PLEDGED'], to: ['DEFAULTED'], who: [approver], whileFrozen: false },
  { tx: 'Dispose', from: ['DEFAULTED'], to: ['ISSUED'], who: [approver], whileFrozen: false },
];

/** The table row of a receipt transaction. */
export function transitionOf(tx: ReceiptTx): Transition {
  const row = transitions.find((transition) => transition.tx === tx);
  if (row === undefined) {
    throw internal(`no transition row for ${tx}`);
  }
  return row;
}

/** Transactions that write lots, risk events or checkpoints (no receipt status changes of their own). */
export const recordAccess = {
  RegisterLot: [clerk],
  // The device gateway too: automated reconciliation from load cells, its reference naming the alarm and evidence.
  RecordStockCount: [{ org: 'custodian', roles: ['supervisor', 'device-gateway'] }],
  RecordRiskEvent: [{ org: 'custodian', roles: ['device-gateway', 'clerk', 'supervisor'] }],
  ResolveRiskEvent: [supervisor],
  RecordCheckpoint: [{ org: 'custodian', roles: ['device-gateway'] }],
} as const satisfies Record<string, readonly Allowed[]>;
