import { z } from 'zod';
import { decimalPattern } from './quantity';
import { receiptStatuses } from './transitions';

/** Ids callers choose for new lots, receipts, risk events and warehouses. */
export const idPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Ids that refer to existing objects: derived ids (`R.2.1`, `shortfall-<lot>-<tx>`) may be longer than new ones. */
export const refIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/;

export const newId = z
  .string()
  .regex(idPattern, 'must be 1-64 letters, digits, ".", "_" or "-", not starting with a symbol');
export const refId = z.string().regex(refIdPattern, 'must be an id (letters, digits, ".", "_" or "-")');
export const decimal = z.string().regex(decimalPattern, 'must be a plain decimal like "1000.5"');
export const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');
export const hash0x = z.string().regex(/^0x[0-9a-f]{64}$/, 'must be 0x and 64 lowercase hex digits');
export const isoTime = z.iso.datetime();
export const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code like "CNY"');
export const mspId = z.string().min(1).max(128);
/** A CN as read from a certificate (any text; only compared, never parsed). */
export const userId = z.string().min(1).max(256);

/** Human text: not blank, bounded, no control characters except newline and tab. */
export function text(max: number): z.ZodString {
  return z
    .string()
    .min(1)
    .max(max)
    .regex(/^(?:[^\p{Cc}]|[\n\t])*$/u, 'must not contain control characters')
    .regex(/\S/, 'must not be blank');
}

export const party = z.strictObject({ mspId, id: userId });
export type Party = z.infer<typeof party>;

export const documentRef = z.strictObject({ name: z.string().min(1).max(200), sha256: sha256Hex });

export const lot = z.strictObject({
  docType: z.literal('lot'),
  id: refId,
  warehouseId: refId,
  location: z.string(),
  commodity: z.string(),
  unit: z.string(),
  quantity: decimal,
  receiptedQuantity: decimal,
  documents: z.array(documentRef),
  custodian: mspId,
  registeredBy: userId,
  registeredAt: isoTime,
  lastCount: z
    .strictObject({ quantity: decimal, reference: z.string(), countedBy: userId, countedAt: isoTime })
    .nullable(),
  shortfall: z
    .strictObject({ measured: decimal, receipted: decimal, missing: decimal, detectedAt: isoTime, txId: z.string() })
    .nullable(),
});
export type Lot = z.infer<typeof lot>;

export const freeze = z.strictObject({
  org: mspId,
  by: userId,
  reason: z.string(),
  reference: z.string(),
  at: isoTime,
  riskEventId: refId.nullable(),
});
export type Freeze = z.infer<typeof freeze>;

/**
 * A loan's terms (docs/collateral.md): the haircut taken off market value, and the warning and liquidation lines of
 * LTV, each a fraction as decimal text ("0.7"); the hours a margin call gives the borrower to cure it.
 */
export const loanTerms = z.strictObject({
  haircut: decimal,
  warningLtv: decimal,
  liquidationLtv: decimal,
  cureHours: z.int().min(1).max(720),
});
export type LoanTerms = z.infer<typeof loanTerms>;

/**
 * A loan: the pledges of one lender under one loan reference. Opened by the first acceptance, which sets its
 * borrower, currency, principal and terms; its collateral is its PLEDGED and DEFAULTED receipts (`loan~receipt`).
 */
export const loan = z.strictObject({
  docType: z.literal('loan'),
  lender: mspId,
  loanReference: z.string(),
  borrower: party,
  currency,
  principal: decimal,
  repaid: decimal,
  outstanding: decimal,
  terms: loanTerms,
  openedBy: userId,
  openedAt: isoTime,
  updatedAt: isoTime,
  lastTxId: z.string(),
});
export type Loan = z.infer<typeof loan>;

/** A repayment the lender recorded against a loan; its reference is unique per loan (a second is ALREADY_EXISTS). */
export const repayment = z.strictObject({
  docType: z.literal('repayment'),
  lender: mspId,
  loanReference: z.string(),
  reference: z.string(),
  amount: decimal,
  currency,
  outstandingAfter: decimal,
  recordedBy: userId,
  recordedAt: isoTime,
  txId: z.string(),
});
export type Repayment = z.infer<typeof repayment>;

/**
 * A price mark the oracle recorded: the price of one unit of a commodity in a currency, as of a market time, from a
 * named source. Marks are history; the one in force at a time is the latest `asOf` at or before it.
 */
