import type { Context } from 'fabric-contract-api';
import { parseArg, parseJsonArg, partyId, pledgeRequestArgs, pledgeTermsArgs, reason } from '../args';
import { ChaincodeError, internal, invalidArgument, invalidState } from '../errors';
import { emit, now, writeReceipt } from '../ledger';
import { deriveChildren, openReceipt, receiptEventFields, receiptView } from '../lifecycle';
import { toCanonicalJson } from '../marshal';
import { decimal, refId, type PendingRelease, type Pledge, type Receipt } from '../model';
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
  emit(ctx, 'PledgeAccepted', { ...receiptEventFields(written, [written]), lender: pledge.lender });
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
  if (receipt.pendingRelease !== null) {
    throw invalidState(`receipt ${receipt.id} has a release of ${receipt.pendingRelease.quantity} awaiting approval`);
  }
  if (quantity.compare(Quantity.parse(receipt.quantity)) > 0) {
    throw invalidArgument(`quantity: ${quantity.toString()} exceeds the receipt's ${receipt.quantity}`);
  }
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

/** ApproveRelease: a lender approver other than the requester lets a pending release go ahead. */
export async function approveRelease(ctx: Context, receiptId: string): Promise<string> {
  parseArg(receiptId, refId, 'receiptId');
  const { caller, receipt } = await openReceipt(ctx, 'ApproveRelease', receiptId);
  const pending = receipt.pendingRelease;
  if (pending === null) {
    throw invalidState(`receipt ${receipt.id} has no release awaiting approval`);
  }
  if (caller.id === pending.requestedBy) {
    throw new ChaincodeError('FOUR_EYES', `${caller.id} requested this release and may not also approve it`);
  }
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
async function executeRelease(ctx: Context, receipt: Receipt, quantity: Quantity): Promise<string> {
  const pledge = requirePledge(receipt);
  const whole = Quantity.parse(receipt.quantity);
  if (quantity.compare(whole) === 0) {
    const released: Receipt = { ...receipt, status: 'ISSUED', pledge: null, pendingRelease: null };
    const written = await writeReceipt(ctx, receipt, released);
    emit(ctx, 'PledgeReleased', {
      ...receiptEventFields(written, [written]),
      released: written.id,
      remaining: null,
      quantity: quantity.toString(),
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
  emit(ctx, 'DefaultDeclared', { ...receiptEventFields(written, [written]), lender: pledge.lender, reason: why });
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
  });
  return toCanonicalJson(receiptView(written));
}

/** The receipt's pledge; its absence in a pledge state means our records disagree with themselves. */
function requirePledge(receipt: Receipt): Pledge {
  if (receipt.pledge === null) {
    throw internal(`receipt ${receipt.id} is ${receipt.status} but carries no pledge`);
  }
  return receipt.pledge;
}
