import { jcs } from '@wr/anchor';
import { liveStatuses } from '@wr/chaincode/transitions';
import { z } from 'zod';
import type { Database, Queryable } from '../../db/database.js';
import { int8Number, parseOptionalRow, parseRows } from '../../db/rows.js';
import type { Clock } from '../../platform/clock.js';
import type { StepOutcome } from '../../platform/loop.js';
import { createEngine, engineState, ruleVersion, type AlarmChange, type Engine, type EngineInput } from './engine/index.js';
import { ruleStore } from './store.js';

/**
 * The evaluation loop's driver: it feeds the engine every accepted reading in leaf order, with the rule sets, lot facts
 * and wall-clock ticks it logs in `rule_inputs`, and writes what the engine raised in the same transaction as its new
 * place and state. Replay (replayInputs) reads the same log back, so it feeds the engine exactly what the loop did.
 */

/** What the driver remembers besides the engine's own state. */
const driverState = z.object({
  rulesRevision: z.string().nullable(),
  /** Each lot seen: its commodity and warehouse (immutable on the ledger), and the receipted quantity last fed. */
  lots: z.record(z.string(), z.object({ commodity: z.string().nullable(), receipted: z.string().nullable() })),
  lastTick: z.number().nullable(),
  /** Whether any rule in force needs the lots' receipted quantities. */
  needsFacts: z.boolean(),
});
type DriverState = z.infer<typeof driverState>;

/**
 * The stored state: the driver's and the engine's as of leaf `at` (absent: as of the row's leaf_cursor). The loop writes
 * it only when a step logged an input, or every SNAPSHOT_EVERY leaves, since a 100-device snapshot is hundreds of
 * kilobytes and a step runs after each intake commit; between two snapshots only readings were fed, so resuming feeds
 * the readings after `at` again, dropping their changes (recorded when they were first evaluated).
 */
const storedState = z.object({ driver: driverState, engine: z.unknown(), at: z.number().int().min(-1).optional() });

/** At most this many leaves between two stored snapshots: what a restart may have to evaluate again. */
const SNAPSHOT_EVERY = 20_000;

/** The envelopes read first in a step, before the readings per envelope are known. */
const FIRST_PAGE_ENVELOPES = 200;

/**
 * At most about this many alarm changes per step (the step ends after the envelope that reaches it): each is written
 * with its alarm, work orders and outbox event while intake waits for PGlite's one connection.
 */
const MAX_CHANGES_PER_STEP = 500;

/** A logged input other than a reading, as rule_inputs keeps it (type and payload), parsed when it is read back. */
const loggedInput = z.discriminatedUnion('type', [
  z.object({ type: z.literal('rules'), payload: z.object({ rules: z.array(ruleVersion) }) }),
  z.object({ type: z.literal('fact'), payload: z.object({ lotId: z.string(), receiptedQuantity: z.string() }) }),
  z.object({ type: z.literal('lot'), payload: z.object({ lotId: z.string(), commodity: z.string().nullable() }) }),
  z.object({ type: z.literal('tick'), payload: z.object({ now: z.number() }) }),
]);
export type LoggedInput = z.infer<typeof loggedInput>;

/** An accepted device reading as the driver reads it from the evidence table. */
const readingRow = z.object({
  leaf_index: int8Number,
  id: z.string(),
  leaf_hash: z.instanceof(Buffer),
  device_id: z.string(),
  device_seq: int8Number,
  seq_gap_from: int8Number.nullable(),
  lot_id: z.string().nullable(),
  warehouse_id: z.string(),
  envelope: z.object({ ts: z.string(), readings: z.array(z.object({ kind: z.string(), value: z.unknown(), unit: z.string().optional() }).loose()) }).loose(),
});
type ReadingRow = z.infer<typeof readingRow>;

const readingsSql = `SELECT e.leaf_index::text AS leaf_index, e.id, e.leaf_hash, e.device_id, e.device_seq::text AS device_seq,
    e.seq_gap_from::text AS seq_gap_from, e.lot_id, d.warehouse_id, e.record->'envelope' AS envelope
  FROM evidence e JOIN devices d ON d.id = e.device_id
  WHERE e.kind = 'device-reading' AND e.leaf_index > $1 AND e.leaf_index <= $2 ORDER BY e.leaf_index LIMIT $3`;

