import { recordAccess, transitions, type ReceiptTx } from '@wr/chaincode/transitions';
import type { Receipt, Session } from './api/client';

/**
 * The receipt transactions this caller may run on this receipt now, straight from the chaincode's lifecycle table:
 * the caller's organisation and role are among the row's `who`, the receipt is in one of its `from` states, and it is
 * not frozen unless the row runs while frozen. The ledger checks the rest (visibility, four eyes, quantities) and
 * its refusal is shown with its code. Approving or rejecting a release also needs a release to be waiting.
 */
export function allowedActions(receipt: Receipt, session: Session): ReceiptTx[] {
  return transitions
    .filter((row) => row.from.length > 0)
    .filter((row) => row.who.some((allowed) => allowed.org === session.org && (allowed.roles as readonly string[]).includes(session.role)))
    .filter((row) => row.from.includes(receipt.status))
    .filter((row) => row.whileFrozen || !receipt.frozen)
    .filter((row) => (row.tx === 'ApproveRelease' || row.tx === 'RejectRelease' ? receipt.pendingRelease != null : true))
    // A release the loan's covenant refused waits for an override, not an approval (docs/collateral.md).
    .filter((row) => (row.tx === 'ApproveRelease' ? receipt.pendingRelease?.covenant === undefined : true))
    .filter((row) => (row.tx === 'OverrideCovenant' ? receipt.pendingRelease?.covenant !== undefined : true))
    .filter((row) => (row.tx === 'RequestReleaseOverride' ? receipt.pendingRelease == null : true))
    .map((row) => row.tx);
}

/** Whether this caller may draft receipts (the table's row with no `from`). */
export function mayDraft(session: Session): boolean {
  const row = transitions.find((each) => each.tx === 'DraftReceipt');
  return row?.who.some((allowed) => allowed.org === session.org && (allowed.roles as readonly string[]).includes(session.role)) ?? false;
}

/** Whether this caller may register lots (the chaincode's record access table). */
export function mayRegisterLots(session: Session): boolean {
  return recordAccess.RegisterLot.some((allowed) => allowed.org === session.org && (allowed.roles as readonly string[]).includes(session.role));
}

/** Whether this caller may record stock counts (the chaincode's record access table). */
export function mayCountStock(session: Session): boolean {
  return recordAccess.RecordStockCount.some((allowed) => allowed.org === session.org && (allowed.roles as readonly string[]).includes(session.role));
}
