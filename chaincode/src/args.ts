import { z } from 'zod';
import { describeIssues, invalidArgument } from './errors';
import {
  anchorRef,
  currency,
  decimal,
  documentRef,
  hash0x,
  isoTime,
  mspId,
  newId,
  refId,
  riskAlarm,
  riskKind,
  riskSeverity,
  text,
} from './model';
import { receiptStatuses } from './transitions';

/** A borrower party's user id as callers name it ("alice"); always a BorrowerMSP identity. */
export const partyId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/, 'must be a user id like "alice"');
export const reason = text(500);
export const reference = text(200);

export const registerLotArgs = z.strictObject({
  id: newId,
  warehouseId: newId,
  location: text(200),
  commodity: text(100),
  unit: text(20),
  quantity: decimal,
  documents: z.array(documentRef).max(100).optional(),
});

export const draftReceiptArgs = z.strictObject({
  id: newId,
  lotId: refId,
  owner: partyId,
  quantity: decimal,
  description: text(1000).optional(),
});

export const pledgeRequestArgs = z.strictObject({
  lender: mspId,
  loanReference: text(100),
  loanAmount: decimal,
  currency,
});

/** A loan's terms as an acceptance or amendment names them: fractions as decimal text; what is left out defaults. */
export const loanTermsArgs = z.strictObject({
  haircut: decimal.optional(),
  warningLtv: decimal.optional(),
  liquidationLtv: decimal.optional(),
  cureHours: z.int().min(1).max(720).optional(),
});

/** AcceptPledge's terms: the release threshold, and the loan's terms (used by the loan's first acceptance). */
export const pledgeTermsArgs = z.strictObject({ releaseApprovalThreshold: decimal.optional(), terms: loanTermsArgs.optional() });

export const loanAmendmentArgs = z.strictObject({ terms: loanTermsArgs, reason: text(500) });

/** A price mark as the oracle gives it; `price` is checked by hand so a negative one is told as such. */
export const priceMarkArgs = z.strictObject({
  commodity: text(100),
  unit: text(20),
  price: z.string().max(40),
  currency,
  source: text(200),
  asOf: isoTime,
});

export const repaymentArgs = z.strictObject({ amount: z.string().max(40), currency, reference: text(100) });

export const splitQuantitiesArgs = z.array(decimal).min(2).max(100);

export const riskEventArgs = z
  .strictObject({
    id: newId,
    receiptId: refId.optional(),
    lotId: refId.optional(),
    kind: riskKind,
    severity: riskSeverity,
    detail: text(1000),
    evidenceRef: text(256).optional(),
    alarm: riskAlarm.optional(),
  })
  .refine((event) => (event.receiptId === undefined) !== (event.lotId === undefined), {
    message: 'exactly one of receiptId and lotId is required',
  });

export const checkpointArgs = z.strictObject({
  seq: z.int().min(0),
  root: hash0x,
  hash: hash0x,
  leafCount: z.int().min(1),
  firstLeafIndex: z.int().min(0),
  anchor: anchorRef,
});

export const listFilterArgs = z.strictObject({
  status: z.enum(receiptStatuses).optional(),
  owner: partyId.optional(),
  lender: mspId.optional(),
  warehouseId: refId.optional(),
  lotId: refId.optional(),
  limit: z.int().min(1).max(1000).optional(),
  after: refId.optional(),
});
export type ListFilter = z.infer<typeof listFilterArgs>;

/** A checkpoint sequence number as text: a canonical non-negative safe integer. */
export const seqText = z
  .string()
  .regex(/^(0|[1-9]\d{0,15})$/, 'must be a non-negative integer')
  .transform(Number)
  .pipe(z.int());

/** Parses a plain string argument; failures are INVALID_ARGUMENT naming the argument. */
export function parseArg<T>(value: string, schema: z.ZodType<T, string>, name: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw invalidArgument(`${name}: ${describeIssues(result.error)}`);
  }
  return result.data;
}

/** Parses a JSON argument: malformed JSON and schema mismatches are INVALID_ARGUMENT with a path-level reason. */
export function parseJsonArg<T>(json: string, schema: z.ZodType<T>, name: string): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw invalidArgument(`${name} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    throw invalidArgument(`${name}: ${describeIssues(result.error)}`);
  }
  return result.data;
}