/** The engine's input for a stored reading. */
function readingInput(row: ReadingRow, lots: DriverState['lots']): EngineInput {
  return {
    type: 'reading',
    position: row.leaf_index,
    evidenceId: row.id,
    leafHash: row.leaf_hash.toString('hex'),
    deviceId: row.device_id,
    seq: row.device_seq,
    seqGapFrom: row.seq_gap_from,
    ts: Date.parse(row.envelope.ts),
    lotId: row.lot_id,
    warehouseId: row.warehouse_id,
    commodity: row.lot_id === null ? null : (lots[row.lot_id]?.commodity ?? null),
    readings: row.envelope.readings.map((reading) => ({ kind: reading.kind, value: reading.value, ...(reading.unit === undefined ? {} : { unit: reading.unit }) })),
  };
}

/** Applies a logged input to the driver's state and gives the engine's input for it (none for a lot's commodity). */
function applyLogged(input: LoggedInput, position: number, state: DriverState): EngineInput | undefined {
  switch (input.type) {
    case 'rules':
      state.needsFacts = input.payload.rules.some((rule) => rule.definition.kind === 'stock-reconciliation');
      return { type: 'rules', position, rules: input.payload.rules };
    case 'lot':
      state.lots[input.payload.lotId] = { commodity: input.payload.commodity, receipted: state.lots[input.payload.lotId]?.receipted ?? null };
      return undefined;
    case 'fact': {
      const lot = state.lots[input.payload.lotId] ?? { commodity: null, receipted: null };
      state.lots[input.payload.lotId] = { ...lot, receipted: input.payload.receiptedQuantity };
      return { type: 'fact', position, lotId: input.payload.lotId, receiptedQuantity: input.payload.receiptedQuantity };
    }
    case 'tick':
      state.lastTick = input.payload.now;
      return { type: 'tick', position, now: input.payload.now };
  }
}

const emptyDriver = (): DriverState => ({ rulesRevision: null, lots: {}, lastTick: null, needsFacts: false });

export interface EvaluationOptions {
  readonly db: Database;
  readonly clock: Clock;
  /** About this many readings per step (it ends after the envelope that reaches it), and never more envelopes. */
  readonly batchSize: number;
  /** How often a wall-clock tick is fed (offline rules need it). */
  readonly tickMs: number;
  /** The commodity of a lot the driver has not seen yet (read from the ledger); null when it cannot be read. */
  readonly commodityOf: (lotIds: readonly string[]) => Promise<Map<string, string | null>>;
  /** Before each step, in its transaction: e.g. giving new warehouses their default rules. */
  readonly beforeStep?: (tx: Queryable) => Promise<void>;
  /** What the engine changed, written in the step's transaction (the alarms module's). */
  readonly record: (tx: Queryable, changes: readonly AlarmChange[], leafCursor: number) => Promise<void>;
  /** Told once the step that recorded `changes` has committed (e.g. to wake a worker that acts on them). */
  readonly committed?: (changes: readonly AlarmChange[]) => void;
}

export interface Evaluation {
  /** One step: about batchSize readings at most (whole envelopes), in one transaction. 'more' when readings may be left. */
  step(): Promise<StepOutcome>;
  /** The highest leaf index evaluated. */
  cursor(): Promise<number>;
}

