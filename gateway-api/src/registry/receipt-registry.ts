import type { ListFilter } from '@wr/chaincode/args';
import {
  checkpoint as checkpointSchema,
  loan as loanSchema,
  lot as lotSchema,
  priceMark as priceSchema,
  riskEvent as riskEventSchema,
  type Checkpoint,
  type Loan,
  type Lot,
  type PriceMark,
  type RiskAlarm,
  type RiskEvent,
  type RiskSeverity,
} from '@wr/chaincode/model';
import {
  encumbrance as encumbranceSchema,
  historyEntry as historyEntrySchema,
  loanDetail as loanDetailSchema,
  receiptPage as receiptPageSchema,
  receiptView as receiptViewSchema,
  type Encumbrance,
  type HistoryEntry,
  type LoanDetail,
  type ReceiptPage,
  type ReceiptView,
} from '@wr/chaincode/responses';
import type { ZodType } from 'zod';
import { LedgerError } from '../ledger/errors.js';
import type { Identity, LedgerPort } from '../ledger/port.js';
import { systemClock, type Clock } from '../platform/clock.js';

/** A committed transaction: its parsed result, and where it is on the ledger. */
export interface Committed<T> {
  readonly data: T;
  readonly txId: string;
  readonly blockNumber: bigint;
}

/** A lot as RegisterLot takes it. */
export interface LotRegistration {
  readonly id: string;
  readonly warehouseId: string;
  readonly location: string;
  readonly commodity: string;
  readonly unit: string;
  readonly quantity: string;
  readonly documents?: readonly { readonly name: string; readonly sha256: string }[] | undefined;
}

/** A receipt as DraftReceipt takes it. */
export interface ReceiptDraft {
  readonly id: string;
  readonly lotId: string;
  readonly owner: string;
  readonly quantity: string;
  readonly description?: string | undefined;
}

export interface PledgeRequest {
  readonly lender: string;
  readonly loanReference: string;
  readonly loanAmount: string;
  readonly currency: string;
}

/** A loan's terms as an acceptance or amendment names them (fractions as decimal text; left out: the defaults). */
export interface LoanTermsInput {
  readonly haircut?: string | undefined;
  readonly warningLtv?: string | undefined;
  readonly liquidationLtv?: string | undefined;
  readonly cureHours?: number | undefined;
}

export interface PledgeTerms {
  readonly releaseApprovalThreshold?: string | undefined;
  /** The loan's terms, set by its first acceptance. */
  readonly terms?: LoanTermsInput | undefined;
}

/** A price mark as RecordPrice takes it. */
export interface PriceInput {
  readonly commodity: string;
  readonly unit: string;
  readonly price: string;
  readonly currency: string;
  readonly source: string;
  readonly asOf: string;
}

export interface RepaymentInput {
  readonly amount: string;
  readonly currency: string;
  readonly reference: string;
}

/** A risk event as RecordRiskEvent takes it; only `critical` holds receipts. */
export interface RiskEventDraft {
  readonly id: string;
  readonly receiptId?: string | undefined;
  readonly lotId?: string | undefined;
  readonly kind: string;
  readonly severity: RiskSeverity;
  readonly detail: string;
  readonly evidenceRef?: string | undefined;
  /** The alarm behind the event: the ledger records one event per alarm (a second is ALREADY_EXISTS). */
  readonly alarm?: RiskAlarm | undefined;
}

/** What RecordCheckpoint takes: a checkpoint and where it is anchored. */
export interface CheckpointRecord {
  readonly seq: number;
  readonly root: string;
  readonly hash: string;
  readonly leafCount: number;
  readonly firstLeafIndex: number;
  readonly anchor: { readonly chainId: number; readonly contract: string; readonly txHash: string; readonly blockNumber: number };
}

