import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { invalidArgument, toChaincodeError } from './errors';
import { getCheckpoint, recordCheckpoint } from './transactions/checkpoints';
import { amendLoanTerms, getLoan, getPrice, recordPrice, recordRepayment } from './transactions/collateral';
import { freeze, unfreeze } from './transactions/holds';
import { cancelDraft, confirmDelivery, confirmReceipt, draftReceipt, requestWithdrawal } from './transactions/issuance';
import { getLot, recordStockCount, registerLot } from './transactions/lots';
import { transferOwnership, splitReceipt } from './transactions/ownership';
import {
  acceptPledge,
  approveRelease,
  declareDefault,
  dispose,
  overrideCovenant,
  rejectPledge,
  rejectRelease,
  releasePledge,
  requestPledge,
  requestReleaseOverride,
} from './transactions/pledges';
import { getEncumbrance, getHistory, getReceipt, listReceipts } from './transactions/queries';
import { listRiskEvents, recordRiskEvent, resolveRiskEvent } from './transactions/risk';

/**
 * The warehouse-receipt registry. Every transaction takes string arguments (JSON where structured) and returns the
 * canonical JSON of its main record; refusals carry `{"code","message"}` JSON (see errors.ts).
 */
@Info({ title: 'Warehouse receipt registry', description: 'Lots, warehouse receipts, pledges, holds and risk events' })
export class ReceiptContract extends Contract {
  constructor() {
    super('ReceiptContract');
  }

  /** Runs a transaction so that whatever it throws reaches the client as our JSON error. */
  override async aroundTransaction(
    ctx: Context,
    // fabric-contract-api declares a Function but passes the method's name; it is handed on untouched.
    fn: (...args: unknown[]) => unknown,
    parameters: unknown,
  ): Promise<void> {
    try {
      // The declared Promise<void> is wrong: super returns the transaction's result, which Fabric sends back.
      return await super.aroundTransaction(ctx, fn, parameters);
    } catch (error) {
      throw toChaincodeError(error);
    }
  }

  /** Refuses a transaction name this contract does not have, in our error format. */
  override unknownTransaction(ctx: Context): Promise<void> {
    const { fcn } = ctx.stub.getFunctionAndParameters();
    return Promise.reject(invalidArgument(`unknown transaction ${fcn}`));
  }

  /** Registers a lot of goods measured into store (custodian clerk). */
  @Transaction()
  @Returns('string')
  async RegisterLot(ctx: Context, lotJson: string): Promise<string> {
    return registerLot(ctx, lotJson);
  }

  /** Records a stock count; a count below the receipted quantity raises a shortfall and freezes the lot's receipts. */
  @Transaction()
  @Returns('string')
  async RecordStockCount(ctx: Context, lotId: string, quantity: string, reference: string): Promise<string> {
    return recordStockCount(ctx, lotId, quantity, reference);
  }

  /** Drafts a receipt against a lot, never beyond the lot's measured quantity (custodian clerk). */
  @Transaction()
  @Returns('string')
  async DraftReceipt(ctx: Context, draftJson: string): Promise<string> {
    return draftReceipt(ctx, draftJson);
  }

  /** Issues a drafted receipt (custodian supervisor who did not draft it). */
  @Transaction()
  @Returns('string')
  async ConfirmReceipt(ctx: Context, receiptId: string): Promise<string> {
    return confirmReceipt(ctx, receiptId);
  }

  /** Cancels a draft and returns its quantity to the lot (custodian clerk or supervisor). */
  @Transaction()
  @Returns('string')
  async CancelDraft(ctx: Context, receiptId: string, reason: string): Promise<string> {
    return cancelDraft(ctx, receiptId, reason);
  }

  /** Offers an issued receipt to a lender as collateral (owner). */
  @Transaction()
  @Returns('string')
  async RequestPledge(ctx: Context, receiptId: string, requestJson: string): Promise<string> {
    return requestPledge(ctx, receiptId, requestJson);
  }

