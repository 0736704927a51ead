import type { Context } from 'fabric-contract-api';
import { loanAmendmentArgs, parseArg, parseJsonArg, priceMarkArgs, repaymentArgs } from '../args';
import { ChaincodeError, invalidArgument, notFound } from '../errors';
import { loanKey, keyTypes, priceHeadKey, priceKey, repaymentKey } from '../keys';
import { emit, indexedIds, keyExists, loadReceipt, now, putRecord, readRecord } from '../ledger';
import { toCanonicalJson } from '../marshal';
import { isoTime, loan as loanSchema, priceMark as priceSchema, refId, text, type Loan, type LoanTerms, type PriceMark, type Receipt, type Repayment } from '../model';
import { Quantity } from '../quantity';
import { anyKnownCaller, requireCaller, type Allowed, type Caller } from '../roles';
import { checkTerms, defaultTerms, valueLoan, type Holding, type MarkInForce, type Valuation } from '../valuation';
import { canSeeLoan } from '../visibility';

/** Who runs the collateral transactions (docs/collateral.md). */
export const collateralAccess = {
  RecordPrice: [{ org: 'custodian', roles: ['oracle'] }],
  AmendLoanTerms: [{ org: 'lender', roles: ['approver'] }],
  RecordRepayment: [{ org: 'lender', roles: ['officer'] }],
} as const satisfies Record<string, readonly Allowed[]>;

/** How far ahead of the transaction's time a mark's market time may be (clock skew between oracle and orderer). */
const futureSkewMs = 5 * 60_000;

const loanReferenceText = text(100);
const commodityText = text(100);

/** RecordPrice: the oracle records one mark; the commodity's head moves when the mark is its latest by market time. */
export async function recordPrice(ctx: Context, markJson: string): Promise<string> {
  const args = parseJsonArg(markJson, priceMarkArgs, 'mark');
  if (args.price.startsWith('-')) throw invalidArgument(`price must not be negative: ${args.price}`);
  Quantity.parsePositive(args.price, 'price');
  const caller = requireCaller(ctx, collateralAccess.RecordPrice);
  const asOf = new Date(args.asOf).toISOString();
  const recordedAt = now(ctx);
  if (Date.parse(asOf) > Date.parse(recordedAt) + futureSkewMs) {
    throw invalidArgument(`asOf ${asOf} is in the future (the ledger's time is ${recordedAt})`);
  }
  const head = await readRecord(ctx, priceHeadKey(ctx, args.commodity), priceSchema, `price head of ${args.commodity}`);
  if (head !== undefined && head.unit !== args.unit) {
    throw invalidArgument(`unit: ${args.commodity} is marked per ${head.unit}, not ${args.unit} (units are never converted)`);
  }
  if (head !== undefined && head.currency !== args.currency) {
    throw new ChaincodeError('CURRENCY_MISMATCH', `${args.commodity} is marked in ${head.currency}, not ${args.currency} (currencies are never converted)`);
  }
  const key = priceKey(ctx, args.commodity, asOf);
  if (await keyExists(ctx, key)) {
    throw new ChaincodeError('ALREADY_EXISTS', `${args.commodity} already has a mark as of ${asOf}`);
  }
  const mark: PriceMark = {
    docType: 'price',
    commodity: args.commodity,
    unit: args.unit,
    price: Quantity.parse(args.price).toString(),
    currency: args.currency,
    source: args.source,
    asOf,
    recordedBy: caller.id,
    recordedAt,
    txId: ctx.stub.getTxID(),
  };
  const latest = head === undefined || asOf > head.asOf;
  await putRecord(ctx, key, mark, [caller.mspId]);
  if (latest) await putRecord(ctx, priceHeadKey(ctx, args.commodity), mark, [caller.mspId]);
  emit(ctx, 'PriceRecorded', { price: mark, latest });
  return toCanonicalJson(mark);
}

/** GetPrice: the mark in force for a commodity now (at = "") or at a time (the latest asOf at or before it). */
export async function getPrice(ctx: Context, commodityText_: string, atText: string): Promise<string> {
  const commodity = parseArg(commodityText_, commodityText, 'commodity');
  requireCaller(ctx, anyKnownCaller);
  if (atText === '') {
    const head = await readRecord(ctx, priceHeadKey(ctx, commodity), priceSchema, `price head of ${commodity}`);
    if (head === undefined) throw notFound(`a price mark for ${commodity}`);
    return toCanonicalJson(head);
  }
  const at = new Date(parseArg(atText, isoTime, 'at')).toISOString();
  let found: PriceMark | undefined;
  for await (const entry of ctx.stub.getStateByPartialCompositeKey(keyTypes.price, [commodity])) {
    const asOf = ctx.stub.splitCompositeKey(entry.key).attributes[1] ?? '';
    // Keys come in asOf order: the last at or before `at` is the one in force.
    if (asOf > at) break;
    found = priceSchema.parse(JSON.parse(Buffer.from(entry.value).toString('utf8')));
  }
  if (found === undefined) throw notFound(`a price mark for ${commodity} at ${at}`);
  return toCanonicalJson(found);
}

