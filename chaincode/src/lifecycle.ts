import type { Context } from 'fabric-contract-api';
import { ChaincodeError, invalidState } from './errors';
import { keyExists, loadVisibleReceipt } from './ledger';
import { receiptKey } from './keys';
import { refIdPattern, type Receipt } from './model';
import type { Quantity } from './quantity';
import type { ReceiptView } from './responses';
import { requireCaller, type Caller } from './roles';
import { transitionOf, type ReceiptTx } from './transitions';

/** A receipt transaction that passed the common checks: who calls, and the receipt as committed. */
export interface Opened {
  readonly caller: Caller;
  readonly receipt: Receipt;
}

/**
 * The checks every receipt transition shares, in the order callers rely on: role (FORBIDDEN), visibility
 * (NOT_FOUND), freeze (FROZEN), state (a precise code such as ALREADY_PLEDGED, else INVALID_STATE). Arguments are
 * validated before this; four-eyes and transaction-specific rules after.
 */
export async function openReceipt(ctx: Context, tx: ReceiptTx, receiptId: string): Promise<Opened> {
  const row = transitionOf(tx);
  const caller = requireCaller(ctx, row.who);
  const receipt = await loadVisibleReceipt(ctx, caller, receiptId);
  if (!row.whileFrozen && isFrozen(receipt)) {
    throw new ChaincodeError('FROZEN', `receipt ${receipt.id} is frozen`);
  }
  if (row.refuse?.states.includes(receipt.status) === true) {
    throw new ChaincodeError(row.refuse.code, `receipt ${receipt.id} is ${receipt.status}`);
  }
  if (!row.from.includes(receipt.status)) {
    throw invalidState(`${tx} needs the receipt in ${row.from.join(' or ')}; ${receipt.id} is ${receipt.status}`);
  }
  return { caller, receipt };
}

/** A receipt is frozen while any organisation holds a freeze on it. */
export function isFrozen(receipt: Receipt): boolean {
  return receipt.freezes.length > 0;
}

/** What queries and transactions return for a receipt: the record plus the derived `frozen` flag. */
export function receiptView(receipt: Receipt): ReceiptView {
  return { ...receipt, frozen: isFrozen(receipt) };
}

/**
 * Event payload fields every receipt event carries, so a projection can re-read what the transaction wrote, and tell
 * who could see each receipt as the transaction left it (its custodian, owner and lender) even when it reads later.
 */
export function receiptEventFields(receipt: Receipt, written: readonly Receipt[]): Record<string, unknown> {
  return { receiptId: receipt.id, status: receipt.status, receiptIds: written.map((each) => each.id), parties: receiptParties(written) };
}

/** Who may see each receipt as written: what canSeeReceipt decides by (custodian, owner, the pledge's lender). */
export function receiptParties(written: readonly Receipt[]): { receiptId: string; custodian: string; owner: Receipt['owner']; lender: string | null }[] {
  return written.map((each) => ({ receiptId: each.id, custodian: each.custodian, owner: each.owner, lender: each.pledge?.lender ?? null }));
}

/**
 * Children `<parent>.1..k` of a receipt, ISSUED, same owner and lot, no pledge or holds; the issuance attestation
 * (drafted/confirmed) carries over because the goods are the same. ALREADY_EXISTS if any derived id is taken.
 */
export async function deriveChildren(
  ctx: Context,
  parent: Receipt,
  quantities: readonly Quantity[],
): Promise<Receipt[]> {
  const children: Receipt[] = [];
  for (const [index, quantity] of quantities.entries()) {
    const id = `${parent.id}.${(index + 1).toString()}`;
    if (!refIdPattern.test(id)) {
      throw invalidState(`receipt ${parent.id} is split too deeply to derive child ids`);
    }
    if (await keyExists(ctx, receiptKey(ctx, id))) {
      throw new ChaincodeError('ALREADY_EXISTS', `receipt ${id} already exists`);
    }
    children.push({
      ...parent,
      id,
      quantity: quantity.toString(),
      status: 'ISSUED',
      freezes: [],
      pledge: null,
      pendingRelease: null,
      parentId: parent.id,
      children: [],
    });
  }
  return children;
}