  /** Accepts a pledge request, optionally setting a release approval threshold (officer of the named lender). */
  @Transaction()
  @Returns('string')
  async AcceptPledge(ctx: Context, receiptId: string, termsJson: string): Promise<string> {
    return acceptPledge(ctx, receiptId, termsJson);
  }

  /** Asks for a release the loan's LTV covenant refuses to wait for an approver's override (lender officer). */
  @Transaction()
  @Returns('string')
  async RequestReleaseOverride(ctx: Context, receiptId: string, quantity: string): Promise<string> {
    return requestReleaseOverride(ctx, receiptId, quantity);
  }

  /** Lets a covenant-refused release go ahead, with a reason (a lender approver other than its requester). */
  @Transaction()
  @Returns('string')
  async OverrideCovenant(ctx: Context, receiptId: string, reason: string): Promise<string> {
    return overrideCovenant(ctx, receiptId, reason);
  }

  /** Records a price mark of a commodity (the oracle). */
  @Transaction()
  @Returns('string')
  async RecordPrice(ctx: Context, markJson: string): Promise<string> {
    return recordPrice(ctx, markJson);
  }

  /** The mark in force for a commodity: now (at = "") or at an ISO time. */
  @Transaction(false)
  @Returns('string')
  async GetPrice(ctx: Context, commodity: string, at: string): Promise<string> {
    return getPrice(ctx, commodity, at);
  }

  /** Amends a loan's terms, with a reason (a lender approver). */
  @Transaction()
  @Returns('string')
  async AmendLoanTerms(ctx: Context, loanReference: string, amendmentJson: string): Promise<string> {
    return amendLoanTerms(ctx, loanReference, amendmentJson);
  }

  /** Records a repayment against a loan (a lender officer). */
  @Transaction()
  @Returns('string')
  async RecordRepayment(ctx: Context, loanReference: string, repaymentJson: string): Promise<string> {
    return recordRepayment(ctx, loanReference, repaymentJson);
  }

  /** A loan, its receipts and its valuation at the latest marks (the lender and the borrower). */
  @Transaction(false)
  @Returns('string')
  async GetLoan(ctx: Context, lender: string, loanReference: string): Promise<string> {
    return getLoan(ctx, lender, loanReference);
  }

  /** Declines a pledge request (officer of the named lender). */
  @Transaction()
  @Returns('string')
  async RejectPledge(ctx: Context, receiptId: string, reason: string): Promise<string> {
    return rejectPledge(ctx, receiptId, reason);
  }

  /** Releases all or part of a pledge, or asks for approval above the threshold (lender officer). */
  @Transaction()
  @Returns('string')
  async ReleasePledge(ctx: Context, receiptId: string, quantity: string): Promise<string> {
    return releasePledge(ctx, receiptId, quantity);
  }

  /** Approves a pending release (lender approver who did not request it). */
  @Transaction()
  @Returns('string')
  async ApproveRelease(ctx: Context, receiptId: string): Promise<string> {
    return approveRelease(ctx, receiptId);
  }

  /** Turns down a pending release (lender approver). */
  @Transaction()
  @Returns('string')
  async RejectRelease(ctx: Context, receiptId: string, reason: string): Promise<string> {
    return rejectRelease(ctx, receiptId, reason);
  }

  /** Transfers an issued receipt to another borrower party (owner). */
  @Transaction()
  @Returns('string')
  async TransferOwnership(ctx: Context, receiptId: string, newOwner: string): Promise<string> {
    return transferOwnership(ctx, receiptId, newOwner);
  }

  /** Splits an issued receipt into parts that add up exactly to it (owner). */
  @Transaction()
  @Returns('string')
  async SplitReceipt(ctx: Context, receiptId: string, quantitiesJson: string): Promise<string> {
    return splitReceipt(ctx, receiptId, quantitiesJson);
  }

  /** Asks for the goods out of the warehouse (owner). */
  @Transaction()
  @Returns('string')
  async RequestWithdrawal(ctx: Context, receiptId: string): Promise<string> {
    return requestWithdrawal(ctx, receiptId);
  }