/** The loan a pledge names, if it was opened. */
export function loadLoan(ctx: Context, lender: string, loanReference: string): Promise<Loan | undefined> {
  return readRecord(ctx, loanKey(ctx, lender, loanReference), loanSchema, `loan ${loanReference} of ${lender}`);
}

async function loadVisibleLoan(ctx: Context, caller: Caller, lender: string, loanReference: string): Promise<Loan> {
  const loan = await loadLoan(ctx, lender, loanReference);
  if (loan === undefined || !canSeeLoan(caller, loan)) throw notFound(`loan ${loanReference} of ${lender}`);
  return loan;
}

/** Writes a loan stamped with this transaction; its lender endorses changes to it. */
export async function writeLoan(ctx: Context, loan: Loan): Promise<Loan> {
  const stamped: Loan = { ...loan, updatedAt: now(ctx), lastTxId: ctx.stub.getTxID() };
  await putRecord(ctx, loanKey(ctx, loan.lender, loan.loanReference), stamped, [loan.lender]);
  return stamped;
}

/** Terms as an acceptance or an amendment gives them, checked, with the defaults for what it leaves out. */
export function termsFrom(given: Partial<LoanTerms>): LoanTerms {
  const terms: LoanTerms = {
    haircut: Quantity.parse(given.haircut ?? defaultTerms.haircut, 'terms.haircut').toString(),
    warningLtv: Quantity.parse(given.warningLtv ?? defaultTerms.warningLtv, 'terms.warningLtv').toString(),
    liquidationLtv: Quantity.parse(given.liquidationLtv ?? defaultTerms.liquidationLtv, 'terms.liquidationLtv').toString(),
    cureHours: given.cureHours ?? defaultTerms.cureHours,
  };
  checkTerms(terms);
  return terms;
}

export const sameTerms = (a: LoanTerms, b: LoanTerms): boolean =>
  a.haircut === b.haircut && a.warningLtv === b.warningLtv && a.liquidationLtv === b.liquidationLtv && a.cureHours === b.cureHours;

/**
 * The loan a pledge being accepted joins, or opens: the first acceptance sets borrower, currency, principal and terms;
 * a later one must match them (terms named again must be the same: they change only by AmendLoanTerms).
 */
export function joinLoan(ctx: Context, caller: Caller, receipt: Receipt, existing: Loan | undefined, given: Partial<LoanTerms> | undefined): Loan {
  const pledge = receipt.pledge;
  if (pledge === null) throw invalidArgument(`receipt ${receipt.id} carries no pledge`);
  if (existing === undefined) {
    const at = now(ctx);
    return {
      docType: 'loan',
      lender: pledge.lender,
      loanReference: pledge.loanReference,
      borrower: receipt.owner,
      currency: pledge.currency,
      principal: pledge.loanAmount,
      repaid: '0',
      outstanding: pledge.loanAmount,
      terms: termsFrom(given ?? {}),
      openedBy: caller.id,
      openedAt: at,
      updatedAt: at,
      lastTxId: ctx.stub.getTxID(),
    };
  }
  checkJoins(existing, receipt);
  if (given !== undefined && !sameTerms(termsFrom(given), existing.terms)) {
    throw invalidArgument(`terms: loan ${existing.loanReference} already has its terms; a lender approver amends them (AmendLoanTerms)`);
  }
  return existing;
}

/** A further pledge to an open loan must be its borrower's, in its currency, for its principal. */
export function checkJoins(loan: Loan, receipt: Receipt): void {
  const pledge = receipt.pledge;
  if (pledge === null) return;
  if (loan.borrower.mspId !== receipt.owner.mspId || loan.borrower.id !== receipt.owner.id) {
    throw invalidArgument(`loanReference: loan ${loan.loanReference} of ${loan.lender} is another borrower's`);
  }
  if (pledge.currency !== loan.currency) {
    throw new ChaincodeError('CURRENCY_MISMATCH', `loan ${loan.loanReference} is in ${loan.currency}, the pledge names ${pledge.currency}`);
  }
  if (Quantity.parse(pledge.loanAmount).compare(Quantity.parse(loan.principal)) !== 0) {
    throw invalidArgument(`loanAmount: loan ${loan.loanReference} is for ${loan.principal} ${loan.currency}; a further pledge to it names that amount`);
  }
}

