import type { Loan, Lot, Receipt } from './model';
import { borrowerMspId, oracleRole, type Caller } from './roles';

/**
 * Object-level access (docs/design.md section 3): the custodian sees the receipts of its warehouses, a lender those whose
 * current pledge or pledge request names it, an owner its own, the borrower organisation's auditor every borrower's.
 * Anything else is reported as NOT_FOUND so that a receipt's existence does not leak.
 */
export function canSeeReceipt(caller: Caller, receipt: Receipt): boolean {
  switch (caller.org) {
    case 'custodian':
      return caller.role !== oracleRole && receipt.custodian === caller.mspId;
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
  return caller.org === 'custodian' && caller.role !== oracleRole && lot.custodian === caller.mspId;
}

/**
 * Loans are the lender's and its borrower's business: the lender organisation (officers, approvers, auditors), the
 * borrower, and the borrower organisation's auditor. The custodian holds the goods, not the loan: it sees no loan.
 */
export function canSeeLoan(caller: Caller, loan: Loan): boolean {
  switch (caller.org) {
    case 'custodian':
      return false;
    case 'lender':
      return loan.lender === caller.mspId;
    case 'borrower':
      return caller.role === 'auditor'
        ? loan.borrower.mspId === borrowerMspId
        : loan.borrower.mspId === caller.mspId && loan.borrower.id === caller.id;
  }
}
