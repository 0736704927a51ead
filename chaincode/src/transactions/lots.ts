import type { Context } from 'fabric-contract-api';
import { parseArg, parseJsonArg, reference, registerLotArgs } from '../args';
import { ChaincodeError, forbidden } from '../errors';
import { emit, keyExists, loadVisibleLot, now, writeLot } from '../ledger';
import { lotKey } from '../keys';
import { toCanonicalJson } from '../marshal';
import { receiptParties } from '../lifecycle';
import { decimal, refId, type Lot, type Receipt, type RiskEvent } from '../model';
import { Quantity } from '../quantity';
import { anyKnownCaller, requireCaller } from '../roles';
import { recordAccess } from '../transitions';
import { holdLiveReceiptsOfLot, writeRiskEvent } from './risk';

/** RegisterLot: the custodian records goods it measured into store. */
export async function registerLot(ctx: Context, lotJson: string): Promise<string> {
  const args = parseJsonArg(lotJson, registerLotArgs, 'lot');
  const quantity = Quantity.parsePositive(args.quantity);
  const caller = requireCaller(ctx, recordAccess.RegisterLot);
  if (await keyExists(ctx, lotKey(ctx, args.id))) {
    throw new ChaincodeError('ALREADY_EXISTS', `lot ${args.id} already exists`);
  }
  const lot: Lot = {
    docType: 'lot',
    id: args.id,
    warehouseId: args.warehouseId,
    location: args.location,
    commodity: args.commodity,
    unit: args.unit,
    quantity: quantity.toString(),
    receiptedQuantity: '0',
    documents: args.documents ?? [],
    custodian: caller.mspId,
    registeredBy: caller.id,
    registeredAt: now(ctx),
    lastCount: null,
    shortfall: null,
  };
  await writeLot(ctx, lot);
  emit(ctx, 'LotRegistered', { lotId: lot.id, warehouseId: lot.warehouseId, quantity: lot.quantity, receiptIds: [] });
  return toCanonicalJson(lot);
}

/**
 * RecordStockCount: the measured quantity becomes the count. Finding less than is receipted raises one critical
 * SHORTFALL risk event and freezes every live receipt of the lot until the event is resolved.
 */
export async function recordStockCount(
  ctx: Context,
  lotId: string,
  quantityText: string,
  referenceText: string,
): Promise<string> {
  parseArg(lotId, refId, 'lotId');
  const counted = Quantity.parse(parseArg(quantityText, decimal, 'quantity'));
  const countReference = parseArg(referenceText, reference, 'reference');
  const caller = requireCaller(ctx, recordAccess.RecordStockCount);
  const lot = await loadVisibleLot(ctx, caller, lotId);
  // A machine count (load cells) may only lower the stock: a sensor reading high must not let clerks draft receipts
  // against goods that are not there. Raising it takes the supervisor's count.
  if (caller.role === 'device-gateway' && counted.compare(Quantity.parse(lot.quantity)) > 0) {
    throw forbidden(`a device-gateway count may only lower lot ${lot.id}'s quantity ${lot.quantity}; a supervisor's count raises it`);
  }
  const at = now(ctx);
  const txId = ctx.stub.getTxID();
  const receipted = Quantity.parse(lot.receiptedQuantity);
  const short = counted.compare(receipted) < 0;
  const updated: Lot = {
    ...lot,
    quantity: counted.toString(),
    lastCount: { quantity: counted.toString(), reference: countReference, countedBy: caller.id, countedAt: at },
    shortfall: short
      ? {
          measured: counted.toString(),
          receipted: receipted.toString(),
          missing: receipted.sub(counted).toString(),
          detectedAt: at,
          txId,
        }
      : null,
  };
  let riskEvent: RiskEvent | null = null;
  let held: Receipt[] = [];
  if (updated.shortfall !== null) {
    riskEvent = {
      docType: 'risk',
      id: `shortfall-${lot.id}-${txId.slice(0, 12)}`,
      receiptId: null,
      lotId: lot.id,
      kind: 'SHORTFALL',
      severity: 'critical',
      detail:
        `stock count found ${updated.shortfall.measured} ${lot.unit}, ` +
        `receipted ${updated.shortfall.receipted}, missing ${updated.shortfall.missing}`,
      evidenceRef: countReference,
      status: 'OPEN',
      recordedBy: caller.id,
      recordedAt: at,
      resolvedBy: null,
      resolvedAt: null,
      resolution: null,
    };
    held = await holdLiveReceiptsOfLot(ctx, caller, riskEvent);
    await writeRiskEvent(ctx, riskEvent, lot.custodian, held.map((receipt) => receipt.id));
  }
  await writeLot(ctx, updated);
  emit(ctx, 'StockCounted', {
    lotId: lot.id,
    quantity: updated.quantity,
    receiptedQuantity: updated.receiptedQuantity,
    shortfall: updated.shortfall,
    riskEventId: riskEvent?.id ?? null,
    receiptIds: held.map((receipt) => receipt.id),
    parties: receiptParties(held),
  });
  return toCanonicalJson(updated);
}

/** GetLot: the custodian's view of one of its lots. */
export async function getLot(ctx: Context, lotId: string): Promise<string> {
  parseArg(lotId, refId, 'lotId');
  const caller = requireCaller(ctx, anyKnownCaller);
  return toCanonicalJson(await loadVisibleLot(ctx, caller, lotId));
}
