import type { ReceiptView } from '@wr/chaincode/responses';
import { z } from 'zod';
import type { Queryable } from '../../db/database.js';
import type { EventType } from '../events/catalogue.js';
import { custodianMspId, lotAudience, receiptParties, storedReceiptParties, type NewEvent, type Party } from '../events/outbox.js';
import type { EventUpdate } from './projection-store.js';

/** The events each chaincode event tells: receipt transitions by name; lots, risk events and holds below. */
const receiptTypes: Readonly<Record<string, EventType>> = {
  ReceiptDrafted: 'receipt.drafted',
  ReceiptIssued: 'receipt.issued',
  DraftCancelled: 'receipt.draft-cancelled',
  WithdrawalRequested: 'receipt.withdrawal-requested',
  GoodsDelivered: 'receipt.delivered',
  ReceiptFrozen: 'receipt.frozen',
  ReceiptUnfrozen: 'receipt.unfrozen',
  OwnershipTransferred: 'receipt.transferred',
  ReceiptSplit: 'receipt.split',
  PledgeRequested: 'receipt.pledge-requested',
  PledgeAccepted: 'receipt.pledge-accepted',
  PledgeRejected: 'receipt.pledge-rejected',
  ReleaseRequested: 'receipt.release-requested',
  ReleaseRejected: 'receipt.release-rejected',
  PledgeReleased: 'receipt.released',
  DefaultDeclared: 'receipt.default-declared',
  CollateralDisposed: 'receipt.disposed',
};

/**
 * Chaincode events that tell nobody anything new here: a checkpoint's record follows its anchoring
 * (checkpoint.anchored); marks and loans are told by the collateral module, which reads the same events.
 */
const silent = new Set(['CheckpointRecorded', 'PriceRecorded', 'LoanTermsAmended', 'RepaymentRecorded']);

/** Every chaincode event name the projection knows: a test checks the chaincode emits no other. */
export const knownLedgerEvents: readonly string[] = [...Object.keys(receiptTypes), 'LotRegistered', 'StockCounted', 'RiskEventRecorded', 'RiskEventResolved', ...silent];

/** A written receipt's parties, as the chaincode's event names them. */
const writtenParties = z.object({ receiptId: z.string(), custodian: z.string(), owner: z.object({ mspId: z.string(), id: z.string() }), lender: z.string().nullable() });

const payloadSchema = z.looseObject({
  parties: z.array(writtenParties).optional(),
  receiptId: z.string().nullable().optional(),
  receiptIds: z.array(z.string()).optional(),
  lotId: z.string().nullable().optional(),
  eventId: z.string().optional(),
  riskEventId: z.string().nullable().optional(),
  kind: z.string().optional(),
  severity: z.string().optional(),
  alarmId: z.string().nullable().optional(),
});

const viewParties = (view: ReceiptView): Party[] =>
  receiptParties({ custodianMsp: view.custodian, pledgeLender: view.pledge?.lender ?? null, ownerMsp: view.owner.mspId, ownerId: view.owner.id });

/**
 * Read before the update is written: the parties each named receipt had, so that whoever loses sight of a receipt
 * through the change (a lender on release, the owner on transfer) still hears of it.
 */
export const partiesBefore = (tx: Queryable, update: EventUpdate): Promise<Map<string, Party[]>> => storedReceiptParties(tx, [...update.receipts.keys()]);

