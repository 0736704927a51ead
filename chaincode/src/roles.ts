import type { Context } from 'fabric-contract-api';
import { forbidden } from './errors';

/** The kinds of organisation on the channel. */
export type OrgKind = 'custodian' | 'lender' | 'borrower';

/** The one place that says which MSP is which kind of organisation. */
export const orgKinds: Readonly<Record<string, OrgKind>> = {
  CustodianMSP: 'custodian',
  LenderMSP: 'lender',
  BorrowerMSP: 'borrower',
};

/** The roles each kind of organisation issues in its certificates' `role` attribute. */
export const rolesByOrg = {
  // The oracle records price marks and sees nothing else (docs/collateral.md: why the custodian runs it).
  custodian: ['clerk', 'supervisor', 'auditor', 'device-gateway', 'oracle'],
  lender: ['officer', 'approver', 'auditor'],
  borrower: ['owner', 'auditor'],
} as const satisfies Record<OrgKind, readonly string[]>;

export type Role = (typeof rolesByOrg)[OrgKind][number];

/** Organisation and roles allowed to run a transaction. */
export interface Allowed {
  readonly org: OrgKind;
  readonly roles: readonly Role[];
}

/** Who is calling: MSP, the certificate subject's CN, the org kind and the `role` attribute. */
export interface Caller {
  readonly mspId: string;
  readonly id: string;
  readonly org: OrgKind;
  readonly role: Role;
}

/** The role that records price marks (RecordPrice); it reads prices only, no receipt, lot or loan. */
export const oracleRole = 'oracle';

/** Every known org and role: what queries allow (object visibility then narrows what each caller sees). */
export const anyKnownCaller: readonly Allowed[] = [
  { org: 'custodian', roles: rolesByOrg.custodian },
  { org: 'lender', roles: rolesByOrg.lender },
  { org: 'borrower', roles: rolesByOrg.borrower },
];

/** The MSP of the borrower organisation, where every receipt owner lives. */
export const borrowerMspId = 'BorrowerMSP';

/** The org kind of an MSP id, or undefined when the MSP is not one of ours. */
export function orgKindOf(mspId: string): OrgKind | undefined {
  return Object.hasOwn(orgKinds, mspId) ? orgKinds[mspId] : undefined;
}

/** Identifies the caller; an unknown MSP, a missing CN or a role its org does not issue is FORBIDDEN. */
export function identifyCaller(ctx: Context): Caller {
  const mspId = ctx.clientIdentity.getMSPID();
  const org = orgKindOf(mspId);
  if (org === undefined) {
    throw forbidden(`organisation ${mspId} is not a party to this registry`);
  }
  const id = commonName(ctx.clientIdentity.getID());
  const roleText = ctx.clientIdentity.getAttributeValue('role');
  const role = rolesByOrg[org].find((candidate) => candidate === roleText);
  if (id === undefined || role === undefined) {
    throw forbidden('the caller certificate needs one CN and a role attribute its organisation issues');
  }
  return { mspId, id, org, role };
}

/** Identifies the caller and requires one of the allowed org/role pairs, else FORBIDDEN. */
export function requireCaller(ctx: Context, allowed: readonly Allowed[]): Caller {
  const caller = identifyCaller(ctx);
  const permitted = allowed.some((entry) => entry.org === caller.org && entry.roles.includes(caller.role));
  if (!permitted) {
    throw forbidden(`a ${caller.org} ${caller.role} may not run this transaction`);
  }
  return caller;
}

/**
 * The CN of the subject in fabric-shim's id `x509::/C=US/O=../CN=alice::/C=US/../CN=ca`. Undefined unless the id
 * splits unambiguously and the subject has exactly one non-empty CN: fabric-shim escapes only the first `/` inside a
 * value and does not escape `::`, so an id containing either could be crafted to read as someone else's name.
 */
export function commonName(clientId: string): string | undefined {
  const parts = clientId.split('::');
  const subject = parts[1];
  if (parts.length !== 3 || parts[0] !== 'x509' || subject === undefined || subject.includes('\\')) {
    return undefined;
  }
  const attributes = subject.split('/').slice(1);
  const names = attributes.filter((attribute) => attribute.startsWith('CN=')).map((attribute) => attribute.slice(3));
  const [only] = names;
  return names.length === 1 && only !== undefined && only !== '' ? only : undefined;
}