  /** Confirms the goods left; the receipt is surrendered and the lot shrinks (custodian supervisor). */
  @Transaction()
  @Returns('string')
  async ConfirmDelivery(ctx: Context, receiptId: string): Promise<string> {
    return confirmDelivery(ctx, receiptId);
  }

  /** Puts the caller organisation's hold on a receipt (lender on its pledges, custodian supervisor). */
  @Transaction()
  @Returns('string')
  async Freeze(ctx: Context, receiptId: string, reason: string, reference: string): Promise<string> {
    return freeze(ctx, receiptId, reason, reference);
  }

  /** Lifts the caller organisation's manual hold. */
  @Transaction()
  @Returns('string')
  async Unfreeze(ctx: Context, receiptId: string, reason: string): Promise<string> {
    return unfreeze(ctx, receiptId, reason);
  }

  /** Declares the loan behind a pledge in default (lender approver). */
  @Transaction()
  @Returns('string')
  async DeclareDefault(ctx: Context, receiptId: string, reason: string): Promise<string> {
    return declareDefault(ctx, receiptId, reason);
  }

  /** Sells defaulted collateral to a buyer, closing the pledge (lender approver). */
  @Transaction()
  @Returns('string')
  async Dispose(ctx: Context, receiptId: string, buyer: string): Promise<string> {
    return dispose(ctx, receiptId, buyer);
  }

  /** Records a risk event on a receipt or lot; critical ones freeze (custodian device gateway, clerk, supervisor). */
  @Transaction()
  @Returns('string')
  async RecordRiskEvent(ctx: Context, eventJson: string): Promise<string> {
    return recordRiskEvent(ctx, eventJson);
  }

  /** Resolves a risk event and lifts its holds (custodian supervisor). */
  @Transaction()
  @Returns('string')
  async ResolveRiskEvent(ctx: Context, eventId: string, resolution: string): Promise<string> {
    return resolveRiskEvent(ctx, eventId, resolution);
  }

  /** Records where an evidence checkpoint was anchored (custodian device gateway). */
  @Transaction()
  @Returns('string')
  async RecordCheckpoint(ctx: Context, checkpointJson: string): Promise<string> {
    return recordCheckpoint(ctx, checkpointJson);
  }

  /** Returns a receipt the caller may see. */
  @Transaction(false)
  @Returns('string')
  async GetReceipt(ctx: Context, receiptId: string): Promise<string> {
    return getReceipt(ctx, receiptId);
  }

  /** Returns every committed version of a receipt the caller may see. */
  @Transaction(false)
  @Returns('string')
  async GetHistory(ctx: Context, receiptId: string): Promise<string> {
    return getHistory(ctx, receiptId);
  }

  /** Lists visible receipts matching a filter, a page at a time. */
  @Transaction(false)
  @Returns('string')
  async ListReceipts(ctx: Context, filterJson: string): Promise<string> {
    return listReceipts(ctx, filterJson);
  }

  /** Returns what encumbers a receipt: holds, pledge, pending release, open risk events, lineage. */
  @Transaction(false)
  @Returns('string')
  async GetEncumbrance(ctx: Context, receiptId: string): Promise<string> {
    return getEncumbrance(ctx, receiptId);
  }

  /** Returns one of the caller custodian's lots. */
  @Transaction(false)
  @Returns('string')
  async GetLot(ctx: Context, lotId: string): Promise<string> {
    return getLot(ctx, lotId);
  }

  /** Returns a recorded checkpoint by sequence number. */
  @Transaction(false)
  @Returns('string')
  async GetCheckpoint(ctx: Context, seq: string): Promise<string> {
    return getCheckpoint(ctx, seq);
  }

  /** Lists the risk events on a visible receipt and its lot. */
  @Transaction(false)
  @Returns('string')
  async ListRiskEvents(ctx: Context, receiptId: string): Promise<string> {
    return listRiskEvents(ctx, receiptId);
  }
}
