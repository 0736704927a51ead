import type { Lot } from '@wr/chaincode/model';
import type { ReceiptView } from '@wr/chaincode/responses';
import { z } from 'zod';
import type { LedgerEvent } from '../../ledger/port.js';
import type { Queryable } from '../../db/database.js';
import { int8, parseOptionalRow } from '../../db/rows.js';
import { appendEvents, type NewEvent } from '../events/outbox.js';
import { ledgerEvents, partiesBefore } from './events.js';

/** The checkpoint every projection of the ledger into these tables is recorded under. */
export const PROJECTION_NAME = 'ledger';

/** A position on the ledger: an event's block and its transaction's index in that block. */
export interface LedgerPosition {
  readonly blockNumber: bigint;
  readonly txIndex: number;
}

/** What one event changes in the projection: the event itself and the current state of what it names. */
export interface EventUpdate {
  readonly event: LedgerEvent;
  /** The event payload as JSON text (the chaincode marshals every payload as JSON). */
  readonly payloadJson: string;
  /** Current state of each receipt the event names; undefined when the ledger no longer shows it. */
  readonly receipts: ReadonlyMap<string, ReceiptView | undefined>;
  readonly lots: ReadonlyMap<string, Lot | undefined>;
}

const checkpointRow = z.object({ block_number: int8, tx_index: z.number().int() });

export async function readCheckpoint(db: Queryable): Promise<LedgerPosition | undefined> {
  const row = parseOptionalRow(
    checkpointRow,
    await db.query('SELECT block_number, tx_index FROM projection_checkpoints WHERE name = $1', [PROJECTION_NAME]),
  );
  return row && { blockNumber: row.block_number, txIndex: row.tx_index };
}

/**
 * Writes one event's update; run it in the event's transaction. Every statement is idempotent: the event is kept
 * once, a row is only overwritten by a refresh from the same or a later block (so a slow or restarted projector
 * cannot roll a row back), and the checkpoint only moves forward.
 */
export async function writeEventUpdate(tx: Queryable, update: EventUpdate): Promise<void> {
  await writeEventUpdates(tx, [update]);
}

/** A failure while writing the update of `updates[index]` (the statements written once for all belong to none). */
export class EventUpdateError extends Error {
  constructor(
    readonly index: number,
    cause: unknown,
  ) {
    super(`writing the update of event ${index.toString()} failed`, { cause });
    this.name = 'EventUpdateError';
  }
}

/**
 * Writes the updates of several events, in ledger order, in one transaction, leaving exactly what writing each in
 * turn with `writeEventUpdate` leaves: each event's receipts and lots are refreshed after reading who saw its
 * receipts before (the events before it included) and its outbox events are derived then, in event order; what no
 * event of the batch reads back (the ledger_events rows, the outbox rows, the checkpoint) is written once for all.
 */
export async function writeEventUpdates(tx: Queryable, updates: readonly EventUpdate[]): Promise<void> {
  const last = updates[updates.length - 1];
  if (last === undefined) return;
  await tx.query(
    `INSERT INTO ledger_events (block_number, tx_index, tx_id, event_name, payload, tx_timestamp)
     SELECT e.block_number, e.tx_index, e.tx_id, e.event_name, e.payload::jsonb, e.tx_timestamp
     FROM jsonb_to_recordset($1::jsonb)
       AS e(ord int, block_number bigint, tx_index int, tx_id text, event_name text, payload text, tx_timestamp timestamptz)
     ORDER BY e.ord
     ON CONFLICT (block_number, tx_index) DO NOTHING`,
    [
      JSON.stringify(
        updates.map(({ event, payloadJson }, ord) => ({
          ord,
          block_number: event.blockNumber.toString(),
          tx_index: event.txIndex,
          tx_id: event.txId,
          event_name: event.eventName,
          // As text, cast by the database: the payload's numbers never pass through a JavaScript number.
          payload: payloadJson,
          tx_timestamp: event.timestamp.toISOString(),
        })),
      ),
    ],
  );
  const told: NewEvent[] = [];
  for (const [index, update] of updates.entries()) {
    try {
      told.push(...(await refresh(tx, update)));
    } catch (error) {
      throw new EventUpdateError(index, error);
    }
  }
  // Told in the transaction that applies the change: the outbox holds what the tables hold, never more or less.
  await appendEvents(tx, told);
  await tx.query(
    `INSERT INTO projection_checkpoints (name, block_number, tx_index) VALUES ($1, $2, $3)
     ON CONFLICT (name) DO UPDATE SET block_number = EXCLUDED.block_number, tx_index = EXCLUDED.tx_index, updated_at = now()
     WHERE (projection_checkpoints.block_number, projection_checkpoints.tx_index) < (EXCLUDED.block_number, EXCLUDED.tx_index)`,
    [PROJECTION_NAME, last.event.blockNumber.toString(), last.event.txIndex],
  );
}