export const priceMark = z.strictObject({
  docType: z.literal('price'),
  commodity: z.string(),
  unit: z.string(),
  price: decimal,
  currency,
  source: z.string(),
  asOf: isoTime,
  recordedBy: userId,
  recordedAt: isoTime,
  txId: z.string(),
});
export type PriceMark = z.infer<typeof priceMark>;

export const pledge = z.strictObject({
  lender: mspId,
  loanReference: z.string(),
  loanAmount: decimal,
  currency,
  status: z.enum(['REQUESTED', 'ACTIVE', 'DEFAULTED']),
  requestedBy: userId,
  requestedAt: isoTime,
  acceptedBy: userId.nullable(),
  acceptedAt: isoTime.nullable(),
  releaseApprovalThreshold: decimal.nullable(),
  defaultedAt: isoTime.nullable(),
});
export type Pledge = z.infer<typeof pledge>;

export const pendingRelease = z.strictObject({
  quantity: decimal,
  requestedBy: userId,
  requestedAt: isoTime,
  txId: z.string(),
  // Only on a release the officer asked to go ahead despite the loan's covenant (RequestReleaseOverride): the LTV it
  // would leave (null: no collateral left) against the warning line. Absent, never null, otherwise, so releases
  // waiting for the four-eyes threshold read and write byte for byte as before.
  covenant: z.strictObject({ ltvAfter: z.string().nullable(), warningLtv: decimal }).optional(),
});
export type PendingRelease = z.infer<typeof pendingRelease>;

export const receipt = z.strictObject({
  docType: z.literal('receipt'),
  id: refId,
  lotId: refId,
  warehouseId: refId,
  commodity: z.string(),
  unit: z.string(),
  quantity: decimal,
  owner: party,
  custodian: mspId,
  status: z.enum(receiptStatuses),
  freezes: z.array(freeze),
  pledge: pledge.nullable(),
  pendingRelease: pendingRelease.nullable(),
  parentId: refId.nullable(),
  children: z.array(refId),
  draftedBy: userId,
  draftedAt: isoTime,
  confirmedBy: userId.nullable(),
  confirmedAt: isoTime.nullable(),
  updatedAt: isoTime,
  lastTxId: z.string(),
  description: z.string(),
});
export type Receipt = z.infer<typeof receipt>;

/** The severity ladder, lowest first (the rules' ladder: info < warning < major < critical); only critical holds. */
export const riskSeverities = ['info', 'warning', 'major', 'critical'] as const;
export const riskSeverity = z.enum(riskSeverities);
export type RiskSeverity = z.infer<typeof riskSeverity>;
export const riskKind = z.string().regex(/^[A-Z][A-Z0-9_]{0,39}$/, 'must be an upper-case code like SHORTFALL');

/**
 * The supervision alarm behind a risk event: the alarm's id, the SHA-256 of the rule version that raised it, and the
 * Merkle root over the evidence leaves that raised it (0x and 32 bytes, as checkpoint roots).
 */
export const riskAlarm = z.strictObject({ alarmId: newId, ruleHash: sha256Hex, evidenceRoot: hash0x });
export type RiskAlarm = z.infer<typeof riskAlarm>;

export const riskEvent = z.strictObject({
  docType: z.literal('risk'),
  id: refId,
  receiptId: refId.nullable(),
  lotId: refId.nullable(),
  kind: riskKind,
  severity: riskSeverity,
  detail: z.string(),
  evidenceRef: z.string().nullable(),
  // Absent, never null, on events without an alarm: such records stay byte-identical to those written before alarms
  // existed, so stored events and readers built on the older schema (strict objects) both keep working.
  alarm: riskAlarm.optional(),
  status: z.enum(['OPEN', 'RESOLVED']),
  recordedBy: userId,
  recordedAt: isoTime,
  resolvedBy: userId.nullable(),
  resolvedAt: isoTime.nullable(),
  resolution: z.string().nullable(),
});
export type RiskEvent = z.infer<typeof riskEvent>;

const count = z.int().min(0);

export const anchorRef = z.strictObject({
  chainId: z.int().min(1),
  contract: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address'),
  txHash: hash0x,
  blockNumber: count,
});

export const checkpoint = z.strictObject({
  docType: z.literal('checkpoint'),
  seq: count,
  root: hash0x,
  hash: hash0x,
  leafCount: z.int().min(1),
  firstLeafIndex: count,
  anchor: anchorRef,
  recordedBy: userId,
  recordedAt: isoTime,
  /** The RecordCheckpoint transaction: evidence bundles name it as where the ledger keeps the anchor. */
  txId: z.string(),
});
export type Checkpoint = z.infer<typeof checkpoint>;
