import type { Context } from 'fabric-contract-api';
import { parseArg, parseJsonArg, reason, riskEventArgs } from '../args';
import { ChaincodeError, internal, invalidState, notFound } from '../errors';
import {
  emit,
  indexedIds,
  keyExists,
  loadReceipt,
  loadVisibleLot,
  loadVisibleReceipt,
  now,
  putIndex,
  putRecord,
  readRecord,
  writeReceipt,
} from '../ledger';
import { keyTypes, riskKey } from '../keys';
import { receiptParties } from '../lifecycle';
import { toCanonicalJson } from '../marshal';
import { refId, riskEvent as riskEventSchema, type Receipt, type RiskEvent } from '../model';
import { anyKnownCaller, requireCaller, type Caller } from '../roles';
import { isLive, recordAccess } from '../transitions';

/** Loads a risk event; NOT_FOUND when absent. */
async function loadRiskEvent(ctx: Context, id: string): Promise<RiskEvent> {
  const event = await readRecord(ctx, riskKey(ctx, id), riskEventSchema, `risk event ${id}`);
  if (event === undefined) {
    throw notFound(`risk event ${id}`);
  }
  return event;
}

/** The live receipts of a lot, in id order. */
async function liveReceiptsOfLot(ctx: Context, lotId: string): Promise<Receipt[]> {
  const receipts: Receipt[] = [];
  for (const id of await indexedIds(ctx, keyTypes.lotIndex, [lotId])) {
    const receipt = await loadReceipt(ctx, id);
    if (receipt !== undefined && isLive(receipt.status)) {
      receipts.push(receipt);
    }
  }
  return receipts;
}

/** Puts a custodian hold tied to a critical risk event on each receipt; returns the receipts written. */
async function holdForRisk(
  ctx: Context,
  caller: Caller,
  event: RiskEvent,
  receipts: readonly Receipt[],
): Promise<Receipt[]> {
  const written: Receipt[] = [];
  for (const receipt of receipts) {
    const hold = {
      org: caller.mspId,
      by: caller.id,
      reason: `${event.kind}: ${event.detail}`,
      reference: event.evidenceRef ?? event.id,
      at: now(ctx),
      riskEventId: event.id,
    };
    written.push(await writeReceipt(ctx, receipt, { ...receipt, freezes: [...receipt.freezes, hold] }));
  }
  return written;
}

/** What a risk event is about; the record schema allows both ids null, so a record with neither is corrupt. */
function riskTarget(event: RiskEvent): { readonly receiptId: string } | { readonly lotId: string } {
  if (event.receiptId !== null) {
    return { receiptId: event.receiptId };
  }
  if (event.lotId !== null) {
    return { lotId: event.lotId };
  }
  throw internal(`risk event ${event.id} names neither a receipt nor a lot`);
}

/** The receipts a critical event freezes: its receipt if still live, or every live receipt of its lot. */
async function receiptsToHold(ctx: Context, event: RiskEvent, receipt: Receipt | undefined): Promise<Receipt[]> {
  const target = riskTarget(event);
  if ('lotId' in target) {
    return liveReceiptsOfLot(ctx, target.lotId);
  }
  // A terminal receipt (delivered, split, cancelled) has nothing left to block: the event is recorded only.
  return receipt !== undefined && isLive(receipt.status) ? [receipt] : [];
}

/** Freezes every live receipt of the event's lot (a lot-wide critical event such as a shortfall). */
export async function holdLiveReceiptsOfLot(ctx: Context, caller: Caller, event: RiskEvent): Promise<Receipt[]> {
  return holdForRisk(ctx, caller, event, await receiptsToHold(ctx, event, undefined));
}

/** Writes a risk event and its index entries: on its receipt or lot, and on every receipt it froze. */
export async function writeRiskEvent(
  ctx: Context,
  event: RiskEvent,
  custodian: string,
  heldIds: readonly string[],
): Promise<void> {
  await putRecord(ctx, riskKey(ctx, event.id), event, [custodian]);
  if (event.alarm !== undefined) {
    await putIndex(ctx, keyTypes.alarmRiskIndex, [event.alarm.alarmId, event.id]);
  }
  if (event.lotId !== null) {
    await putIndex(ctx, keyTypes.lotRiskIndex, [event.lotId, event.id]);
  }
  const receiptIds = new Set(heldIds);
  if (event.receiptId !== null) {
    receiptIds.add(event.receiptId);
  }
  for (const receiptId of [...receiptIds].sort()) {
    await putIndex(ctx, keyTypes.receiptRiskIndex, [receiptId, event.id]);
  }
}

/**
 * RecordRiskEvent: stores a risk observation; a critical one freezes its receipt or every live receipt of its lot. An
 * event linked to an alarm is recorded once per alarm: a second event for the same alarm is ALREADY_EXISTS, whatever
 * its id, so a gateway that resubmits after a lost answer cannot raise (and hold for) one alarm twice.
 */
