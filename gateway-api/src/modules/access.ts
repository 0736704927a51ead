import type { Allowed } from '@wr/chaincode/roles';

/** The custodian's roles that may call `roles`-restricted gateway operations (no chaincode stands behind them). */
export const custodian = (...roles: Allowed['roles']): readonly Allowed[] => [{ org: 'custodian', roles }];

/** Every custodian role: who reads devices and evidence (lenders and borrowers do not, yet). */
export const custodianRoles = custodian('clerk', 'supervisor', 'auditor', 'device-gateway');