export function evaluation(options: EvaluationOptions): Evaluation {
  const { db, clock } = options;
  /** The engine as of the last committed step, kept between steps (the stored state is the truth after a failure). */
  let cached: { readonly cursor: number; readonly engine: Engine; readonly driver: DriverState; readonly snapshotAt: number } | undefined;

  /** The engine and driver as of `cursor`: the stored snapshot, and the readings evaluated since it fed again. */
  async function resume(tx: Queryable, cursor: number): Promise<{ engine: Engine; driver: DriverState; snapshotAt: number }> {
    const stored = parseOptionalRow(z.object({ state: storedState }), await tx.query('SELECT state FROM rule_engine_state'));
    if (stored === undefined) throw new Error('rule_engine_state has no row');
    const engine = createEngine(stored.state.engine === null || stored.state.engine === undefined ? undefined : engineState.parse(stored.state.engine));
    const { driver } = stored.state;
    const snapshotAt = stored.state.at ?? cursor;
    for (let from = snapshotAt; from < cursor; ) {
      const rows = parseRows(readingRow, await tx.query(readingsSql, [from, cursor, FIRST_PAGE_ENVELOPES]));
      for (const reading of rows) engine.apply(readingInput(reading, driver.lots));
      const last = rows.at(-1);
      if (last === undefined) break;
      from = last.leaf_index;
    }
    return { engine, driver, snapshotAt };
  }

  return {
    async cursor() {
      const row = parseOptionalRow(z.object({ leaf_cursor: int8Number }), await db.query('SELECT leaf_cursor::text AS leaf_cursor FROM rule_engine_state'));
      return row?.leaf_cursor ?? -1;
    },

    async step() {
      // The lots of the next readings that the driver has not seen, read from the ledger before the transaction.
      const known = cached?.driver.lots ?? {};
      const upcoming = parseRows(
        z.object({ lot_id: z.string() }),
        await db.query(
          `SELECT DISTINCT lot_id FROM (SELECT lot_id FROM evidence WHERE kind = 'device-reading' AND leaf_index > $1 AND lot_id IS NOT NULL ORDER BY leaf_index LIMIT $2) next`,
          [cached?.cursor ?? -1, options.batchSize],
        ),
      ).map((row) => row.lot_id);
      const unseen = upcoming.filter((lotId) => !(lotId in known));
      const commodities = unseen.length === 0 ? new Map<string, string | null>() : await options.commodityOf(unseen);

      try {
        const outcome = await db.transaction(async (tx) => {
          await tx.query(
            `INSERT INTO rule_engine_state (singleton, leaf_cursor, state, updated_at) VALUES (true, -1, $1, $2) ON CONFLICT (singleton) DO NOTHING`,
            [JSON.stringify({ driver: emptyDriver(), engine: null }), clock.now()],
          );
          // The state itself is read only when the cached engine is not the stored one (a restart, a failed step).
          const row = parseOptionalRow(z.object({ leaf_cursor: int8Number }), await tx.query('SELECT leaf_cursor::text AS leaf_cursor FROM rule_engine_state FOR UPDATE'));
          if (row === undefined) throw new Error('rule_engine_state has no row');
          const current = cached !== undefined && cached.cursor === row.leaf_cursor ? { ...cached, driver: structuredClone(cached.driver) } : await resume(tx, row.leaf_cursor);
          const { engine, driver } = current;
          cached = undefined;
          await options.beforeStep?.(tx);

          const before = row.leaf_cursor;
          const logged: { readonly afterLeafIndex: number; readonly input: LoggedInput }[] = [];
          const changes: AlarmChange[] = [];
          const feed = (input: LoggedInput, afterLeafIndex: number): void => {
            logged.push({ afterLeafIndex, input });
            const engineInput = applyLogged(input, afterLeafIndex, driver);
            if (engineInput !== undefined) changes.push(...engine.apply(engineInput));
          };

          const rulesStore = ruleStore(tx);
          const revision = await rulesStore.revision();
          if (revision !== driver.rulesRevision) {
            driver.rulesRevision = revision;
            const inForce = (await rulesStore.inForce()).map(({ scope: _scope, ...version }) => version);
            feed({ type: 'rules', payload: { rules: inForce } }, before);
          }

          // Readings committed so far: the leaf counter row serialises intake, so leaf order is commit order.
          const head = parseOptionalRow(z.object({ next: int8Number }), await tx.query('SELECT next_leaf_index::text AS next FROM evidence_leaf_counter'));
          const last = (head?.next ?? 0) - 1;
          // A step is bounded by readings and by alarm changes, not by envelopes: an envelope holds 1 to 100 readings, and
          // every change costs the step its alarm, work-order and outbox writes while intake waits for the connection.
          // Envelopes are read in pages sized by the readings per envelope seen so far; the step stops between two.
          let after = before;
          let envelopes = 0;
          let readings = 0;
          let full = false;
          let pageSize = Math.min(options.batchSize, FIRST_PAGE_ENVELOPES);
          while (!full && after < last) {
            const rows = parseRows(readingRow, await tx.query(readingsSql, [after, last, pageSize]));
            const lots = [...new Set(rows.flatMap((reading) => (reading.lot_id === null ? [] : [reading.lot_id])))];
            for (const lotId of lots) {
              if (!(lotId in driver.lots)) feed({ type: 'lot', payload: { lotId, commodity: commodities.get(lotId) ?? null } }, after);
            }
            if (driver.needsFacts && lots.length > 0) {
              for (const fact of await receiptedQuantities(tx, lots)) {
                if (driver.lots[fact.lotId]?.receipted !== fact.receiptedQuantity) feed({ type: 'fact', payload: fact }, after);
              }
            }
            for (const reading of rows) {
              changes.push(...engine.apply(readingInput(reading, driver.lots)));
              after = reading.leaf_index;
              envelopes++;
              readings += reading.envelope.readings.length;
              if (readings >= options.batchSize || envelopes >= options.batchSize || changes.length >= MAX_CHANGES_PER_STEP) {
                full = true;
                break;
              }
            }
            if (rows.length < pageSize) break;
            const perEnvelope = Math.max(1, readings / envelopes);
            pageSize = Math.max(1, Math.min(options.batchSize - envelopes, Math.ceil((options.batchSize - readings) / perEnvelope)));
          }

          const now = clock.now().getTime();
          if (driver.lastTick === null || now - driver.lastTick >= options.tickMs) feed({ type: 'tick', payload: { now } }, after);

          for (const { afterLeafIndex, input } of logged) {
            await tx.query('INSERT INTO rule_inputs (after_leaf_index, type, payload) VALUES ($1, $2, $3)', [afterLeafIndex, input.type, JSON.stringify(input.payload)]);
          }
          await options.record(tx, changes, after);
          const snapshot = logged.length > 0 || after - current.snapshotAt >= SNAPSHOT_EVERY;
          if (snapshot) {
            await tx.query('UPDATE rule_engine_state SET leaf_cursor = $1, state = $2, updated_at = $3', [after, JSON.stringify({ driver, engine: engine.snapshot(), at: after }), clock.now()]);
          } else {
            await tx.query('UPDATE rule_engine_state SET leaf_cursor = $1, updated_at = $2', [after, clock.now()]);
          }
          return { after, engine, driver, changes, snapshotAt: snapshot ? after : current.snapshotAt, full };
        });
        cached = { cursor: outcome.after, engine: outcome.engine, driver: outcome.driver, snapshotAt: outcome.snapshotAt };
        if (outcome.changes.length > 0) options.committed?.(outcome.changes);
        return outcome.full ? 'more' : 'idle';
      } catch (error) {
        cached = undefined;
        throw error;
      }
    },
  };
}

