import type { Context } from 'fabric-contract-api';
import { parseArg, parseJsonArg, partyId, splitQuantitiesArgs } from '../args';
import { invalidArgument } from '../errors';
import { emit, writeReceipt } from '../ledger';
import { deriveChildren, openReceipt, receiptEventFields, receiptView } from '../lifecycle';
import { toCanonicalJson } from '../marshal';
import { refId } from '../model';
import { Quantity, sumQuantities } from '../quantity';
import { borrowerMspId } from '../roles';

/** TransferOwnership: the owner hands an unencumbered receipt to another borrower party. */
export async function transferOwnership(ctx: Context, receiptId: string, newOwnerText: string): Promise<string> {
  parseArg(receiptId, refId, 'receiptId');
  const newOwner = parseArg(newOwnerText, partyId, 'newOwner');
  const { caller, receipt } = await openReceipt(ctx, 'TransferOwnership', receiptId);
  if (newOwner === caller.id) {
    throw invalidArgument(`newOwner: ${newOwner} already owns receipt ${receipt.id}`);
  }
  const written = await writeReceipt(ctx, receipt, { ...receipt, owner: { mspId: borrowerMspId, id: newOwner } });
  emit(ctx, 'OwnershipTransferred', {
    ...receiptEventFields(written, [written]),
    previousOwner: receipt.owner,
    newOwner: written.owner,
  });
  return toCanonicalJson(receiptView(written));
}

/** SplitReceipt: the owner divides an issued receipt into parts that add up exactly to it. */
export async function splitReceipt(ctx: Context, receiptId: string, quantitiesJson: string): Promise<string> {
  parseArg(receiptId, refId, 'receiptId');
  const parts = parseJsonArg(quantitiesJson, splitQuantitiesArgs, 'quantities').map((text, index) =>
    Quantity.parsePositive(text, `quantities.${index.toString()}`),
  );
  const { receipt } = await openReceipt(ctx, 'SplitReceipt', receiptId);
  const total = sumQuantities(parts);
  if (total.compare(Quantity.parse(receipt.quantity)) !== 0) {
    throw invalidArgument(`quantities add up to ${total.toString()}, not the receipt's ${receipt.quantity}`);
  }
  const children = await deriveChildren(ctx, receipt, parts);
  const childIds = children.map((child) => child.id);
  const parent = await writeReceipt(ctx, receipt, { ...receipt, status: 'SPLIT', children: childIds });
  const written = [parent];
  for (const child of children) {
    written.push(await writeReceipt(ctx, undefined, child));
  }
  emit(ctx, 'ReceiptSplit', { ...receiptEventFields(parent, written), children: parent.children });
  return toCanonicalJson(receiptView(parent));
}
