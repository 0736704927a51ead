import type { Context } from 'fabric-contract-api';
import { parseArg, parseJsonArg, partyId, pledgeRequestArgs, pledgeTermsArgs, reason } from '../args';
import { ChaincodeError, internal, invalidArgument, invalidState } from '../errors';
import { emit, now, writeReceipt } from '../ledger';
import { deriveChildren, openReceipt, receiptEventFields, receiptView } from '../lifecycle';
import { toCanonicalJson } from '../marshal';
import { decimal, refId, type Loan, type PendingRelease, type Pledge, type Receipt } from '../model';
import type { Valuation } from '../valuation';
import { checkJoins, joinLoan, loadLoan, loanReceipts, valueOnLedger, writeLoan } from './collateral';
import { Quantity } from '../quantity';
import { borrowerMspId, orgKindOf } from '../roles';

/** RequestPledge: the owner offers an issued receipt to a lender as collateral for a loan. */
export async function requestPledge(ctx: Context, receiptId: string, requestJson: string): Promise<string> {
  parseArg(receiptId, refId, 'receiptId');
  const args = parseJsonArg(requestJson, pledgeRequestArgs, 'request');
  const loanAmount = Quantity.parsePositive(args.loanAmount, 'loanAmount');
  if (orgKindOf(args.lender) !== 'lender') {
    throw invalidArgument(`lender: ${args.lender} is not a lending organisation`);
  }
  const { caller, receipt } = await openReceipt(ctx, 'RequestPledge', receiptId);
  const loan = await loadLoan(ctx, args.lender, args.loanReference);
  const pledge: Pledge = {
    lender: args.lender,
    loanReference: args.loanReference,
    loanAmount: loanAmount.toString(),
    currency: args.currency,
    status: 'REQUESTED',
    requestedBy: caller.id,
    requestedAt: now(ctx),
    acceptedBy: null,
    acceptedAt: null,
    releaseApprovalThreshold: null,
    defaultedAt: null,
  };
  if (loan !== undefined) checkJoins(loan, { ...receipt, pledge });
  const written = await writeReceipt(ctx, receipt, { ...receipt, status: 'PLEDGE_REQUESTED', pledge });
  const fields = receiptEventFields(written, [written]);
  emit(ctx, 'PledgeRequested', { ...fields, lender: pledge.lender, loanReference: pledge.loanReference });
  return toCanonicalJson(receiptView(written));
}

/** AcceptPledge: the named lender's officer takes the receipt as collateral, optionally with a release threshold. */
export async function acceptPledge(ctx: Context, receiptId: string, termsJson: string): Promise<string> {
  parseArg(receiptId, refId, 'receiptId');
  const terms = parseJsonArg(termsJson, pledgeTermsArgs, 'terms');
  const threshold =
    terms.releaseApprovalThreshold === undefined
      ? null
      : Quantity.parse(terms.releaseApprovalThreshold, 'releaseApprovalThreshold');
  const { caller, receipt } = await openReceipt(ctx, 'AcceptPledge', receiptId);
  const pledge = requirePledge(receipt);
  const existing = await loadLoan(ctx, pledge.lender, pledge.loanReference);
  const loan = joinLoan(ctx, caller, receipt, existing, terms.terms);
  if (existing === undefined) await writeLoan(ctx, loan);
  const written = await writeReceipt(ctx, receipt, {
    ...receipt,
    status: 'PLEDGED',
    pledge: {
      ...pledge,
      status: 'ACTIVE',
      acceptedBy: caller.id,
      acceptedAt: now(ctx),
      releaseApprovalThreshold: threshold?.toString() ?? null,
    },
  });
  emit(ctx, 'PledgeAccepted', { ...receiptEventFields(written, [written]), lender: pledge.lender, loan: loanRef(pledge), opened: existing === undefined ? loan : null });
  return toCanonicalJson(receiptView(written));
}

/** RejectPledge: the named lender declines the offer; the receipt is free again. */
export async function rejectPledge(ctx: Context, receiptId: string, reasonText: string): Promise<string> {
  parseArg(receiptId, refId, 'receiptId');
  const why = parseArg(reasonText, reason, 'reason');
  const { receipt } = await openReceipt(ctx, 'RejectPledge', receiptId);
  const pledge = requirePledge(receipt);
  const written = await writeReceipt(ctx, receipt, { ...receipt, status: 'ISSUED', pledge: null });
  emit(ctx, 'PledgeRejected', { ...receiptEventFields(written, [written]), lender: pledge.lender, reason: why });
  return toCanonicalJson(receiptView(written));
}