/** Refreshes what one event names and returns what it tells, reading who saw its receipts before the refresh. */
async function refresh(tx: Queryable, update: EventUpdate): Promise<NewEvent[]> {
  const block = update.event.blockNumber.toString();
  const before = await partiesBefore(tx, update);
  for (const [id, receipt] of update.receipts) {
    await (receipt === undefined
      ? tx.query('DELETE FROM receipts WHERE id = $1 AND updated_block <= $2', [id, block])
      : upsertReceipt(tx, receipt, block));
  }
  for (const [id, lot] of update.lots) {
    await (lot === undefined ? tx.query('DELETE FROM lots WHERE id = $1 AND updated_block <= $2', [id, block]) : upsertLot(tx, lot, block));
  }
  return ledgerEvents(tx, update, before);
}

async function upsertReceipt(tx: Queryable, receipt: ReceiptView, block: string): Promise<void> {
  await tx.query(
    `INSERT INTO receipts (id, lot_id, warehouse_id, custodian_msp, owner_msp, owner_id, status, quantity, unit, commodity,
                           pledge_lender, pledge_status, frozen, parent_id, updated_block, updated_tx, document)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::numeric, $9, $10, $11, $12, $13, $14, $15, $16, $17::jsonb)
     ON CONFLICT (id) DO UPDATE SET
       lot_id = EXCLUDED.lot_id, warehouse_id = EXCLUDED.warehouse_id, custodian_msp = EXCLUDED.custodian_msp,
       owner_msp = EXCLUDED.owner_msp, owner_id = EXCLUDED.owner_id, status = EXCLUDED.status,
       quantity = EXCLUDED.quantity, unit = EXCLUDED.unit, commodity = EXCLUDED.commodity,
       pledge_lender = EXCLUDED.pledge_lender, pledge_status = EXCLUDED.pledge_status, frozen = EXCLUDED.frozen,
       parent_id = EXCLUDED.parent_id, updated_block = EXCLUDED.updated_block, updated_tx = EXCLUDED.updated_tx,
       document = EXCLUDED.document
     WHERE receipts.updated_block <= EXCLUDED.updated_block`,
    [
      receipt.id,
      receipt.lotId,
      receipt.warehouseId,
      receipt.custodian,
      receipt.owner.mspId,
      receipt.owner.id,
      receipt.status,
      receipt.quantity,
      receipt.unit,
      receipt.commodity,
      receipt.pledge?.lender ?? null,
      receipt.pledge?.status ?? null,
      receipt.frozen,
      receipt.parentId,
      block,
      receipt.lastTxId,
      JSON.stringify(receipt),
    ],
  );
}

async function upsertLot(tx: Queryable, lot: Lot, block: string): Promise<void> {
  await tx.query(
    `INSERT INTO lots (id, warehouse_id, custodian_msp, commodity, unit, quantity, receipted_quantity, updated_block, document)
     VALUES ($1, $2, $3, $4, $5, $6::numeric, $7::numeric, $8, $9::jsonb)
     ON CONFLICT (id) DO UPDATE SET
       warehouse_id = EXCLUDED.warehouse_id, custodian_msp = EXCLUDED.custodian_msp, commodity = EXCLUDED.commodity,
       unit = EXCLUDED.unit, quantity = EXCLUDED.quantity, receipted_quantity = EXCLUDED.receipted_quantity,
       updated_block = EXCLUDED.updated_block, document = EXCLUDED.document
     WHERE lots.updated_block <= EXCLUDED.updated_block`,
    [lot.id, lot.warehouseId, lot.custodian, lot.commodity, lot.unit, lot.quantity, lot.receiptedQuantity, block, JSON.stringify(lot)],
  );
}
