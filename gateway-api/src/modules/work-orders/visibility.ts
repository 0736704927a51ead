import { borrowerMspId, orgKindOf, rolesByOrg } from '@wr/chaincode/roles';

/** Who is asking: MSP, user (the certificate's CN) and role, as the identity record has them. */
export interface Viewer {
  readonly mspId: string;
  readonly user: string;
  readonly role: string;
}

/**
 * The SQL condition that the lot in column `lotColumn` is one `viewer` may see supervision records of (work orders
 * now, alarms later): the custodian sees everything; a lender the lots with a receipt pledged to it (requested,
 * active or defaulted pledges, as the receipts projection names the lender); a borrower the lots with its own
 * receipts, the borrower's auditor those with any borrower's receipt. A record with no lot is the custodian's alone.
 * Anyone else (an unknown MSP, a role its org does not issue) sees nothing. `param` binds a value and returns its
 * placeholder, so the fragment joins the caller's statement.
 */
export function visibleLotCondition(viewer: Viewer, lotColumn: string, param: (value: unknown) => string): string {
  const org = orgKindOf(viewer.mspId);
  if (org === undefined || !(rolesByOrg[org] as readonly string[]).includes(viewer.role)) return 'false';
  switch (org) {
    case 'custodian':
      return 'true';
    case 'lender':
      return `${lotColumn} IN (SELECT lot_id FROM receipts WHERE pledge_lender = ${param(viewer.mspId)})`;
    case 'borrower':
      return viewer.role === 'auditor'
        ? `${lotColumn} IN (SELECT lot_id FROM receipts WHERE owner_msp = ${param(borrowerMspId)})`
        : `${lotColumn} IN (SELECT lot_id FROM receipts WHERE owner_msp = ${param(viewer.mspId)} AND owner_id = ${param(viewer.user)})`;
  }
}