/**
 * ReleasePledge: the lender's officer releases all or part of the collateral. Above the pledge's approval threshold
 * the release only waits for an approver (ApproveRelease).
 */
export async function releasePledge(ctx: Context, receiptId: string, quantityText: string): Promise<string> {
  parseArg(receiptId, refId, 'receiptId');
  const quantity = Quantity.parsePositive(parseArg(quantityText, decimal, 'quantity'));
  const { caller, receipt } = await openReceipt(ctx, 'ReleasePledge', receiptId);
  const pledge = requirePledge(receipt);
  requireReleasable(receipt, quantity);
  // Before the threshold: a release the covenant refuses is refused now, not after an approver's second look.
  await requireCovenant(ctx, receipt, quantity);
  const threshold = pledge.releaseApprovalThreshold;
  if (threshold !== null && quantity.compare(Quantity.parse(threshold)) > 0) {
    const pendingRelease: PendingRelease = {
      quantity: quantity.toString(),
      requestedBy: caller.id,
      requestedAt: now(ctx),
      txId: ctx.stub.getTxID(),
    };
    const written = await writeReceipt(ctx, receipt, { ...receipt, pendingRelease });
    const fields = receiptEventFields(written, [written]);
    emit(ctx, 'ReleaseRequested', { ...fields, quantity: pendingRelease.quantity, threshold });
    return toCanonicalJson(receiptView(written));
  }
  return executeRelease(ctx, receipt, quantity);
}

/**
 * RequestReleaseOverride: the lender's officer asks for a release the loan's covenant refuses (LTV_COVENANT) to go
 * ahead; it waits, as a release above the threshold does, for a lender approver other than the officer to override
 * the covenant with a reason (OverrideCovenant) or reject it (RejectRelease).
 */
export async function requestReleaseOverride(ctx: Context, receiptId: string, quantityText: string): Promise<string> {
  parseArg(receiptId, refId, 'receiptId');
  const quantity = Quantity.parsePositive(parseArg(quantityText, decimal, 'quantity'));
  const { caller, receipt } = await openReceipt(ctx, 'RequestReleaseOverride', receiptId);
  const pledge = requirePledge(receipt);
  requireReleasable(receipt, quantity);
  const after = await covenantAfter(ctx, receipt, quantity);
  if (after === undefined || !breaches(after.valuation)) {
    throw invalidArgument(`the release keeps loan ${pledge.loanReference} below its warning line: release it (ReleasePledge), no override is needed`);
  }
  const pendingRelease: PendingRelease = {
    quantity: quantity.toString(),
    requestedBy: caller.id,
    requestedAt: now(ctx),
    txId: ctx.stub.getTxID(),
    covenant: { ltvAfter: after.valuation.ltv, warningLtv: after.loan.terms.warningLtv },
  };
  const written = await writeReceipt(ctx, receipt, { ...receipt, pendingRelease });
  emit(ctx, 'ReleaseRequested', { ...receiptEventFields(written, [written]), quantity: pendingRelease.quantity, covenant: pendingRelease.covenant, loan: loanRef(pledge) });
  return toCanonicalJson(receiptView(written));
}

/** OverrideCovenant: a lender approver other than the requester lets a covenant-refused release go ahead, with a reason. */
export async function overrideCovenant(ctx: Context, receiptId: string, reasonText: string): Promise<string> {
  parseArg(receiptId, refId, 'receiptId');
  const why = parseArg(reasonText, reason, 'reason');
  const { caller, receipt } = await openReceipt(ctx, 'OverrideCovenant', receiptId);
  const pending = receipt.pendingRelease;
  if (pending?.covenant === undefined) {
    throw invalidState(`receipt ${receipt.id} has no release awaiting a covenant override`);
  }
  if (caller.id === pending.requestedBy) {
    throw new ChaincodeError('FOUR_EYES', `${caller.id} requested this release and may not also override the covenant`);
  }
  const quantity = Quantity.parse(pending.quantity);
  const after = await covenantAfter(ctx, receipt, quantity);
  const override = { by: caller.id, reason: why, ltvAfter: after?.valuation.ltv ?? null, warningLtv: pending.covenant.warningLtv };
  return executeRelease(ctx, { ...receipt, pendingRelease: null }, quantity, override);
}

