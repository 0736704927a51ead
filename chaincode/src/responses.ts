import { z } from 'zod';
import { freeze, isoTime, party, pendingRelease, pledge, receipt, refId, riskEvent } from './model';
import { receiptStatuses } from './transitions';

/** What GetReceipt and the receipt transactions return: the stored receipt plus the derived `frozen` flag. */
export const receiptView = receipt.extend({ frozen: z.boolean() });
export type ReceiptView = z.infer<typeof receiptView>;

/** One committed version of a receipt, as GetHistory returns it (newest first, as Fabric returns key history). */
export const historyEntry = z.strictObject({
  txId: z.string(),
  timestamp: isoTime,
  isDelete: z.boolean(),
  value: receiptView.nullable(),
});
export type HistoryEntry = z.infer<typeof historyEntry>;

/** A page of ListReceipts; `next` is the id to pass as `after` for the following page, null on the last page. */
export const receiptPage = z.strictObject({ items: z.array(receiptView), next: refId.nullable() });
export type ReceiptPage = z.infer<typeof receiptPage>;

/** What GetEncumbrance returns: everything a bank checks before relying on a receipt. */
export const encumbrance = z.strictObject({
  receiptId: refId,
  status: z.enum(receiptStatuses),
  owner: party,
  quantity: z.string(),
  unit: z.string(),
  commodity: z.string(),
  frozen: z.boolean(),
  freezes: z.array(freeze),
  pledge: pledge.nullable(),
  pendingRelease: pendingRelease.nullable(),
  openRiskEvents: z.array(riskEvent),
  lineage: z.strictObject({ parentId: refId.nullable(), children: z.array(refId) }),
  asOf: isoTime,
});
export type Encumbrance = z.infer<typeof encumbrance>;
