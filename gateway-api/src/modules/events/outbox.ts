import { borrowerMspId, oracleRole, orgKindOf, orgKinds, rolesByOrg } from '@wr/chaincode/roles';
import { z } from 'zod';
import type { Queryable } from '../../db/database.js';
import { parseOptionalRow, parseRows, timestamp } from '../../db/rows.js';
import type { Viewer } from '../receipts/index.js';
import { isEventType, type EventType } from './catalogue.js';

/**
 * A party an event is told to: an MSP id (every identity of that organisation; in the borrower organisation only its
 * auditors), `BorrowerMSP/<user>` (one receipt owner), or `*` (every known identity: checkpoints are public).
 */
export type Party = string;

export const everyone: Party = '*';

/** The custodian organisation: it runs every warehouse (lots and supervision objects are its own). */
export const custodianMspId: string = Object.keys(orgKinds).find((mspId) => orgKinds[mspId] === 'custodian') ?? 'CustodianMSP';

/** An event as a change writes it, in the change's own transaction. */
export interface NewEvent {
  /** Stable, derived from the change (`tx-<ledger txId>`, `alarm-<id>-raised`, …): a change is told once. */
  readonly id: string;
  readonly type: EventType;
  /** When the change happened (a ledger transaction's timestamp, the moment a person acted). */
  readonly occurredAt: Date;
  readonly object: { readonly type: string; readonly id: string };
  /** Who may see the object now or just before the change (a released lender hears of its release). */
  readonly audience: readonly Party[];
  readonly data: Readonly<Record<string, unknown>>;
}

/** Where an event sits in commit order: its transaction, then its place in it. */
export interface Position {
  readonly tx: bigint;
  readonly seq: bigint;
}

export interface StoredEvent extends NewEvent {
  readonly position: Position;
}

/** An event as parties receive it (the webhook payload, an SSE message's data). */
export interface PublicEvent {
  readonly id: string;
  readonly type: EventType;
  readonly timestamp: string;
  readonly object: { readonly type: string; readonly id: string };
  readonly data: Readonly<Record<string, unknown>>;
}

export const publicEvent = (event: NewEvent): PublicEvent => ({
  id: event.id,
  type: event.type,
  timestamp: event.occurredAt.toISOString(),
  object: event.object,
  data: event.data,
});

/** The one party a viewer is, or undefined for a caller the chaincode would refuse (it sees nothing). */
export function partyOf(viewer: Viewer): Party | undefined {
  const org = orgKindOf(viewer.mspId);
  if (org === undefined || !(rolesByOrg[org] as readonly string[]).includes(viewer.role)) return undefined;
  // The oracle sees only what everyone does (marks, checkpoints): none of its organisation's receipts or lots.
  if (viewer.role === oracleRole) return `${viewer.mspId}/${oracleRole}`;
  return org === 'borrower' && viewer.role !== 'auditor' ? `${viewer.mspId}/${viewer.user}` : viewer.mspId;
}

/** Whether `party` may see an event told to `audience`. */
export const sees = (party: Party, audience: readonly Party[]): boolean => audience.includes(party) || audience.includes(everyone);

/** A receipt's parties as the projection stores them (receiptVisibility of receipts/receipt-queries.ts as a list). */
export interface ReceiptParties {
  readonly custodianMsp: string;
  readonly pledgeLender: string | null;
  readonly ownerMsp: string;
  readonly ownerId: string;
}

export function receiptParties(receipt: ReceiptParties): Party[] {
  const parties = [receipt.custodianMsp];
  if (receipt.pledgeLender !== null) parties.push(receipt.pledgeLender);
  // The borrower organisation's auditor sees every borrower's receipts, an owner its own.
  if (receipt.ownerMsp === borrowerMspId) parties.push(borrowerMspId, `${borrowerMspId}/${receipt.ownerId}`);
  return parties;
}

const partiesRow = z
  .object({ custodian_msp: z.string(), pledge_lender: z.string().nullable(), owner_msp: z.string(), owner_id: z.string() })
  .transform((row) => ({ custodianMsp: row.custodian_msp, parties: receiptParties({ custodianMsp: row.custodian_msp, pledgeLender: row.pledge_lender, ownerMsp: row.owner_msp, ownerId: row.owner_id }) }));

/** The projected parties of each receipt named (those the projection does not hold are absent). */
export async function storedReceiptParties(tx: Queryable, ids: readonly string[]): Promise<Map<string, Party[]>> {
  if (ids.length === 0) return new Map();
  const rows = await tx.query('SELECT id, custodian_msp, pledge_lender, owner_msp, owner_id FROM receipts WHERE id = ANY($1::text[])', [[...new Set(ids)]]);
  return new Map(parseRows(z.intersection(z.object({ id: z.string() }), partiesRow), rows).map((row) => [row.id, row.parties]));
}

/**
 * Who sees a supervision object on a lot (an alarm, a work order, a risk event): the custodian, every lender with a
 * receipt of the lot pledged to it, the owners of its receipts (supervisionVisibility of modules/access.ts as a list).
 * Without a lot: the custodian alone.
 */
export async function lotAudience(tx: Queryable, lotId: string | null, custodianMsp: string): Promise<Party[]> {
  if (lotId === null) return [custodianMsp];
  const rows = await tx.query('SELECT custodian_msp, pledge_lender, owner_msp, owner_id FROM receipts WHERE lot_id = $1', [lotId]);
  const parties = new Set([custodianMsp]);
  for (const row of parseRows(partiesRow, rows)) {
    // A receipt's custodian is the lot's; lot objects are told to the custodian organisation that runs the lot.
    for (const party of row.parties) if (party !== row.custodianMsp) parties.add(party);
  }
  return [...parties];
}