export async function recordRiskEvent(ctx: Context, eventJson: string): Promise<string> {
  const args = parseJsonArg(eventJson, riskEventArgs, 'event');
  const caller = requireCaller(ctx, recordAccess.RecordRiskEvent);
  const receipt = args.receiptId === undefined ? undefined : await loadVisibleReceipt(ctx, caller, args.receiptId);
  const lot = args.lotId === undefined ? undefined : await loadVisibleLot(ctx, caller, args.lotId);
  if (await keyExists(ctx, riskKey(ctx, args.id))) {
    throw new ChaincodeError('ALREADY_EXISTS', `risk event ${args.id} already exists`);
  }
  if (args.alarm !== undefined) {
    const [recorded] = await indexedIds(ctx, keyTypes.alarmRiskIndex, [args.alarm.alarmId]);
    if (recorded !== undefined) {
      throw new ChaincodeError('ALREADY_EXISTS', `alarm ${args.alarm.alarmId} is already risk event ${recorded}`);
    }
  }
  const event: RiskEvent = {
    docType: 'risk',
    id: args.id,
    receiptId: args.receiptId ?? null,
    lotId: args.lotId ?? null,
    kind: args.kind,
    severity: args.severity,
    detail: args.detail,
    evidenceRef: args.evidenceRef ?? null,
    status: 'OPEN',
    recordedBy: caller.id,
    recordedAt: now(ctx),
    resolvedBy: null,
    resolvedAt: null,
    resolution: null,
    // Only when given: `alarm` is absent, never undefined or null, on events without one (see the record schema).
    ...(args.alarm === undefined ? {} : { alarm: args.alarm }),
  };
  let held: Receipt[] = [];
  // Only critical holds; major and below are recorded for the parties to see (a major alarm is a warning to banks).
  if (event.severity === 'critical') {
    held = await holdForRisk(ctx, caller, event, await receiptsToHold(ctx, event, receipt));
  }
  const custodian = receipt?.custodian ?? lot?.custodian ?? caller.mspId;
  await writeRiskEvent(ctx, event, custodian, held.map((each) => each.id));
  emit(ctx, 'RiskEventRecorded', {
    eventId: event.id,
    receiptId: event.receiptId,
    lotId: event.lotId,
    kind: event.kind,
    severity: event.severity,
    alarmId: event.alarm?.alarmId ?? null,
    receiptIds: held.map((each) => each.id),
    parties: receiptParties(held),
  });
  return toCanonicalJson(event);
}

/** ResolveRiskEvent: closes an open risk event and lifts the holds it put on receipts. */
export async function resolveRiskEvent(ctx: Context, eventId: string, resolutionText: string): Promise<string> {
  parseArg(eventId, refId, 'eventId');
  const resolution = parseArg(resolutionText, reason, 'resolution');
  const caller = requireCaller(ctx, recordAccess.ResolveRiskEvent);
  const event = await loadRiskEvent(ctx, eventId);
  const custodian = await visibleRiskCustodian(ctx, caller, event);
  if (event.status !== 'OPEN') {
    throw invalidState(`risk event ${event.id} is already ${event.status}`);
  }
  const target = riskTarget(event);
  const candidates = 'lotId' in target ? await indexedIds(ctx, keyTypes.lotIndex, [target.lotId]) : [target.receiptId];
  const written: Receipt[] = [];
  for (const id of candidates) {
    const receipt = await loadReceipt(ctx, id);
    if (receipt !== undefined && receipt.freezes.some((hold) => hold.riskEventId === event.id)) {
      const freezes = receipt.freezes.filter((hold) => hold.riskEventId !== event.id);
      written.push(await writeReceipt(ctx, receipt, { ...receipt, freezes }));
    }
  }
  const resolved: RiskEvent = { ...event, status: 'RESOLVED', resolvedBy: caller.id, resolvedAt: now(ctx), resolution };
  await putRecord(ctx, riskKey(ctx, resolved.id), resolved, [custodian]);
  emit(ctx, 'RiskEventResolved', {
    eventId: resolved.id,
    receiptId: resolved.receiptId,
    lotId: resolved.lotId,
    receiptIds: written.map((each) => each.id),
    parties: receiptParties(written),
  });
  return toCanonicalJson(resolved);
}

/** The custodian of the event's receipt or lot, if the caller may see that object; NOT_FOUND otherwise. */
async function visibleRiskCustodian(ctx: Context, caller: Caller, event: RiskEvent): Promise<string> {
  const target = riskTarget(event);
  try {
    return 'lotId' in target
      ? (await loadVisibleLot(ctx, caller, target.lotId)).custodian
      : (await loadVisibleReceipt(ctx, caller, target.receiptId)).custodian;
  } catch (error) {
    // Report the event, not the object behind it, as missing: the caller asked about the event.
    throw error instanceof ChaincodeError && error.code === 'NOT_FOUND' ? notFound(`risk event ${event.id}`) : error;
  }
}

/** The risk events on a receipt and on its lot, in id order, each once. */
export async function riskEventsOf(ctx: Context, receipt: Receipt): Promise<RiskEvent[]> {
  const ids = new Set([
    ...(await indexedIds(ctx, keyTypes.receiptRiskIndex, [receipt.id])),
    ...(await indexedIds(ctx, keyTypes.lotRiskIndex, [receipt.lotId])),
  ]);
  const events: RiskEvent[] = [];
  for (const id of [...ids].sort()) {
    events.push(await loadRiskEvent(ctx, id));
  }
  return events;
}

/** ListRiskEvents: every risk event on a receipt the caller may see, and on its lot. */
export async function listRiskEvents(ctx: Context, receiptId: string): Promise<string> {
  parseArg(receiptId, refId, 'receiptId');
  const caller = requireCaller(ctx, anyKnownCaller);
  const receipt = await loadVisibleReceipt(ctx, caller, receiptId);
  return toCanonicalJson(await riskEventsOf(ctx, receipt));
}