/** A release may be asked for: none is waiting already, and it is not more than the receipt holds. */
function requireReleasable(receipt: Receipt, quantity: Quantity): void {
  if (receipt.pendingRelease !== null) {
    throw invalidState(`receipt ${receipt.id} has a release of ${receipt.pendingRelease.quantity} awaiting approval`);
  }
  if (quantity.compare(Quantity.parse(receipt.quantity)) > 0) {
    throw invalidArgument(`quantity: ${quantity.toString()} exceeds the receipt's ${receipt.quantity}`);
  }
}

/** The loan a release touches, valued as the release would leave it (undefined: the pledge opened no loan). */
async function covenantAfter(ctx: Context, receipt: Receipt, quantity: Quantity): Promise<{ loan: Loan; valuation: Valuation } | undefined> {
  const pledge = requirePledge(receipt);
  const loan = await loadLoan(ctx, pledge.lender, pledge.loanReference);
  if (loan === undefined) return undefined;
  const collateral = await loanReceipts(ctx, loan);
  if (!collateral.some((each) => each.id === receipt.id)) collateral.push(receipt);
  const holdings = collateral.map((each) => ({
    commodity: each.commodity,
    unit: each.unit,
    quantity: each.id === receipt.id ? Quantity.parse(each.quantity).sub(quantity).toString() : each.quantity,
  }));
  return { loan, valuation: await valueOnLedger(ctx, loan, holdings) };
}

/** A valued loan with money outstanding that would sit at or above its warning line. An unpriced loan has no LTV to hold. */
const breaches = (valuation: Valuation): boolean => valuation.state === 'VALUED' && valuation.band !== 'OK';

/** Refuses, with LTV_COVENANT, a release that would leave its loan at or above the warning line. */
async function requireCovenant(ctx: Context, receipt: Receipt, quantity: Quantity): Promise<void> {
  const after = await covenantAfter(ctx, receipt, quantity);
  if (after === undefined || !breaches(after.valuation)) return;
  const ltv = after.valuation.ltv ?? 'unbounded (no collateral left)';
  throw new ChaincodeError(
    'LTV_COVENANT',
    `releasing ${quantity.toString()} of ${receipt.id} would leave loan ${after.loan.loanReference} at LTV ${ltv}, at or above its warning line ${after.loan.terms.warningLtv}; ` +
      'a lender approver may override the covenant (RequestReleaseOverride, then OverrideCovenant)',
  );
}

/** The loan a pledge belongs to, as events name it. */
const loanRef = (pledge: Pledge): { lender: string; loanReference: string } => ({ lender: pledge.lender, loanReference: pledge.loanReference });

/** ApproveRelease: a lender approver other than the requester lets a pending release go ahead. */
export async function approveRelease(ctx: Context, receiptId: string): Promise<string> {
  parseArg(receiptId, refId, 'receiptId');
  const { caller, receipt } = await openReceipt(ctx, 'ApproveRelease', receiptId);
  const pending = receipt.pendingRelease;
  if (pending === null) {
    throw invalidState(`receipt ${receipt.id} has no release awaiting approval`);
  }
  if (pending.covenant !== undefined) {
    throw new ChaincodeError('LTV_COVENANT', `the release of ${pending.quantity} of ${receipt.id} breaches its loan's covenant: override it with a reason (OverrideCovenant) or reject it`);
  }
  if (caller.id === pending.requestedBy) {
    throw new ChaincodeError('FOUR_EYES', `${caller.id} requested this release and may not also approve it`);
  }
  await requireCovenant(ctx, receipt, Quantity.parse(pending.quantity));
  return executeRelease(ctx, { ...receipt, pendingRelease: null }, Quantity.parse(pending.quantity));
}

/** RejectRelease: a lender approver turns down a pending release; the pledge stays as it was. */
export async function rejectRelease(ctx: Context, receiptId: string, reasonText: string): Promise<string> {
  parseArg(receiptId, refId, 'receiptId');
  const why = parseArg(reasonText, reason, 'reason');
  const { receipt } = await openReceipt(ctx, 'RejectRelease', receiptId);
  const pending = receipt.pendingRelease;
  if (pending === null) {
    throw invalidState(`receipt ${receipt.id} has no release awaiting approval`);
  }
  const written = await writeReceipt(ctx, receipt, { ...receipt, pendingRelease: null });
  emit(ctx, 'ReleaseRejected', { ...receiptEventFields(written, [written]), quantity: pending.quantity, reason: why });
  return toCanonicalJson(receiptView(written));
}

/**
 * Releases `quantity` of a pledged receipt. All of it: the receipt is ISSUED again. Part of it: the receipt is SPLIT
 * into `.1` (released, ISSUED) and `.2` (the rest, still PLEDGED under the same pledge); the parts add up exactly,
 * so the lot's receipted quantity does not change.
 */