/** The receipts securing a loan now (its PLEDGED and DEFAULTED receipts), in key order. */
export async function loanReceipts(ctx: Context, loan: Pick<Loan, 'lender' | 'loanReference'>): Promise<Receipt[]> {
  const ids = await indexedIds(ctx, keyTypes.loanIndex, [loan.lender, loan.loanReference]);
  const receipts: Receipt[] = [];
  for (const id of ids) {
    const receipt = await loadReceipt(ctx, id);
    if (receipt !== undefined) receipts.push(receipt);
  }
  return receipts;
}

/** The head mark of each commodity named. */
export async function headMarks(ctx: Context, commodities: Iterable<string>): Promise<Map<string, MarkInForce>> {
  const marks = new Map<string, MarkInForce>();
  for (const commodity of [...new Set(commodities)].sort()) {
    const head = await readRecord(ctx, priceHeadKey(ctx, commodity), priceSchema, `price head of ${commodity}`);
    if (head !== undefined) marks.set(commodity, head);
  }
  return marks;
}

/** Values a loan over the given holdings at the head marks. */
export async function valueOnLedger(ctx: Context, loan: Loan, holdings: readonly Holding[]): Promise<Valuation> {
  return valueLoan(loan, holdings, await headMarks(ctx, holdings.map((holding) => holding.commodity)));
}

/** AmendLoanTerms: a lender approver changes a loan's terms, with a reason. */
export async function amendLoanTerms(ctx: Context, loanReferenceText_: string, amendmentJson: string): Promise<string> {
  const loanReference = parseArg(loanReferenceText_, loanReferenceText, 'loanReference');
  const args = parseJsonArg(amendmentJson, loanAmendmentArgs, 'amendment');
  const caller = requireCaller(ctx, collateralAccess.AmendLoanTerms);
  const loan = await loadVisibleLoan(ctx, caller, caller.mspId, loanReference);
  const terms = termsFrom({ ...loan.terms, ...args.terms });
  if (sameTerms(terms, loan.terms)) throw invalidArgument('terms: the amendment changes nothing');
  const written = await writeLoan(ctx, { ...loan, terms });
  emit(ctx, 'LoanTermsAmended', { loan: written, previousTerms: loan.terms, reason: args.reason, amendedBy: caller.id });
  return toCanonicalJson(written);
}

/** RecordRepayment: the lender's officer records money received; the outstanding amount goes down by it. */
export async function recordRepayment(ctx: Context, loanReferenceText_: string, repaymentJson: string): Promise<string> {
  const loanReference = parseArg(loanReferenceText_, loanReferenceText, 'loanReference');
  const args = parseJsonArg(repaymentJson, repaymentArgs, 'repayment');
  const amount = Quantity.parsePositive(args.amount, 'amount');
  const caller = requireCaller(ctx, collateralAccess.RecordRepayment);
  const loan = await loadVisibleLoan(ctx, caller, caller.mspId, loanReference);
  if (args.currency !== loan.currency) {
    throw new ChaincodeError('CURRENCY_MISMATCH', `loan ${loanReference} is in ${loan.currency}, the repayment in ${args.currency}`);
  }
  const outstanding = Quantity.parse(loan.outstanding);
  if (amount.compare(outstanding) > 0) {
    throw invalidArgument(`amount: ${amount.toString()} exceeds the ${loan.outstanding} ${loan.currency} outstanding`);
  }
  const key = repaymentKey(ctx, loan.lender, loanReference, args.reference);
  if (await keyExists(ctx, key)) {
    throw new ChaincodeError('ALREADY_EXISTS', `loan ${loanReference} already has a repayment ${args.reference}`);
  }
  const after = outstanding.sub(amount);
  const repayment: Repayment = {
    docType: 'repayment',
    lender: loan.lender,
    loanReference,
    reference: args.reference,
    amount: amount.toString(),
    currency: args.currency,
    outstandingAfter: after.toString(),
    recordedBy: caller.id,
    recordedAt: now(ctx),
    txId: ctx.stub.getTxID(),
  };
  await putRecord(ctx, key, repayment, [loan.lender]);
  const written = await writeLoan(ctx, { ...loan, repaid: Quantity.parse(loan.repaid).add(amount).toString(), outstanding: after.toString() });
  emit(ctx, 'RepaymentRecorded', { loan: written, repayment });
  return toCanonicalJson(written);
}

/** GetLoan: a loan, its receipts and its valuation at the head marks (for the lender and the borrower). */
export async function getLoan(ctx: Context, lenderText: string, loanReferenceText_: string): Promise<string> {
  const lender = parseArg(lenderText, refId, 'lender');
  const loanReference = parseArg(loanReferenceText_, loanReferenceText, 'loanReference');
  const caller = requireCaller(ctx, anyKnownCaller);
  const loan = await loadVisibleLoan(ctx, caller, lender, loanReference);
  const receipts = await loanReceipts(ctx, loan);
  const valuation = await valueOnLedger(ctx, loan, receipts);
  return toCanonicalJson({ loan, receiptIds: receipts.map((receipt) => receipt.id), valuation });
}