/** The events of one chaincode event, told to who could see the object before or after it; run after the update. */
export async function ledgerEvents(tx: Queryable, update: EventUpdate, before: ReadonlyMap<string, readonly Party[]>): Promise<NewEvent[]> {
  const { event } = update;
  if (silent.has(event.eventName)) return [];
  const payload = payloadSchema.parse(JSON.parse(update.payloadJson));
  // What the transaction changed, beside what every event carries (its transaction, the receipts it wrote).
  const change = Object.fromEntries(Object.entries(payload).filter(([key]) => !['txId', 'receiptIds', 'receiptId', 'parties', 'opened'].includes(key)));
  const ledger = { txId: event.txId, blockNumber: Number(event.blockNumber), event: event.eventName };
  const id = `ledger-${event.txId}`;
  const at = event.timestamp;
  const named = payload.receiptIds ?? [];
  // Who could see each written receipt just before and just after the transaction: after, as its event names them;
  // before, as the previous event on it left them. Events of an older chaincode name no parties: then the projected
  // row (before) and the ledger's current state (after) stand in.
  const after = new Map((payload.parties ?? []).map((entry) => [entry.receiptId, receiptParties({ custodianMsp: entry.custodian, pledgeLender: entry.lender, ownerMsp: entry.owner.mspId, ownerId: entry.owner.id })]));
  const previous = await storedAudiences(tx, [...after.keys()]);
  await rememberAudiences(tx, after);
  const partiesOf = (receiptIds: readonly string[]): Party[] => {
    const parties = new Set<Party>();
    for (const receiptId of receiptIds) {
      for (const party of previous.get(receiptId) ?? before.get(receiptId) ?? []) parties.add(party);
      const current = update.receipts.get(receiptId);
      for (const party of after.get(receiptId) ?? (current === undefined ? [] : viewParties(current))) parties.add(party);
    }
    return [...parties];
  };
  const receiptEvent = (eventId: string, type: EventType, receiptId: string, receiptIds: readonly string[], details: Record<string, unknown>): NewEvent => ({
    id: eventId,
    type,
    occurredAt: at,
    object: { type: 'receipt', id: receiptId },
    audience: partiesOf(receiptIds.length === 0 ? [receiptId] : receiptIds),
    data: { receiptId, receiptIds, ledger, change: details, receipt: update.receipts.get(receiptId) ?? null },
  });
  /** One event per receipt a risk event held or released: told to that receipt's parties only. */
  const holds = (type: 'receipt.held' | 'receipt.hold-lifted', riskEventId: string, details: Record<string, unknown>): NewEvent[] =>
    named.map((receiptId) => receiptEvent(`${id}-${receiptId}`, type, receiptId, [receiptId], { riskEventId, ...details }));
  const lotCustodian = (lotId: string | null | undefined): string => (lotId == null ? custodianMspId : (update.lots.get(lotId)?.custodian ?? custodianMspId));
  const riskAudience = async (lotId: string | null | undefined, receiptId: string | null | undefined): Promise<Party[]> => {
    const parties = new Set(partiesOf(named));
    if (lotId != null) for (const party of await lotAudience(tx, lotId, lotCustodian(lotId))) parties.add(party);
    if (receiptId != null) for (const party of partiesOf([receiptId])) parties.add(party);
    if (receiptId != null && !update.receipts.has(receiptId)) for (const party of (await storedReceiptParties(tx, [receiptId])).get(receiptId) ?? []) parties.add(party);
    parties.add(lotCustodian(lotId));
    return [...parties];
  };

  const type = receiptTypes[event.eventName];
  if (type !== undefined) {
    const receiptId = payload.receiptId ?? named[0];
    return receiptId == null ? [] : [receiptEvent(id, type, receiptId, named, change)];
  }
  switch (event.eventName) {
    case 'LotRegistered':
    case 'StockCounted': {
      const lotId = payload.lotId;
      if (lotId == null) return [];
      const lotChange = Object.fromEntries(Object.entries(change).filter(([key]) => key !== 'lotId'));
      const lotEvent: NewEvent = {
        id,
        type: event.eventName === 'LotRegistered' ? 'lot.registered' : 'lot.stock-counted',
        occurredAt: at,
        object: { type: 'lot', id: lotId },
        audience: [lotCustodian(lotId)],
        data: { lotId, ledger, change: lotChange },
      };
      const riskEventId = payload.riskEventId;
      if (riskEventId == null) return [lotEvent];
      const riskEvent = { id: riskEventId, kind: 'SHORTFALL', severity: 'critical', lotId, receiptId: null, alarmId: null };
      return [
        lotEvent,
        { id: `${id}-risk`, type: 'risk-event.recorded', occurredAt: at, object: { type: 'risk-event', id: riskEventId }, audience: await riskAudience(lotId, null), data: { riskEvent, ledger } },
        ...holds('receipt.held', riskEventId, { severity: 'critical' }),
      ];
    }
    case 'RiskEventRecorded':
    case 'RiskEventResolved': {
      const riskEventId = payload.eventId;
      if (riskEventId === undefined) return [];
      const recorded = event.eventName === 'RiskEventRecorded';
      const target = { lotId: payload.lotId ?? null, receiptId: payload.receiptId ?? null };
      const riskEvent = recorded ? { id: riskEventId, kind: payload.kind, severity: payload.severity, ...target, alarmId: payload.alarmId ?? null } : { id: riskEventId, ...target };
      return [
        {
          id,
          type: recorded ? 'risk-event.recorded' : 'risk-event.resolved',
          occurredAt: at,
          object: { type: 'risk-event', id: riskEventId },
          audience: await riskAudience(target.lotId, target.receiptId),
          data: { riskEvent, ledger },
        },
        ...(recorded ? holds('receipt.held', riskEventId, { severity: payload.severity }) : holds('receipt.hold-lifted', riskEventId, {})),
      ];
    }
    default:
      return [];
  }
}

async function storedAudiences(tx: Queryable, ids: readonly string[]): Promise<Map<string, Party[]>> {
  if (ids.length === 0) return new Map();
  const rows = z.array(z.object({ receipt_id: z.string(), parties: z.array(z.string()) })).parse(await tx.query('SELECT receipt_id, parties FROM receipt_audiences WHERE receipt_id = ANY($1::text[])', [[...ids]]));
  return new Map(rows.map((row) => [row.receipt_id, row.parties]));
}

async function rememberAudiences(tx: Queryable, audiences: ReadonlyMap<string, readonly Party[]>): Promise<void> {
  if (audiences.size === 0) return;
  await tx.query(
    `INSERT INTO receipt_audiences (receipt_id, parties)
     SELECT e.receipt_id, ARRAY(SELECT jsonb_array_elements_text(e.parties)) FROM jsonb_to_recordset($1::jsonb) AS e(receipt_id text, parties jsonb)
     ON CONFLICT (receipt_id) DO UPDATE SET parties = EXCLUDED.parties`,
    [JSON.stringify([...audiences].map(([receiptId, parties]) => ({ receipt_id: receiptId, parties })))],
  );
}