async function executeRelease(ctx: Context, receipt: Receipt, quantity: Quantity, override?: CovenantOverride): Promise<string> {
  const pledge = requirePledge(receipt);
  // Named in the event only when the covenant was overridden, so other releases' payloads stay as they were.
  const extra = { loan: loanRef(pledge), ...(override === undefined ? {} : { covenantOverride: override }) };
  const whole = Quantity.parse(receipt.quantity);
  if (quantity.compare(whole) === 0) {
    const released: Receipt = { ...receipt, status: 'ISSUED', pledge: null, pendingRelease: null };
    const written = await writeReceipt(ctx, receipt, released);
    emit(ctx, 'PledgeReleased', {
      ...receiptEventFields(written, [written]),
      released: written.id,
      remaining: null,
      quantity: quantity.toString(),
      ...extra,
    });
    return toCanonicalJson(receiptView(written));
  }
  const [released, rest] = await deriveChildren(ctx, receipt, [quantity, whole.sub(quantity)]);
  if (released === undefined || rest === undefined) {
    throw internal(`receipt ${receipt.id} did not split into two parts`);
  }
  const parent = await writeReceipt(ctx, receipt, {
    ...receipt,
    status: 'SPLIT',
    pledge: null,
    pendingRelease: null,
    children: [released.id, rest.id],
  });
  const writtenReleased = await writeReceipt(ctx, undefined, released);
  const writtenRest = await writeReceipt(ctx, undefined, { ...rest, status: 'PLEDGED', pledge });
  emit(ctx, 'PledgeReleased', {
    ...receiptEventFields(parent, [parent, writtenReleased, writtenRest]),
    released: writtenReleased.id,
    remaining: writtenRest.id,
    quantity: quantity.toString(),
    ...extra,
  });
  return toCanonicalJson(receiptView(parent));
}

/** DeclareDefault: the lender's approver declares the loan in default; the lender may now dispose of the goods. */
export async function declareDefault(ctx: Context, receiptId: string, reasonText: string): Promise<string> {
  parseArg(receiptId, refId, 'receiptId');
  const why = parseArg(reasonText, reason, 'reason');
  const { receipt } = await openReceipt(ctx, 'DeclareDefault', receiptId);
  const pledge = requirePledge(receipt);
  const written = await writeReceipt(ctx, receipt, {
    ...receipt,
    status: 'DEFAULTED',
    pledge: { ...pledge, status: 'DEFAULTED', defaultedAt: now(ctx) },
  });
  emit(ctx, 'DefaultDeclared', { ...receiptEventFields(written, [written]), lender: pledge.lender, reason: why, loan: loanRef(pledge) });
  return toCanonicalJson(receiptView(written));
}

/** Dispose: the lender sells defaulted collateral; the buyer owns an unencumbered receipt and the pledge is closed. */
export async function dispose(ctx: Context, receiptId: string, buyerText: string): Promise<string> {
  parseArg(receiptId, refId, 'receiptId');
  const buyer = parseArg(buyerText, partyId, 'buyer');
  const { receipt } = await openReceipt(ctx, 'Dispose', receiptId);
  const pledge = requirePledge(receipt);
  if (buyer === receipt.owner.id) {
    throw invalidArgument(`buyer: ${buyer} already owns receipt ${receipt.id}`);
  }
  const written = await writeReceipt(ctx, receipt, {
    ...receipt,
    status: 'ISSUED',
    owner: { mspId: borrowerMspId, id: buyer },
    pledge: null,
    pendingRelease: null,
  });
  emit(ctx, 'CollateralDisposed', {
    ...receiptEventFields(written, [written]),
    lender: pledge.lender,
    previousOwner: receipt.owner,
    buyer: written.owner,
    loan: loanRef(pledge),
  });
  return toCanonicalJson(receiptView(written));
}

/** Who overrode a release's covenant, why, and the LTV it left against the warning line. */
interface CovenantOverride {
  readonly by: string;
  readonly reason: string;
  readonly ltvAfter: string | null;
  readonly warningLtv: string;
}

/** The receipt's pledge; its absence in a pledge state means our records disagree with themselves. */
function requirePledge(receipt: Receipt): Pledge {
  if (receipt.pledge === null) {
    throw internal(`receipt ${receipt.id} is ${receipt.status} but carries no pledge`);
  }
  return receipt.pledge;
}