/** The quantity on the live receipts of each lot (what a stock reconciliation weighs against). */
async function receiptedQuantities(tx: Queryable, lotIds: readonly string[]): Promise<{ lotId: string; receiptedQuantity: string }[]> {
  const rows = await tx.query(
    `SELECT l.lot_id, COALESCE(sum(r.quantity) FILTER (WHERE r.status = ANY($2::text[])), 0)::text AS receipted
     FROM unnest($1::text[]) AS l (lot_id) LEFT JOIN receipts r ON r.lot_id = l.lot_id GROUP BY l.lot_id ORDER BY l.lot_id`,
    [lotIds, [...liveStatuses]],
  );
  return parseRows(z.object({ lot_id: z.string(), receipted: z.string() }), rows).map((row) => ({ lotId: row.lot_id, receiptedQuantity: row.receipted }));
}

/** What a replay found: how many inputs and changes, and whether the changes equal the stored alarm log byte for byte. */
export interface ReplayResult {
  readonly readings: number;
  readonly inputs: number;
  readonly changes: number;
  readonly storedChanges: number;
  readonly identical: boolean;
  /** The first change (0-based) where the replay and the stored log differ, when they do. */
  readonly firstDifference: { readonly index: number; readonly replayed: string | null; readonly stored: string | null } | null;
  /** SHA-256 over the replayed changes' JCS lines. */
  readonly digest: string;
}

