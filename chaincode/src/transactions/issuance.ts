import type { Context } from 'fabric-contract-api';
import { draftReceiptArgs, parseArg, parseJsonArg, reason } from '../args';
import { ChaincodeError, invalidState } from '../errors';
import { emit, keyExists, loadVisibleLot, now, writeLot, writeReceipt } from '../ledger';
import { receiptKey } from '../keys';
import { openReceipt, receiptEventFields, receiptView } from '../lifecycle';
import { toCanonicalJson } from '../marshal';
import { refId, type Receipt } from '../model';
import { Quantity } from '../quantity';
import { borrowerMspId, requireCaller } from '../roles';
import { transitionOf } from '../transitions';

/** DraftReceipt: a custodian clerk drafts a receipt against a lot; the lot's live receipts may never exceed it. */
export async function draftReceipt(ctx: Context, draftJson: string): Promise<string> {
  const args = parseJsonArg(draftJson, draftReceiptArgs, 'draft');
  const quantity = Quantity.parsePositive(args.quantity);
  const caller = requireCaller(ctx, transitionOf('DraftReceipt').who);
  const lot = await loadVisibleLot(ctx, caller, args.lotId);
  if (await keyExists(ctx, receiptKey(ctx, args.id))) {
    throw new ChaincodeError('ALREADY_EXISTS', `receipt ${args.id} already exists`);
  }
  const receipted = Quantity.parse(lot.receiptedQuantity).add(quantity);
  if (receipted.compare(Quantity.parse(lot.quantity)) > 0) {
    throw new ChaincodeError(
      'OVER_ISSUE',
      `lot ${lot.id} holds ${lot.quantity} ${lot.unit}, ${lot.receiptedQuantity} of it receipted; ` +
        `${quantity.toString()} more would exceed it`,
    );
  }
  const at = now(ctx);
  const draft: Receipt = {
    docType: 'receipt',
    id: args.id,
    lotId: lot.id,
    warehouseId: lot.warehouseId,
    commodity: lot.commodity,
    unit: lot.unit,
    quantity: quantity.toString(),
    owner: { mspId: borrowerMspId, id: args.owner },
    custodian: lot.custodian,
    status: 'DRAFT',
    freezes: [],
    pledge: null,
    pendingRelease: null,
    parentId: null,
    children: [],
    draftedBy: caller.id,
    draftedAt: at,
    confirmedBy: null,
    confirmedAt: null,
    updatedAt: at,
    lastTxId: ctx.stub.getTxID(),
    description: args.description ?? '',
  };
  const written = await writeReceipt(ctx, undefined, draft);
  await writeLot(ctx, { ...lot, receiptedQuantity: receipted.toString() });
  emit(ctx, 'ReceiptDrafted', { ...receiptEventFields(written, [written]), lotId: lot.id, quantity: written.quantity });
  return toCanonicalJson(receiptView(written));
}

/** ConfirmReceipt: a custodian supervisor other than the drafter issues the draft. */
export async function confirmReceipt(ctx: Context, receiptId: string): Promise<string> {
  parseArg(receiptId, refId, 'receiptId');
  const { caller, receipt } = await openReceipt(ctx, 'ConfirmReceipt', receiptId);
  if (caller.id === receipt.draftedBy) {
    throw new ChaincodeError('FOUR_EYES', `${caller.id} drafted receipt ${receipt.id} and may not also confirm it`);
  }
  const written = await writeReceipt(ctx, receipt, {
    ...receipt,
    status: 'ISSUED',
    confirmedBy: caller.id,
    confirmedAt: now(ctx),
  });
  emit(ctx, 'ReceiptIssued', receiptEventFields(written, [written]));
  return toCanonicalJson(receiptView(written));
}

/** CancelDraft: the custodian abandons a draft and gives its quantity back to the lot. */
export async function cancelDraft(ctx: Context, receiptId: string, reasonText: string): Promise<string> {
  parseArg(receiptId, refId, 'receiptId');
  const why = parseArg(reasonText, reason, 'reason');
  const { caller, receipt } = await openReceipt(ctx, 'CancelDraft', receiptId);
  const lot = await loadVisibleLot(ctx, caller, receipt.lotId);
  const receipted = Quantity.parse(lot.receiptedQuantity).sub(Quantity.parse(receipt.quantity));
  const written = await writeReceipt(ctx, receipt, { ...receipt, status: 'CANCELLED' });
  await writeLot(ctx, { ...lot, receiptedQuantity: receipted.toString() });
  emit(ctx, 'DraftCancelled', { ...receiptEventFields(written, [written]), lotId: lot.id, reason: why });
  return toCanonicalJson(receiptView(written));
}

/** RequestWithdrawal: the owner asks for the goods out of the warehouse. */
export async function requestWithdrawal(ctx: Context, receiptId: string): Promise<string> {
  parseArg(receiptId, refId, 'receiptId');
  const { receipt } = await openReceipt(ctx, 'RequestWithdrawal', receiptId);
  const written = await writeReceipt(ctx, receipt, { ...receipt, status: 'WITHDRAWAL_REQUESTED' });
  emit(ctx, 'WithdrawalRequested', receiptEventFields(written, [written]));
  return toCanonicalJson(receiptView(written));
}

/** ConfirmDelivery: the goods left the warehouse; the receipt is surrendered and the lot shrinks by its quantity. */
export async function confirmDelivery(ctx: Context, receiptId: string): Promise<string> {
  parseArg(receiptId, refId, 'receiptId');
  const { caller, receipt } = await openReceipt(ctx, 'ConfirmDelivery', receiptId);
  const lot = await loadVisibleLot(ctx, caller, receipt.lotId);
  const delivered = Quantity.parse(receipt.quantity);
  const measured = Quantity.parse(lot.quantity);
  if (measured.compare(delivered) < 0) {
    // Only after a shortfall: the books say fewer goods are in store than this receipt hands out.
    throw invalidState(
      `lot ${lot.id} measures ${lot.quantity} ${lot.unit}, less than the ${receipt.quantity} this receipt hands out`,
    );
  }
  const written = await writeReceipt(ctx, receipt, { ...receipt, status: 'DELIVERED' });
  await writeLot(ctx, {
    ...lot,
    quantity: measured.sub(delivered).toString(),
    receiptedQuantity: Quantity.parse(lot.receiptedQuantity).sub(delivered).toString(),
  });
  emit(ctx, 'GoodsDelivered', { ...receiptEventFields(written, [written]), lotId: lot.id, quantity: receipt.quantity });
  return toCanonicalJson(receiptView(written));
}
