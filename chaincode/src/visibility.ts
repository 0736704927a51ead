import type { Lot, Receipt } from './model';
import { borrowerMspId, type Caller } from './roles';

/**
 * Object-level access (docs/design.md section 3): the custodian sees the receipts of its warehouses, a lender those whose
 * current pledge or pledge request names it, an owner its own, the borrower organisation's auditor every borrower's.
 * Anything else is reported as NOT_FOUND so that a receipt's existence does not leak.
 */
export function canSeeReceipt(caller: Caller, receipt: Receipt): boolean {
  switch (caller.org) {
    case 'custodian':
      return receipt.custodian === caller.mspId;
    case 'lender':
      return receipt.pledge !== null && receipt.pledge.lender === caller.mspId;
    case 'borrower':
      return caller.role === 'auditor'
        ? receipt.owner.mspId === borrowerMspId
        : receipt.owner.mspId === caller.mspId && receipt.owner.id === caller.id;
  }
}

/** Lots are the custodian's own books: only its own identities see them. */
export function canSeeLot(caller: Caller, lot: Lot): boolean {
  return caller.org === 'custodian' && lot.custodian === caller.mspId;
}