/** Listeners told that events may have been committed (in this process; other processes find them by polling). */
const bell = new Set<() => void>();

/** Calls `listener` (soon) after each append; returns an unsubscribe. */
export function onAppended(listener: () => void): () => void {
  bell.add(listener);
  return () => bell.delete(listener);
}

let ringing = false;
function ring(): void {
  if (ringing) return;
  ringing = true;
  // After the current turn: the appending transaction usually commits first (on PGlite, the readers' query waits for
  // its one connection anyway); readers that look too early find the events at their next poll.
  setImmediate(() => {
    ringing = false;
    for (const listener of bell) listener();
  });
}

/**
 * Tells the listeners again, e.g. once the transaction that appended has committed: `appendEvents` tells them
 * during the transaction, and on PostgreSQL a reader that looked before the commit would wait for its next poll.
 */
export function announceAppended(): void {
  ring();
}

/**
 * Appends events in the transaction of the change they tell of. An event whose id is already stored is skipped: a
 * change applied twice (a projection replaying a block) is told once.
 */
export async function appendEvents(tx: Queryable, events: readonly NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.query(
    `INSERT INTO events (id, type, occurred_at, object_type, object_id, audience, data)
     SELECT e.id, e.type, e.occurred_at, e.object_type, e.object_id, ARRAY(SELECT jsonb_array_elements_text(e.audience)), e.data
     FROM jsonb_to_recordset($1::jsonb) AS e(ord int, id text, type text, occurred_at timestamptz, object_type text, object_id text, audience jsonb, data jsonb)
     ORDER BY e.ord
     ON CONFLICT (id) DO NOTHING`,
    [
      JSON.stringify(
        events.map((event, ord) => ({
          ord,
          id: event.id,
          type: event.type,
          occurred_at: event.occurredAt.toISOString(),
          object_type: event.object.type,
          object_id: event.object.id,
          audience: [...new Set(event.audience)],
          data: event.data,
        })),
      ),
    ],
  );
  ring();
}

const eventRow = z
  .object({
    tx: z.string().regex(/^\d+$/),
    seq: z.string().regex(/^\d+$/),
    id: z.string(),
    type: z.string().refine(isEventType, { message: 'not an event type of the catalogue' }),
    occurred_at: timestamp,
    object_type: z.string(),
    object_id: z.string(),
    audience: z.array(z.string()),
    data: z.record(z.string(), z.unknown()),
  })
  .transform(
    (row): StoredEvent => ({
      position: { tx: BigInt(row.tx), seq: BigInt(row.seq) },
      id: row.id,
      type: row.type,
      occurredAt: row.occurred_at,
      object: { type: row.object_type, id: row.object_id },
      audience: row.audience,
      data: row.data,
    }),
  );

const columns = 'tx::text AS tx, seq::text AS seq, id, type, occurred_at, object_type, object_id, audience, data';

export interface ReadFilter {
  /** Only events after this position; from the first when undefined. */
  readonly after: Position | undefined;
  readonly limit: number;
  /** Only events this party may see. */
  readonly party?: Party;
  /** Only these types. */
  readonly types?: readonly string[];
}

/**
 * Committed events after a position, in commit order, taking only those whose transaction is older than every
 * transaction still running: what a later read returns always sorts after what this one returned.
 */
export async function readEvents(db: Queryable, filter: ReadFilter): Promise<StoredEvent[]> {
  const params: unknown[] = [];
  const param = (value: unknown): string => `$${params.push(value).toString()}`;
  const conditions = ['tx < pg_snapshot_xmin(pg_current_snapshot())'];
  if (filter.after !== undefined) conditions.push(`(tx, seq) > (${param(filter.after.tx.toString())}::xid8, ${param(filter.after.seq.toString())}::bigint)`);
  if (filter.party !== undefined) conditions.push(`audience && ${param([filter.party, everyone])}::text[]`);
  if (filter.types !== undefined) conditions.push(`type = ANY(${param([...filter.types])}::text[])`);
  const rows = await db.query(`SELECT ${columns} FROM events WHERE ${conditions.join(' AND ')} ORDER BY tx, seq LIMIT ${param(filter.limit)}`, params);
  return parseRows(eventRow, rows);
}

/** The position of the last event committed so far (where a reader that wants only new events starts). */
export async function headPosition(db: Queryable): Promise<Position | undefined> {
  const row = parseOptionalRow(
    z.object({ tx: z.string(), seq: z.string() }),
    await db.query('SELECT tx::text AS tx, seq::text AS seq FROM events WHERE tx < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY tx DESC, seq DESC LIMIT 1'),
  );
  return row && { tx: BigInt(row.tx), seq: BigInt(row.seq) };
}

/** The stored event with this id (its position, to resume after it), if there is one. */
export async function eventById(db: Queryable, id: string): Promise<StoredEvent | undefined> {
  return parseOptionalRow(eventRow, await db.query(`SELECT ${columns} FROM events WHERE id = $1`, [id]));
}

export const comparePositions = (a: Position, b: Position): number => (a.tx !== b.tx ? (a.tx < b.tx ? -1 : 1) : a.seq === b.seq ? 0 : a.seq < b.seq ? -1 : 1);
