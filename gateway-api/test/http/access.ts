import type { Allowed } from '@wr/chaincode/roles';
import { receiptTxs, recordAccess, transitionOf, type ReceiptStatus, type ReceiptTx } from '@wr/chaincode/transitions';
import type { Operation } from '../../src/modules/receipts/operations.js';
import { demoIdentities } from '../../src/identity/dev-identities.js';

/** Who may do what, for the sweeps: the chaincode's own tables for roles, docs/chaincode.md's rules for visibility. */

export type DemoIdentity = (typeof demoIdentities)[number];

const isReceiptTx = (tx: string): tx is ReceiptTx => (receiptTxs as readonly string[]).includes(tx);

/** Who may run a transaction, from the chaincode's tables (the lifecycle table of docs/chaincode.md). */
export function allowedFor(tx: string): readonly Allowed[] {
  if (isReceiptTx(tx)) return transitionOf(tx).who;
  const access = Object.entries(recordAccess).find(([name]) => name === tx)?.[1];
  if (access === undefined) throw new Error(`no access rule for ${tx}`);
  return access;
}

export const hasRole = (identity: DemoIdentity, allowed: readonly Allowed[]): boolean =>
  allowed.some((rule) => rule.org === identity.org && (rule.roles as readonly string[]).includes(identity.role));

/**
 * Visibility as docs/chaincode.md states it, of a receipt owned by alice in `status` (every receipt is the demo
 * custodian's; `undefined`: a lot or a risk event, the custodian's books): the custodian sees it; a lender while a
 * pledge (requested, active or defaulted) names it; the owner; BorrowerMSP's auditor.
 */
export function canSee(identity: DemoIdentity, status: ReceiptStatus | undefined): boolean {
  switch (identity.org) {
    case 'custodian':
      return true;
    case 'lender':
      return status === 'PLEDGE_REQUESTED' || status === 'PLEDGED' || status === 'DEFAULTED';
    case 'borrower':
      return status !== undefined && (identity.role === 'auditor' || identity.user === 'alice');
  }
}

/** The state a receipt transaction acts on (its table row's first `from`); undefined for lots, drafts and risk events. */
export function stateActedOn(op: Operation): ReceiptStatus | undefined {
  const tx = op.call.tx;
  if (!isReceiptTx(tx) || tx === 'DraftReceipt') return undefined;
  return transitionOf(tx).from[0];
}

/**
 * The demo identity that may run an operation on alice's receipt in the state it acts on (the happy path's caller);
 * queries allow every known caller, and the custodian's auditor sees every receipt and lot.
 */
export function actorOf(op: Operation): DemoIdentity {
  const state = stateActedOn(op);
  if (op.call.kind === 'evaluate') {
    const auditor = demoIdentities.find((identity) => identity.id === 'custodian.auditor');
    if (auditor === undefined) throw new Error('no custodian auditor among the demo identities');
    return auditor;
  }
  const actor = demoIdentities.find((identity) => hasRole(identity, allowedFor(op.call.tx)) && canSee(identity, state));
  if (actor === undefined) throw new Error(`no demo identity may run ${op.operationId}`);
  return actor;
}

export { demoIdentities };