/**
 * Replays the stored evidence and the logged inputs through a fresh engine, up to where the live loop has evaluated,
 * and compares what it raises with the stored alarm log. Reads in pages, so a long history fits in memory.
 */
export async function replay(db: Queryable, options: { readonly pageSize?: number } = {}): Promise<ReplayResult> {
  const pageSize = options.pageSize ?? 5000;
  const { createHash } = await import('node:crypto');
  const digest = createHash('sha256');
  const end = parseOptionalRow(z.object({ leaf_cursor: int8Number }), await db.query('SELECT leaf_cursor::text AS leaf_cursor FROM rule_engine_state'))?.leaf_cursor ?? -1;
  const engine = createEngine();
  const driver = emptyDriver();
  // Ordered by the bigint column, not by the text alias of the same name (which would put 9499 after 10000).
  const logged = parseRows(
    z.object({ after_leaf_index: int8Number, type: z.enum(['rules', 'fact', 'lot', 'tick']), payload: z.unknown() }),
    await db.query('SELECT after_leaf_index::text AS after_leaf_index, type, payload FROM rule_inputs ORDER BY rule_inputs.after_leaf_index, rule_inputs.id'),
  );
  let next = 0;
  let readings = 0;
  let changes = 0;
  let storedSeq = 0;
  let storedCount = 0;
  let firstDifference: ReplayResult['firstDifference'] = null;
  let storedPage: string[] = [];
  const storedAt = async (index: number): Promise<string | null> => {
    while (index >= storedCount) {
      storedPage = parseRows(z.object({ change_jcs: z.string() }), await db.query('SELECT change_jcs FROM alarm_changes ORDER BY seq OFFSET $1 LIMIT $2', [storedCount, pageSize])).map((row) => row.change_jcs);
      if (storedPage.length === 0) return null;
      storedSeq = storedCount;
      storedCount += storedPage.length;
    }
    return storedPage[index - storedSeq] ?? null;
  };
  const emit = async (produced: readonly AlarmChange[]): Promise<void> => {
    for (const change of produced) {
      const line = jcs(change);
      digest.update(line).update('\n');
      if (firstDifference === null) {
        const stored = await storedAt(changes);
        if (stored !== line) firstDifference = { index: changes, replayed: line, stored };
      }
      changes++;
    }
  };
  const flushUpTo = async (leafIndex: number): Promise<void> => {
    for (let entry = logged[next]; entry !== undefined && entry.after_leaf_index <= leafIndex; entry = logged[++next]) {
      const input = applyLogged(loggedInput.parse({ type: entry.type, payload: entry.payload }), entry.after_leaf_index, driver);
      if (input !== undefined) await emit(engine.apply(input));
    }
  };
  let cursor = -1;
  await flushUpTo(-1);
  for (;;) {
    const rows = parseRows(readingRow, await db.query(readingsSql, [cursor, end, pageSize]));
    for (const row of rows) {
      await flushUpTo(row.leaf_index - 1);
      await emit(engine.apply(readingInput(row, driver.lots)));
      readings++;
      cursor = row.leaf_index;
    }
    if (rows.length < pageSize) break;
  }
  await flushUpTo(end);
  const storedTotal = parseOptionalRow(z.object({ n: int8Number }), await db.query('SELECT count(*)::text AS n FROM alarm_changes'))?.n ?? 0;
  if (firstDifference === null && storedTotal !== changes) firstDifference = { index: changes, replayed: null, stored: await storedAt(changes) };
  return { readings, inputs: logged.length, changes, storedChanges: storedTotal, identical: firstDifference === null, firstDifference, digest: digest.digest('hex') };
}
