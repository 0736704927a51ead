import type { Context } from 'fabric-contract-api';
import type { Receipt } from './model';

/** Object types of the composite keys: records, then indexes (`a~b` lists b by a). */
export const keyTypes = {
  lot: 'lot',
  receipt: 'receipt',
  risk: 'risk',
  checkpoint: 'checkpoint',
  ownerIndex: 'owner~receipt',
  lenderIndex: 'lender~receipt',
  warehouseIndex: 'warehouse~receipt',
  statusIndex: 'status~receipt',
  lotIndex: 'lot~receipt',
  receiptRiskIndex: 'receipt~risk',
  lotRiskIndex: 'lot~risk',
  alarmRiskIndex: 'alarm~risk',
  loan: 'loan',
  loanIndex: 'loan~receipt',
  repayment: 'repayment',
  price: 'price',
  priceHead: 'price~head',
} as const;

/** Index entries carry no data; the key is the information. */
export const indexValue = new Uint8Array([0]);

export const lotKey = (ctx: Context, id: string): string => ctx.stub.createCompositeKey(keyTypes.lot, [id]);
export const receiptKey = (ctx: Context, id: string): string => ctx.stub.createCompositeKey(keyTypes.receipt, [id]);
export const riskKey = (ctx: Context, id: string): string => ctx.stub.createCompositeKey(keyTypes.risk, [id]);

/** A loan is its lender and loan reference. */
export const loanKey = (ctx: Context, lender: string, loanReference: string): string =>
  ctx.stub.createCompositeKey(keyTypes.loan, [lender, loanReference]);
export const repaymentKey = (ctx: Context, lender: string, loanReference: string, reference: string): string =>
  ctx.stub.createCompositeKey(keyTypes.repayment, [lender, loanReference, reference]);
/** A mark by commodity and market time (ISO text of fixed width sorts as time); the head is the latest by asOf. */
export const priceKey = (ctx: Context, commodity: string, asOf: string): string =>
  ctx.stub.createCompositeKey(keyTypes.price, [commodity, asOf]);
export const priceHeadKey = (ctx: Context, commodity: string): string => ctx.stub.createCompositeKey(keyTypes.priceHead, [commodity]);

/** Zero-padded so that the key order is the numeric order. */
export const checkpointKey = (ctx: Context, seq: number): string =>
  ctx.stub.createCompositeKey(keyTypes.checkpoint, [seq.toString().padStart(20, '0')]);

/** Every index key a receipt in this state must have; comparing two such lists tells what to delete and add. */
export function receiptIndexKeys(ctx: Context, receipt: Receipt): string[] {
  const key = (type: string, ...attributes: string[]): string => ctx.stub.createCompositeKey(type, attributes);
  const keys = [
    key(keyTypes.ownerIndex, receipt.owner.mspId, receipt.owner.id, receipt.id),
    key(keyTypes.warehouseIndex, receipt.warehouseId, receipt.id),
    key(keyTypes.statusIndex, receipt.status, receipt.id),
    key(keyTypes.lotIndex, receipt.lotId, receipt.id),
  ];
  if (receipt.pledge !== null) {
    keys.push(key(keyTypes.lenderIndex, receipt.pledge.lender, receipt.id));
  }
  // A loan's collateral: its accepted pledges (a request is an offer, not yet collateral).
  if (receipt.pledge !== null && (receipt.status === 'PLEDGED' || receipt.status === 'DEFAULTED')) {
    keys.push(key(keyTypes.loanIndex, receipt.pledge.lender, receipt.pledge.loanReference, receipt.id));
  }
  return keys;
}
