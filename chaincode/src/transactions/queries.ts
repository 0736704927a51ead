import type { Context } from 'fabric-contract-api';
import { listFilterArgs, parseArg, parseJsonArg, type ListFilter } from '../args';
import { indexedIds, loadReceipt, loadVisibleReceipt, now } from '../ledger';
import { keyTypes, receiptKey } from '../keys';
import { isFrozen, receiptView } from '../lifecycle';
import { toCanonicalJson, unmarshal } from '../marshal';
import { receipt as receiptSchema, refId, type Receipt } from '../model';
import { anyKnownCaller, borrowerMspId, requireCaller, type Caller } from '../roles';
import type { Encumbrance, HistoryEntry, ReceiptPage } from '../responses';
import { canSeeReceipt } from '../visibility';
import { riskEventsOf } from './risk';

/** GetReceipt: a receipt the caller may see, with its derived `frozen` flag. */
export async function getReceipt(ctx: Context, receiptId: string): Promise<string> {
  parseArg(receiptId, refId, 'receiptId');
  const caller = requireCaller(ctx, anyKnownCaller);
  return toCanonicalJson(receiptView(await loadVisibleReceipt(ctx, caller, receiptId)));
}

/** GetHistory: every committed version of a receipt the caller may see now, newest first (Fabric's order). */
export async function getHistory(ctx: Context, receiptId: string): Promise<string> {
  parseArg(receiptId, refId, 'receiptId');
  const caller = requireCaller(ctx, anyKnownCaller);
  await loadVisibleReceipt(ctx, caller, receiptId);
  const entries: HistoryEntry[] = [];
  for await (const change of ctx.stub.getHistoryForKey(receiptKey(ctx, receiptId))) {
    const millis = Number(change.timestamp.seconds.toString()) * 1000 + Math.floor(change.timestamp.nanos / 1e6);
    const value =
      change.isDelete || change.value.length === 0
        ? null
        : receiptView(unmarshal(change.value, receiptSchema, `receipt ${receiptId} at ${change.txId}`));
    entries.push({ txId: change.txId, timestamp: new Date(millis).toISOString(), isDelete: change.isDelete, value });
  }
  return toCanonicalJson(entries);
}

/**
 * The one index a listing walks: the most selective criterion given (owner, lender, lot, warehouse, status), else
 * the caller's own scope (an owner's receipts, a lender's pledges), else every receipt.
 */
function indexFor(filter: ListFilter, caller: Caller): { readonly type: string; readonly prefix: readonly string[] } {
  if (filter.owner !== undefined) return { type: keyTypes.ownerIndex, prefix: [borrowerMspId, filter.owner] };
  if (filter.lender !== undefined) return { type: keyTypes.lenderIndex, prefix: [filter.lender] };
  if (filter.lotId !== undefined) return { type: keyTypes.lotIndex, prefix: [filter.lotId] };
  if (filter.warehouseId !== undefined) return { type: keyTypes.warehouseIndex, prefix: [filter.warehouseId] };
  if (filter.status !== undefined) return { type: keyTypes.statusIndex, prefix: [filter.status] };
  if (caller.org === 'borrower' && caller.role === 'owner') {
    return { type: keyTypes.ownerIndex, prefix: [caller.mspId, caller.id] };
  }
  if (caller.org === 'lender') return { type: keyTypes.lenderIndex, prefix: [caller.mspId] };
  return { type: keyTypes.receipt, prefix: [] };
}

/** Whether a receipt meets every criterion of the filter. */
function matches(filter: ListFilter, receipt: Receipt): boolean {
  return (
    (filter.status === undefined || receipt.status === filter.status) &&
    (filter.owner === undefined || (receipt.owner.mspId === borrowerMspId && receipt.owner.id === filter.owner)) &&
    (filter.lender === undefined || receipt.pledge?.lender === filter.lender) &&
    (filter.warehouseId === undefined || receipt.warehouseId === filter.warehouseId) &&
    (filter.lotId === undefined || receipt.lotId === filter.lotId)
  );
}

/** ListReceipts: the receipts the caller may see that match the filter, in id order, a page at a time. */
export async function listReceipts(ctx: Context, filterJson: string): Promise<string> {
  const filter = parseJsonArg(filterJson, listFilterArgs, 'filter');
  const limit = filter.limit ?? 100;
  const caller = requireCaller(ctx, anyKnownCaller);
  const { type, prefix } = indexFor(filter, caller);
  const items: Receipt[] = [];
  let next: string | null = null;
  for (const id of await indexedIds(ctx, type, prefix)) {
    if (filter.after !== undefined && id <= filter.after) {
      continue;
    }
    const receipt = await loadReceipt(ctx, id);
    if (receipt === undefined || !canSeeReceipt(caller, receipt) || !matches(filter, receipt)) {
      continue;
    }
    if (items.length === limit) {
      // One more match exists, so the page is full and the next page starts after its last item.
      next = items[items.length - 1]?.id ?? null;
      break;
    }
    items.push(receipt);
  }
  const page: ReceiptPage = { items: items.map(receiptView), next };
  return toCanonicalJson(page);
}

/** GetEncumbrance: what a bank checks before lending: owner, status, holds, pledge, open risks and lineage. */
export async function getEncumbrance(ctx: Context, receiptId: string): Promise<string> {
  parseArg(receiptId, refId, 'receiptId');
  const caller = requireCaller(ctx, anyKnownCaller);
  const receipt = await loadVisibleReceipt(ctx, caller, receiptId);
  const openRiskEvents = (await riskEventsOf(ctx, receipt)).filter((event) => event.status === 'OPEN');
  const result: Encumbrance = {
    receiptId: receipt.id,
    status: receipt.status,
    owner: receipt.owner,
    quantity: receipt.quantity,
    unit: receipt.unit,
    commodity: receipt.commodity,
    frozen: isFrozen(receipt),
    freezes: receipt.freezes,
    pledge: receipt.pledge,
    pendingRelease: receipt.pendingRelease,
    openRiskEvents,
    lineage: { parentId: receipt.parentId, children: receipt.children },
    asOf: now(ctx),
  };
  return toCanonicalJson(result);
}
