import type { Context } from 'fabric-contract-api';
import { parseArg, reason, reference } from '../args';
import { invalidState } from '../errors';
import { emit, now, writeReceipt } from '../ledger';
import { isFrozen, openReceipt, receiptEventFields, receiptView } from '../lifecycle';
import { toCanonicalJson } from '../marshal';
import { refId, type Freeze } from '../model';

/**
 * Freeze: a manual hold by the caller's organisation (the lender on its live pledge or pledge request, the custodian
 * on any receipt of its warehouses). Each organisation holds at most one manual freeze; holds are independent.
 */
export async function freeze(
  ctx: Context,
  receiptId: string,
  reasonText: string,
  referenceText: string,
): Promise<string> {
  parseArg(receiptId, refId, 'receiptId');
  const why = parseArg(reasonText, reason, 'reason');
  const ref = parseArg(referenceText, reference, 'reference');
  const { caller, receipt } = await openReceipt(ctx, 'Freeze', receiptId);
  if (caller.org === 'lender' && receipt.pledge?.status !== 'ACTIVE' && receipt.pledge?.status !== 'REQUESTED') {
    throw invalidState(`a lender freezes only under a live pledge or request; ${receipt.id} is ${receipt.status}`);
  }
  if (receipt.freezes.some((hold) => hold.org === caller.mspId && hold.riskEventId === null)) {
    throw invalidState(`${caller.mspId} already holds a freeze on receipt ${receipt.id}`);
  }
  const at = now(ctx);
  const hold: Freeze = { org: caller.mspId, by: caller.id, reason: why, reference: ref, at, riskEventId: null };
  const written = await writeReceipt(ctx, receipt, { ...receipt, freezes: [...receipt.freezes, hold] });
  const fields = receiptEventFields(written, [written]);
  emit(ctx, 'ReceiptFrozen', { ...fields, org: hold.org, reason: why, reference: ref, frozen: true });
  return toCanonicalJson(receiptView(written));
}

/** Unfreeze: lifts the caller organisation's manual hold; risk-event holds are lifted only by resolving the event. */
export async function unfreeze(ctx: Context, receiptId: string, reasonText: string): Promise<string> {
  parseArg(receiptId, refId, 'receiptId');
  const why = parseArg(reasonText, reason, 'reason');
  const { caller, receipt } = await openReceipt(ctx, 'Unfreeze', receiptId);
  const mine = (hold: Freeze): boolean => hold.org === caller.mspId && hold.riskEventId === null;
  if (!receipt.freezes.some(mine)) {
    throw invalidState(`${caller.mspId} holds no manual freeze on receipt ${receipt.id}`);
  }
  const freezes = receipt.freezes.filter((hold) => !mine(hold));
  const written = await writeReceipt(ctx, receipt, { ...receipt, freezes });
  const fields = receiptEventFields(written, [written]);
  emit(ctx, 'ReceiptUnfrozen', { ...fields, org: caller.mspId, reason: why, frozen: isFrozen(written) });
  return toCanonicalJson(receiptView(written));
}