/**
 * The registry's chaincode as the gateway's business code uses it (after fabric-samples' trader application): one
 * typed method per transaction, arguments built here, results parsed with the chaincode's own schemas. A transaction
 * that loses a race to a concurrent one is simulated and submitted again.
 */
export interface ReceiptRegistry {
  registerLot(who: Identity, lot: LotRegistration): Promise<Committed<Lot>>;
  /** A custodian supervisor's count, or the device gateway's reconciliation (`reference` names alarm and evidence). */
  recordStockCount(who: Identity, lotId: string, quantity: string, reference: string): Promise<Committed<Lot>>;
  draftReceipt(who: Identity, draft: ReceiptDraft): Promise<Committed<ReceiptView>>;
  confirmReceipt(who: Identity, receiptId: string): Promise<Committed<ReceiptView>>;
  cancelDraft(who: Identity, receiptId: string, reason: string): Promise<Committed<ReceiptView>>;
  requestPledge(who: Identity, receiptId: string, request: PledgeRequest): Promise<Committed<ReceiptView>>;
  acceptPledge(who: Identity, receiptId: string, terms: PledgeTerms): Promise<Committed<ReceiptView>>;
  rejectPledge(who: Identity, receiptId: string, reason: string): Promise<Committed<ReceiptView>>;
  releasePledge(who: Identity, receiptId: string, quantity: string): Promise<Committed<ReceiptView>>;
  approveRelease(who: Identity, receiptId: string): Promise<Committed<ReceiptView>>;
  rejectRelease(who: Identity, receiptId: string, reason: string): Promise<Committed<ReceiptView>>;
  transferOwnership(who: Identity, receiptId: string, newOwner: string): Promise<Committed<ReceiptView>>;
  splitReceipt(who: Identity, receiptId: string, quantities: readonly string[]): Promise<Committed<ReceiptView>>;
  requestWithdrawal(who: Identity, receiptId: string): Promise<Committed<ReceiptView>>;
  confirmDelivery(who: Identity, receiptId: string): Promise<Committed<ReceiptView>>;
  freeze(who: Identity, receiptId: string, reason: string, reference: string): Promise<Committed<ReceiptView>>;
  unfreeze(who: Identity, receiptId: string, reason: string): Promise<Committed<ReceiptView>>;
  declareDefault(who: Identity, receiptId: string, reason: string): Promise<Committed<ReceiptView>>;
  dispose(who: Identity, receiptId: string, buyer: string): Promise<Committed<ReceiptView>>;
  recordRiskEvent(who: Identity, event: RiskEventDraft): Promise<Committed<RiskEvent>>;
  resolveRiskEvent(who: Identity, eventId: string, resolution: string): Promise<Committed<RiskEvent>>;
  recordCheckpoint(who: Identity, checkpoint: CheckpointRecord): Promise<Committed<Checkpoint>>;
  requestReleaseOverride(who: Identity, receiptId: string, quantity: string): Promise<Committed<ReceiptView>>;
  overrideCovenant(who: Identity, receiptId: string, reason: string): Promise<Committed<ReceiptView>>;
  recordPrice(who: Identity, mark: PriceInput): Promise<Committed<PriceMark>>;
  amendLoanTerms(who: Identity, loanReference: string, terms: LoanTermsInput, reason: string): Promise<Committed<Loan>>;
  recordRepayment(who: Identity, loanReference: string, repayment: RepaymentInput): Promise<Committed<Loan>>;

  getReceipt(who: Identity, receiptId: string): Promise<ReceiptView>;
  getHistory(who: Identity, receiptId: string): Promise<HistoryEntry[]>;
  listReceipts(who: Identity, filter: ListFilter): Promise<ReceiptPage>;
  getEncumbrance(who: Identity, receiptId: string): Promise<Encumbrance>;
  getLot(who: Identity, lotId: string): Promise<Lot>;
  getCheckpoint(who: Identity, seq: number): Promise<Checkpoint>;
  listRiskEvents(who: Identity, receiptId: string): Promise<RiskEvent[]>;
  /** The mark in force for a commodity now, or at `at` (ISO time). */
  getPrice(who: Identity, commodity: string, at?: string): Promise<PriceMark>;
  getLoan(who: Identity, lender: string, loanReference: string): Promise<LoanDetail>;
}

