import { oracleRole, orgKindOf, rolesByOrg, type Allowed } from '@wr/chaincode/roles';
import type { Caller } from '../http/auth.js';
import { receiptVisibility, type Viewer } from './receipts/receipt-queries.js';

/** The custodian's roles that may call `roles`-restricted gateway operations (no chaincode stands behind them). */
export const custodian = (...roles: Allowed['roles']): readonly Allowed[] => [{ org: 'custodian', roles }];

/** Every custodian role: who reads devices and evidence (lenders and borrowers do not, yet). */
export const custodianRoles = custodian('clerk', 'supervisor', 'auditor', 'device-gateway');

/**
 * Who sees a supervision object (a rule's alarms, a risk event, a work order) about a lot, as SQL: the custodian sees
 * its warehouses' (the one custodian organisation runs them all); a lender those on lots with a receipt pledged to it;
 * a borrower those on lots with its own receipts; anyone else nothing. `lotColumn` names the object's lot column; an
 * object without a lot is the custodian's alone. Receipt visibility is the chaincode's (receiptVisibility).
 */
export function supervisionVisibility(viewer: Viewer, lotColumn: string, param: (value: unknown) => string): string {
  const org = orgKindOf(viewer.mspId);
  if (org === undefined || !(rolesByOrg[org] as readonly string[]).includes(viewer.role) || viewer.role === oracleRole) return 'false';
  if (org === 'custodian') return 'true';
  return `EXISTS (SELECT 1 FROM receipts visible WHERE visible.lot_id = ${lotColumn} AND ${receiptVisibility(viewer, param)})`;
}

/** The viewer of a caller, for the visibility predicates. */
export const viewerOf = (caller: Caller): Viewer => ({ mspId: caller.record.mspId, user: caller.record.user, role: caller.record.role });
