import { z } from 'zod';
import { freeze, isoTime, loan, party, pendingRelease, pledge, receipt, refId, riskEvent } from './model';
import { ltvBands } from './valuation';
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

const markInForce = z.looseObject({ commodity: z.string(), unit: z.string(), price: z.string(), currency: z.string(), asOf: isoTime });

/** valueLoan's answer (valuation.ts), as GetLoan returns it and the gateway stores it. */
export const valuation = z.strictObject({
  state: z.enum(['VALUED', 'UNPRICED']),
  value: z.string().nullable(),
  outstanding: z.string(),
  ltv: z.string().nullable(),
  band: z.enum(ltvBands).nullable(),
  holdings: z.array(z.strictObject({ commodity: z.string(), unit: z.string(), quantity: z.string(), mark: markInForce.nullable() })),
  problems: z.array(z.strictObject({ commodity: z.string(), code: z.enum(['NO_MARK', 'CURRENCY_MISMATCH', 'UNIT_MISMATCH']), message: z.string() })),
});

/** What GetLoan returns: the loan, the receipts securing it, and its valuation at the latest marks. */
export const loanDetail = z.strictObject({ loan, receiptIds: z.array(refId), valuation });
export type LoanDetail = z.infer<typeof loanDetail>;