export interface ReceiptRegistryOptions {
  readonly ledger: Pick<LedgerPort, 'submit' | 'evaluate'>;
  /** How often a transaction invalidated by a concurrent one is simulated and submitted again. */
  readonly mvccRetries?: number;
  /** Told the block of every transaction committed through this registry (read-your-writes for the projection). */
  readonly onCommit?: (blockNumber: bigint) => void;
  /** For the short, jittered pause before a retry. */
  readonly clock?: Clock;
}

/**
 * Failures that a fresh simulation can overcome: a version read that a concurrent transaction changed, or (on
 * Fabric) endorsements planned from a key-level policy a concurrent transaction changed. The chaincode re-checks
 * every rule on the retry, so it cannot do anything the first attempt could not.
 */
const retryableCodes: ReadonlySet<string> = new Set(['MVCC_READ_CONFLICT', 'ENDORSEMENT_POLICY_FAILURE']);

const historyEntries = historyEntrySchema.array();
const riskEvents = riskEventSchema.array();

export function receiptRegistry(options: ReceiptRegistryOptions): ReceiptRegistry {
  const { ledger } = options;
  const retries = options.mvccRetries ?? 3;
  const clock = options.clock ?? systemClock;

  async function submit<T>(who: Identity, tx: string, args: readonly string[], schema: ZodType<T>): Promise<Committed<T>> {
    for (let attempt = 0; ; attempt++) {
      try {
        const committed = await ledger.submit(who, tx, args);
        options.onCommit?.(committed.blockNumber);
        return { data: parseResult(tx, committed.result, schema), txId: committed.txId, blockNumber: committed.blockNumber };
      } catch (error) {
        const retryable = error instanceof LedgerError && retryableCodes.has(error.code) && attempt < retries;
        if (!retryable) throw error;
        // Jitter, so that the losers of one race do not collide again on the retry.
        await clock.sleep(Math.random() * 5 * (attempt + 1));
      }
    }
  }
  const evaluate = async <T>(who: Identity, tx: string, args: readonly string[], schema: ZodType<T>): Promise<T> =>
    parseResult(tx, await ledger.evaluate(who, tx, args), schema);
  const json = (value: unknown): string => JSON.stringify(value);

  return {
    registerLot: (who, lot) => submit(who, 'RegisterLot', [json(lot)], lotSchema),
    recordStockCount: (who, lotId, quantity, reference) => submit(who, 'RecordStockCount', [lotId, quantity, reference], lotSchema),
    draftReceipt: (who, draft) => submit(who, 'DraftReceipt', [json(draft)], receiptViewSchema),
    confirmReceipt: (who, id) => submit(who, 'ConfirmReceipt', [id], receiptViewSchema),
    cancelDraft: (who, id, reason) => submit(who, 'CancelDraft', [id, reason], receiptViewSchema),
    requestPledge: (who, id, request) => submit(who, 'RequestPledge', [id, json(request)], receiptViewSchema),
    acceptPledge: (who, id, terms) => submit(who, 'AcceptPledge', [id, json(terms)], receiptViewSchema),
    rejectPledge: (who, id, reason) => submit(who, 'RejectPledge', [id, reason], receiptViewSchema),
    releasePledge: (who, id, quantity) => submit(who, 'ReleasePledge', [id, quantity], receiptViewSchema),
    approveRelease: (who, id) => submit(who, 'ApproveRelease', [id], receiptViewSchema),
    rejectRelease: (who, id, reason) => submit(who, 'RejectRelease', [id, reason], receiptViewSchema),
    transferOwnership: (who, id, newOwner) => submit(who, 'TransferOwnership', [id, newOwner], receiptViewSchema),
    splitReceipt: (who, id, quantities) => submit(who, 'SplitReceipt', [id, json(quantities)], receiptViewSchema),
    requestWithdrawal: (who, id) => submit(who, 'RequestWithdrawal', [id], receiptViewSchema),
    confirmDelivery: (who, id) => submit(who, 'ConfirmDelivery', [id], receiptViewSchema),
    freeze: (who, id, reason, reference) => submit(who, 'Freeze', [id, reason, reference], receiptViewSchema),
    unfreeze: (who, id, reason) => submit(who, 'Unfreeze', [id, reason], receiptViewSchema),
    declareDefault: (who, id, reason) => submit(who, 'DeclareDefault', [id, reason], receiptViewSchema),
    dispose: (who, id, buyer) => submit(who, 'Dispose', [id, buyer], receiptViewSchema),
    recordRiskEvent: (who, event) => submit(who, 'RecordRiskEvent', [json(event)], riskEventSchema),
    resolveRiskEvent: (who, id, resolution) => submit(who, 'ResolveRiskEvent', [id, resolution], riskEventSchema),
    recordCheckpoint: (who, checkpoint) => submit(who, 'RecordCheckpoint', [json(checkpoint)], checkpointSchema),
    requestReleaseOverride: (who, id, quantity) => submit(who, 'RequestReleaseOverride', [id, quantity], receiptViewSchema),
    overrideCovenant: (who, id, reason) => submit(who, 'OverrideCovenant', [id, reason], receiptViewSchema),
    recordPrice: (who, mark) => submit(who, 'RecordPrice', [json(mark)], priceSchema),
    amendLoanTerms: (who, loanReference, terms, reason) => submit(who, 'AmendLoanTerms', [loanReference, json({ terms, reason })], loanSchema),
    recordRepayment: (who, loanReference, repayment) => submit(who, 'RecordRepayment', [loanReference, json(repayment)], loanSchema),

    getReceipt: (who, id) => evaluate(who, 'GetReceipt', [id], receiptViewSchema),
    getHistory: (who, id) => evaluate(who, 'GetHistory', [id], historyEntries),
    listReceipts: (who, filter) => evaluate(who, 'ListReceipts', [json(filter)], receiptPageSchema),
    getEncumbrance: (who, id) => evaluate(who, 'GetEncumbrance', [id], encumbranceSchema),
    getLot: (who, id) => evaluate(who, 'GetLot', [id], lotSchema),
    getCheckpoint: (who, seq) => evaluate(who, 'GetCheckpoint', [seq.toString()], checkpointSchema),
    listRiskEvents: (who, id) => evaluate(who, 'ListRiskEvents', [id], riskEvents),
    getPrice: (who, commodity, at) => evaluate(who, 'GetPrice', [commodity, at ?? ''], priceSchema),
    getLoan: (who, lender, loanReference) => evaluate(who, 'GetLoan', [lender, loanReference], loanDetailSchema),
  };
}

/**
 * The chaincode's answer parsed with its own schema: one that does not match is the chaincode's bug or a version
 * skew between gateway and chaincode, never the caller's fault.
 */
function parseResult<T>(tx: string, bytes: Uint8Array, schema: ZodType<T>): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new LedgerError(`${tx} returned a result that is not JSON`, { code: 'CHAINCODE_ERROR', cause });
  }
  const result = schema.safeParse(parsed);
  if (!result.success) throw new LedgerError(`${tx} returned a result that does not match its schema`, { code: 'CHAINCODE_ERROR', cause: result.error });
  return result.data;
}

/** Undefined where the ledger answers NOT_FOUND (or the caller may not see it, which the chaincode answers alike). */
export async function orNothing<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof LedgerError && error.code === 'NOT_FOUND') return undefined;
    throw error;
  }
}
