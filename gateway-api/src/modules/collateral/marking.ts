import { createHash } from 'node:crypto';
import { loan as loanSchema, loanTerms, priceMark as priceSchema, repayment as repaymentSchema, type Loan, type PriceMark } from '@wr/chaincode/model';
import { valueLoan, type Holding, type MarkInForce, type Valuation } from '@wr/chaincode/valuation';
import { z } from 'zod';
import type { CollateralConfig } from '../../config.js';
import type { Queryable } from '../../db/database.js';
import { parseOptionalRow, parseRows, timestamp } from '../../db/rows.js';
import { appendEvents, everyone, type NewEvent, type Party } from '../events/outbox.js';

/**
 * Marking (docs/collateral.md): follows the ledger's events as the projection stored them (ledger_events), keeps the
 * marks and loans they carry, and values every loan they touch with the chaincode's own valueLoan, opening, curing,
 * escalating and closing margin calls. One batch of events is one transaction with the cursor, so a process killed
 * mid-batch leaves nothing of it, and the batch runs again whole: no call is lost, none doubled (one open call per
 * loan is also a unique index). Time-driven work (deadlines, stale marks, the daily full run) is a second step.
 */

/** What a re-mark was caused by, as a margin call records it: a ledger transaction, or the clock. */
export interface Cause {
  readonly kind: 'PRICE' | 'PLEDGE' | 'RELEASE' | 'REPAYMENT' | 'TERMS' | 'DEFAULT' | 'DISPOSAL' | 'DAILY';
  readonly txId: string | null;
  readonly at: string;
}

export interface LoanKey {
  readonly lender: string;
  readonly loanReference: string;
}

const keyOf = (loan: LoanKey): string => JSON.stringify([loan.lender, loan.loanReference]);

/** The parties a loan's events are told to: its lender, its borrower, and the borrower organisation's auditor. */
export const loanAudience = (loan: { readonly lender: string; readonly borrower: { readonly mspId: string; readonly id: string } }): Party[] => [
  loan.lender,
  loan.borrower.mspId,
  `${loan.borrower.mspId}/${loan.borrower.id}`,
];

const eventRow = z.object({ block_number: z.string(), tx_index: z.number().int(), tx_id: z.string(), event_name: z.string(), payload: z.record(z.string(), z.unknown()), tx_timestamp: timestamp });
const stateRow = z.object({ block_number: z.string(), tx_index: z.number().int(), full_run_at: timestamp.nullable() });
const loanRef = z.object({ lender: z.string(), loanReference: z.string() });

/** The events marking reads, and what it takes of each payload. */
const payloads = {
  PriceRecorded: z.looseObject({ price: priceSchema, latest: z.boolean() }),
  PledgeAccepted: z.looseObject({ loan: loanRef.optional(), opened: loanSchema.nullable().optional() }),
  LoanTermsAmended: z.looseObject({ loan: loanSchema, previousTerms: z.unknown(), reason: z.string() }),
  RepaymentRecorded: z.looseObject({ loan: loanSchema, repayment: repaymentSchema }),
  PledgeReleased: z.looseObject({ loan: loanRef.optional() }),
  DefaultDeclared: z.looseObject({ loan: loanRef.optional() }),
  CollateralDisposed: z.looseObject({ loan: loanRef.optional() }),
} as const;

const causeOf: Readonly<Record<keyof typeof payloads, Cause['kind']>> = {
  PriceRecorded: 'PRICE',
  PledgeAccepted: 'PLEDGE',
  LoanTermsAmended: 'TERMS',
  RepaymentRecorded: 'REPAYMENT',
  PledgeReleased: 'RELEASE',
  DefaultDeclared: 'DEFAULT',
  CollateralDisposed: 'DISPOSAL',
};

const isMarkingEvent = (name: string): name is keyof typeof payloads => Object.hasOwn(payloads, name);

export const CURSOR = 'ledger';

/** Applies the next batch of ledger events (up to `limit`); 'idle' when there were none. */
export async function markNextEvents(tx: Queryable, limit: number): Promise<{ readonly events: number; readonly loans: number }> {
  const state = await lockState(tx);
  const events = parseRows(
    eventRow,
    await tx.query(
      `SELECT block_number::text AS block_number, tx_index, tx_id, event_name, payload, tx_timestamp FROM ledger_events
       WHERE (block_number, tx_index) > ($1::bigint, $2::int) ORDER BY block_number, tx_index LIMIT $3`,
      [state.block_number, state.tx_index, limit],
    ),
  );
  const last = events[events.length - 1];
  if (last === undefined) return { events: 0, loans: 0 };
  const affected = new Map<string, { key: LoanKey; cause: Cause; own: boolean }>();
  const told: NewEvent[] = [];
  // The last cause names the change; `own` remembers whether any event of the batch changed the loan itself.
  const touch = (key: LoanKey, cause: Cause): void =>
    void affected.set(keyOf(key), { key, cause, own: cause.kind !== 'PRICE' || (affected.get(keyOf(key))?.own ?? false) });
  for (const event of events) {
    if (!isMarkingEvent(event.event_name)) continue;
    const name = event.event_name;
    const cause: Cause = { kind: causeOf[name], txId: event.tx_id, at: event.tx_timestamp.toISOString() };
    const ledger = { txId: event.tx_id, blockNumber: Number(event.block_number), event: name };
    const payload = payloads[name].safeParse(event.payload);
    if (!payload.success) continue;
    const data = payload.data;
    switch (name) {
      case 'PriceRecorded': {
        const { price, latest } = data as z.infer<(typeof payloads)['PriceRecorded']>;
        await upsertMark(tx, price);
        told.push({ id: `ledger-${event.tx_id}`, type: 'price.recorded', occurredAt: event.tx_timestamp, object: { type: 'price', id: price.commodity }, audience: [everyone], data: { price: markView(price), latest, ledger } });
        if (latest) {
          for (const key of await loansHolding(tx, price.commodity)) touch(key, cause);
          told.push(...(await clearStale(tx, price, event.tx_timestamp)));
        }
        break;
      }
      case 'PledgeAccepted': {
        const { loan, opened } = data as z.infer<(typeof payloads)['PledgeAccepted']>;
        if (opened != null) {
          await upsertLoan(tx, opened, event.block_number);
          told.push({ id: `ledger-${event.tx_id}-loan`, type: 'loan.opened', occurredAt: event.tx_timestamp, object: { type: 'loan', id: opened.loanReference }, audience: loanAudience(opened), data: { loan: loanView(opened), ledger } });
        }
        if (loan !== undefined) touch(loan, cause);
        break;
      }
      case 'LoanTermsAmended': {
        const { loan, previousTerms, reason } = data as z.infer<(typeof payloads)['LoanTermsAmended']>;
        await upsertLoan(tx, loan, event.block_number);
        told.push({ id: `ledger-${event.tx_id}`, type: 'loan.terms-amended', occurredAt: event.tx_timestamp, object: { type: 'loan', id: loan.loanReference }, audience: loanAudience(loan), data: { loan: loanView(loan), previousTerms, reason, ledger } });
        touch(loan, cause);
        break;
      }
      case 'RepaymentRecorded': {
        const { loan, repayment } = data as z.infer<(typeof payloads)['RepaymentRecorded']>;
        await upsertLoan(tx, loan, event.block_number);
        await tx.query(
          `INSERT INTO loan_repayments (lender, loan_reference, reference, amount, currency, outstanding_after, recorded_by, recorded_at, tx_id)
           VALUES ($1, $2, $3, $4::numeric, $5, $6::numeric, $7, $8, $9) ON CONFLICT DO NOTHING`,
          [repayment.lender, repayment.loanReference, repayment.reference, repayment.amount, repayment.currency, repayment.outstandingAfter, repayment.recordedBy, repayment.recordedAt, repayment.txId],
        );
        const { reference, amount, currency, outstandingAfter } = repayment;
        told.push({ id: `ledger-${event.tx_id}`, type: 'loan.repayment-recorded', occurredAt: event.tx_timestamp, object: { type: 'loan', id: loan.loanReference }, audience: loanAudience(loan), data: { loan: loanView(loan), repayment: { reference, amount, currency, outstandingAfter }, ledger } });
        touch(loan, cause);
        break;
      }
      case 'DefaultDeclared': {
        const { loan } = data as z.infer<(typeof payloads)['DefaultDeclared']>;
        if (loan === undefined) break;
        await tx.query('UPDATE loans SET defaulted_at = COALESCE(defaulted_at, $3) WHERE lender = $1 AND loan_reference = $2', [loan.lender, loan.loanReference, event.tx_timestamp]);
        touch(loan, cause);
        break;
      }
      default: {
        const { loan } = data as { loan?: LoanKey | undefined };
        if (loan !== undefined) touch(loan, cause);
      }
    }
  }
  await appendEvents(tx, told);
  const marked = await markLoans(tx, [...affected.values()]);
  await tx.query('UPDATE marking_state SET block_number = $2, tx_index = $3 WHERE name = $1', [CURSOR, last.block_number, last.tx_index]);
  return { events: events.length, loans: marked };
}

/** The cursor's row, locked for this transaction, so that two gateways on one database never mark the same batch. */
async function lockState(tx: Queryable): Promise<z.infer<typeof stateRow>> {
  await tx.query('INSERT INTO marking_state (name, block_number, tx_index) VALUES ($1, -1, -1) ON CONFLICT (name) DO NOTHING', [CURSOR]);
  const state = parseOptionalRow(stateRow, await tx.query('SELECT block_number::text AS block_number, tx_index, full_run_at FROM marking_state WHERE name = $1 FOR UPDATE', [CURSOR]));
  if (state === undefined) throw new Error('marking_state has no cursor row');
  return state;
}

async function upsertMark(tx: Queryable, mark: PriceMark): Promise<void> {
  await tx.query(
    `INSERT INTO price_marks (commodity, as_of, unit, price, currency, source, recorded_by, recorded_at, tx_id)
     VALUES ($1, $2, $3, $4::numeric, $5, $6, $7, $8, $9) ON CONFLICT (commodity, as_of) DO NOTHING`,
    [mark.commodity, mark.asOf, mark.unit, mark.price, mark.currency, mark.source, mark.recordedBy, mark.recordedAt, mark.txId],
  );
}

async function upsertLoan(tx: Queryable, loan: Loan, block: string): Promise<void> {
  await tx.query(
    `INSERT INTO loans (lender, loan_reference, borrower_msp, borrower_id, currency, document, updated_block)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
     ON CONFLICT (lender, loan_reference) DO UPDATE SET document = EXCLUDED.document, updated_block = EXCLUDED.updated_block
     WHERE loans.updated_block <= EXCLUDED.updated_block`,
    [loan.lender, loan.loanReference, loan.borrower.mspId, loan.borrower.id, loan.currency, JSON.stringify(loan), block],
  );
}

/** The loans with goods of `commodity` pledged (PLEDGED or DEFAULTED) now, from the receipts projection. */
async function loansHolding(tx: Queryable, commodity: string): Promise<LoanKey[]> {
  const rows = parseRows(
    z.object({ lender: z.string(), loan_reference: z.string() }),
    await tx.query(
      `SELECT DISTINCT r.pledge_lender AS lender, r.document->'pledge'->>'loanReference' AS loan_reference FROM receipts r
       JOIN loans l ON l.lender = r.pledge_lender AND l.loan_reference = r.document->'pledge'->>'loanReference'
       WHERE r.commodity = $1 AND r.status IN ('PLEDGED', 'DEFAULTED')`,
      [commodity],
    ),
  );
  return rows.map((row) => ({ lender: row.lender, loanReference: row.loan_reference }));
}

/** Every loan, for the daily run. */
export async function allLoans(tx: Queryable): Promise<LoanKey[]> {
  const rows = parseRows(z.object({ lender: z.string(), loan_reference: z.string() }), await tx.query('SELECT lender, loan_reference FROM loans ORDER BY lender, loan_reference'));
  return rows.map((row) => ({ lender: row.lender, loanReference: row.loan_reference }));
}

/** What marking reads of a loan: what valuation and its calls need, and the last valuation's figures. */
const storedLoan = z
  .object({
    lender: z.string(),
    loan_reference: z.string(),
    borrower_msp: z.string(),
    borrower_id: z.string(),
    currency: z.string(),
    outstanding: z.string(),
    terms: loanTerms,
    defaulted_at: timestamp.nullable(),
    state: z.string().nullable(),
    value: z.string().nullable(),
    ltv: z.string().nullable(),
    band: z.string().nullable(),
  })
  .transform((row) => ({
    loan: { lender: row.lender, loanReference: row.loan_reference, borrower: { mspId: row.borrower_msp, id: row.borrower_id }, currency: row.currency, outstanding: row.outstanding, terms: row.terms },
    defaulted: row.defaulted_at !== null,
    before: row.state === null ? null : { state: row.state, value: row.value, ltv: row.ltv, band: row.band },
  }));

/** A loan as marking values it. */
type MarkedLoan = z.output<typeof storedLoan>['loan'];

/**
 * A valuation as a loan row keeps it (`loans.valuation`): its goods by commodity and its problems, which change with
 * the loan's own changes, not with prices (the row's figures, value, LTV and band, are columns of their own, and the
 * marks are the commodities' latest). A price mark rewrites the figures only.
 */
export const storedValuation = z.object({
  holdings: z.array(z.object({ commodity: z.string(), unit: z.string(), quantity: z.string() })),
  problems: z.array(z.object({ commodity: z.string(), code: z.string(), message: z.string() })),
});

const compact = (valuation: Valuation): z.infer<typeof storedValuation> => ({
  holdings: valuation.holdings.map(({ commodity, unit, quantity }) => ({ commodity, unit, quantity })),
  problems: valuation.problems.map(({ commodity, code, message }) => ({ commodity, code, message })),
});
const holdingRow = z.object({ lender: z.string(), loan_reference: z.string(), commodity: z.string(), unit: z.string(), quantity: z.string() });
const headRow = z.object({ commodity: z.string(), unit: z.string(), price: z.string(), currency: z.string(), as_of: timestamp });
const callRow = z.object({
  id: z.string(),
  lender: z.string(),
  loan_reference: z.string(),
  borrower_msp: z.string(),
  borrower_id: z.string(),
  currency: z.string(),
  status: z.enum(['OPEN', 'ESCALATED', 'CURED', 'CLOSED']),
  opened_at: timestamp,
  opened_by: z.record(z.string(), z.unknown()),
  deadline: timestamp,
  warning_ltv: z.string(),
  liquidation_ltv: z.string(),
  opened_ltv: z.string().nullable(),
  ltv: z.string().nullable(),
  value: z.string().nullable(),
  outstanding: z.string(),
  escalated_at: timestamp.nullable(),
  escalation: z.enum(['DEADLINE_PASSED', 'LIQUIDATION_LINE']).nullable(),
  ended_at: timestamp.nullable(),
  ended_by: z.record(z.string(), z.unknown()).nullable(),
});
export type CallRow = z.infer<typeof callRow>;
export const callColumns =
  'id, lender, loan_reference, borrower_msp, borrower_id, currency, status, opened_at, opened_by, deadline, warning_ltv::text AS warning_ltv, liquidation_ltv::text AS liquidation_ltv, opened_ltv::text AS opened_ltv, ltv::text AS ltv, value::text AS value, outstanding::text AS outstanding, escalated_at, escalation, ended_at, ended_by';
export const parseCalls = (rows: readonly unknown[]): CallRow[] => parseRows(callRow, rows);

/** A margin call as the API and events show it. */
export function callView(row: CallRow): Record<string, unknown> {
  return {
    id: row.id,
    lender: row.lender,
    loanReference: row.loan_reference,
    borrower: { mspId: row.borrower_msp, id: row.borrower_id },
    currency: row.currency,
    status: row.status,
    openedAt: row.opened_at.toISOString(),
    openedBy: row.opened_by,
    deadline: row.deadline.toISOString(),
    warningLtv: row.warning_ltv,
    liquidationLtv: row.liquidation_ltv,
    openedLtv: row.opened_ltv,
    ltv: row.ltv,
    value: row.value,
    outstanding: row.outstanding,
    escalatedAt: row.escalated_at?.toISOString() ?? null,
    escalation: row.escalation,
    endedAt: row.ended_at?.toISOString() ?? null,
    endedBy: row.ended_by,
  };
}

/** A record without some of its members. */
export const omit = (record: object, keys: readonly string[]): Record<string, unknown> => Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key)));

/** A loan as events show it (the ledger's record without its bookkeeping). */
export const loanView = (loan: Loan): Record<string, unknown> => omit(loan, ['docType', 'updatedAt', 'lastTxId']);

/** A mark as events and the API show it. */
export const markView = (mark: PriceMark): Record<string, unknown> => omit(mark, ['docType']);

/**
 * Values each loan named, as ledger state and marks stand in the projection now, and moves its margin call: opens
 * one at the warning line (escalated at once at the liquidation line), escalates an open one reaching the liquidation
 * line, cures one below the warning line, closes one on a defaulted loan. Returns how many loans it valued.
 */
export async function markLoans(tx: Queryable, targets: readonly { readonly key: LoanKey; readonly cause: Cause; readonly own?: boolean }[]): Promise<number> {
  if (targets.length === 0) return 0;
  const keys = JSON.stringify(targets.map(({ key }) => ({ lender: key.lender, loan_reference: key.loanReference })));
  const join = `jsonb_to_recordset($1::jsonb) AS k(lender text, loan_reference text)`;
  const loans = parseRows(
    storedLoan,
    await tx.query(
      `SELECT l.lender, l.loan_reference, l.borrower_msp, l.borrower_id, l.currency, l.document->>'outstanding' AS outstanding, l.document->'terms' AS terms,
              l.defaulted_at, l.state, l.value::text AS value, l.ltv::text AS ltv, l.band
       FROM ${join} JOIN loans l ON l.lender = k.lender AND l.loan_reference = k.loan_reference`,
      [keys],
    ),
  );
  if (loans.length === 0) return 0;
  const holdings = parseRows(
    holdingRow,
    await tx.query(
      `SELECT r.pledge_lender AS lender, r.document->'pledge'->>'loanReference' AS loan_reference, r.commodity, r.unit, r.quantity::text AS quantity
       FROM ${join} JOIN receipts r ON r.pledge_lender = k.lender AND r.document->'pledge'->>'loanReference' = k.loan_reference
       WHERE r.status IN ('PLEDGED', 'DEFAULTED') ORDER BY r.id`,
      [keys],
    ),
  );
  const byLoan = new Map<string, Holding[]>();
  for (const row of holdings) {
    const key = keyOf({ lender: row.lender, loanReference: row.loan_reference });
    const list = byLoan.get(key) ?? [];
    list.push({ commodity: row.commodity, unit: row.unit, quantity: row.quantity });
    byLoan.set(key, list);
  }
  const marks = await headMarks(tx, [...new Set(holdings.map((row) => row.commodity))]);
  const calls = new Map(
    parseCalls(
      await tx.query(
        `SELECT ${callColumns} FROM margin_calls WHERE status IN ('OPEN', 'ESCALATED') AND (lender, loan_reference) IN (SELECT k.lender, k.loan_reference FROM ${join})`,
        [keys],
      ),
    ).map((row) => [
      keyOf({ lender: row.lender, loanReference: row.loan_reference }),
      row,
    ]),
  );
  const causes = new Map(targets.map(({ key, cause, own }) => [keyOf(key), { cause, own: own ?? cause.kind !== 'PRICE' }]));
  const valuations: { lender: string; loan_reference: string; state: string; value: string | null; ltv: string | null; band: string | null; valuation: z.infer<typeof storedValuation> | null; kept: boolean; cause: string; at: string; outstanding: string }[] = [];
  const callWrites: Record<string, unknown>[] = [];
  const told: NewEvent[] = [];
  for (const { loan, defaulted, before } of loans) {
    const key = keyOf(loan);
    const { cause, own } = causes.get(key) ?? { cause: { kind: 'DAILY', txId: null, at: new Date().toISOString() } satisfies Cause, own: true };
    const valuation = valueLoan(loan, byLoan.get(key) ?? [], marks);
    // The history keeps a point when the band or state changes, on the loan's own changes, and once a day; a price
    // that moves the LTV within its band changes the loan's figures only (10,000 loans a mark, not 10,000 rows).
    const kept = before === null || before.state !== valuation.state || before.band !== valuation.band || own;
    // Goods and problems change with the loan's own changes (and a loan becoming priced or unpriced), not with prices.
    const rewrite = before === null || before.state !== valuation.state || own;
    valuations.push({
      lender: loan.lender,
      loan_reference: loan.loanReference,
      state: valuation.state,
      value: valuation.value,
      ltv: valuation.ltv,
      band: valuation.band,
      valuation: rewrite ? compact(valuation) : null,
      kept,
      cause: cause.kind,
      at: cause.at,
      outstanding: valuation.outstanding,
    });
    const open = calls.get(key);
    const decision = decide(loan, valuation, open, defaulted, cause);
    if (decision === undefined) continue;
    callWrites.push(decision.row);
    told.push(...decision.events);
  }
  await tx.query(
    `UPDATE loans l SET state = v.state, value = v.value::numeric, ltv = v.ltv::numeric, band = v.band, valuation = COALESCE(v.valuation, l.valuation), marked_at = v.at::timestamptz
     FROM jsonb_to_recordset($1::jsonb) AS v(lender text, loan_reference text, state text, value text, ltv text, band text, valuation jsonb, at text)
     WHERE l.lender = v.lender AND l.loan_reference = v.loan_reference`,
    [JSON.stringify(valuations)],
  );
  const changes = valuations.filter((entry) => entry.kept);
  if (changes.length > 0) {
    await tx.query(
      `INSERT INTO loan_valuations (lender, loan_reference, at, cause, state, value, ltv, band, outstanding)
       SELECT v.lender, v.loan_reference, v.at::timestamptz, v.cause, v.state, v.value::numeric, v.ltv::numeric, v.band, v.outstanding::numeric
       FROM jsonb_to_recordset($1::jsonb) AS v(ord int, lender text, loan_reference text, at text, cause text, state text, value text, ltv text, band text, outstanding text)
       ORDER BY v.ord`,
      [JSON.stringify(changes.map(({ valuation: _valuation, ...entry }, ord) => ({ ord, ...entry })))],
    );
  }
  await writeCalls(tx, callWrites);
  await appendEvents(tx, told);
  return loans.length;
}

/** The latest mark of each commodity. */
async function headMarks(tx: Queryable, commodities: readonly string[]): Promise<Map<string, MarkInForce>> {
  if (commodities.length === 0) return new Map();
  const rows = parseRows(
    headRow,
    await tx.query(
      `SELECT DISTINCT ON (commodity) commodity, unit, price::text AS price, currency, as_of FROM price_marks
       WHERE commodity = ANY($1::text[]) ORDER BY commodity, as_of DESC`,
      [commodities],
    ),
  );
  return new Map(rows.map((row) => [row.commodity, { commodity: row.commodity, unit: row.unit, price: row.price, currency: row.currency, asOf: row.as_of.toISOString() }]));
}

const hours = (count: number): number => count * 3_600_000;

/** A stable id: the same loan, cause and moment always name the same call. */
const callId = (loan: LoanKey, cause: Cause): string =>
  `mc_${createHash('sha256').update(JSON.stringify([loan.lender, loan.loanReference, cause.kind, cause.txId, cause.at])).digest('hex').slice(0, 32)}`;

/** What marking does to a loan's call; undefined: nothing. */
function decide(loan: MarkedLoan, valuation: Valuation, open: CallRow | undefined, defaulted: boolean, cause: Cause): { row: Record<string, unknown>; events: NewEvent[] } | undefined {
  const at = new Date(cause.at);
  const audience = loanAudience(loan);
  const causeJson = { kind: cause.kind, txId: cause.txId, at: cause.at };
  const event = (row: CallRow, type: NewEvent['type'], suffix: string): NewEvent => ({
    id: `${row.id}-${suffix}`,
    type,
    occurredAt: at,
    object: { type: 'margin-call', id: row.id },
    audience,
    data: { marginCall: callView(row) },
  });
  const current = { ltv: valuation.ltv, value: valuation.value, outstanding: valuation.outstanding };
  if (open !== undefined) {
    if (defaulted) {
      const row: CallRow = { ...open, ...current, status: 'CLOSED', ended_at: at, ended_by: causeJson };
      return { row: rowJson(row), events: [event(row, 'margin-call.closed', 'closed')] };
    }
    if (valuation.state !== 'VALUED') return undefined;
    if (valuation.band === 'OK') {
      const row: CallRow = { ...open, ...current, status: 'CURED', ended_at: at, ended_by: causeJson };
      return { row: rowJson(row), events: [event(row, 'margin-call.cured', 'cured')] };
    }
    if (valuation.band === 'LIQUIDATION' && open.status === 'OPEN') {
      const row: CallRow = { ...open, ...current, status: 'ESCALATED', escalated_at: at, escalation: 'LIQUIDATION_LINE' };
      return { row: rowJson(row), events: [event(row, 'margin-call.escalated', 'escalated')] };
    }
    if (open.ltv === current.ltv && open.value === current.value && open.outstanding === current.outstanding) return undefined;
    return { row: rowJson({ ...open, ...current }), events: [] };
  }
  if (defaulted || valuation.state !== 'VALUED' || valuation.band === 'OK' || valuation.band === null) return undefined;
  const opened: CallRow = {
    id: callId(loan, cause),
    lender: loan.lender,
    loan_reference: loan.loanReference,
    borrower_msp: loan.borrower.mspId,
    borrower_id: loan.borrower.id,
    currency: loan.currency,
    status: 'OPEN',
    opened_at: at,
    opened_by: causeJson,
    deadline: new Date(at.getTime() + hours(loan.terms.cureHours)),
    warning_ltv: loan.terms.warningLtv,
    liquidation_ltv: loan.terms.liquidationLtv,
    opened_ltv: valuation.ltv,
    ...current,
    escalated_at: null,
    escalation: null,
    ended_at: null,
    ended_by: null,
  };
  const events = [event(opened, 'margin-call.opened', 'opened')];
  if (valuation.band !== 'LIQUIDATION') return { row: rowJson(opened), events };
  const escalated: CallRow = { ...opened, status: 'ESCALATED', escalated_at: at, escalation: 'LIQUIDATION_LINE' };
  return { row: rowJson(escalated), events: [...events, event(escalated, 'margin-call.escalated', 'escalated')] };
}

function rowJson(row: CallRow): Record<string, unknown> {
  return {
    ...row,
    opened_at: row.opened_at.toISOString(),
    deadline: row.deadline.toISOString(),
    escalated_at: row.escalated_at?.toISOString() ?? null,
    ended_at: row.ended_at?.toISOString() ?? null,
  };
}

/** Inserts new calls and updates open ones, in one statement each. */
async function writeCalls(tx: Queryable, rows: readonly Record<string, unknown>[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO margin_calls (id, lender, loan_reference, borrower_msp, borrower_id, currency, status, opened_at, opened_by, deadline,
                               warning_ltv, liquidation_ltv, opened_ltv, ltv, value, outstanding, escalated_at, escalation, ended_at, ended_by, updated_at)
     SELECT c.id, c.lender, c.loan_reference, c.borrower_msp, c.borrower_id, c.currency, c.status, c.opened_at, c.opened_by, c.deadline,
            c.warning_ltv::numeric, c.liquidation_ltv::numeric, c.opened_ltv::numeric, c.ltv::numeric, c.value::numeric, c.outstanding::numeric,
            c.escalated_at, c.escalation, c.ended_at, c.ended_by, COALESCE(c.ended_at, c.escalated_at, c.opened_at)
     FROM jsonb_to_recordset($1::jsonb) AS c(id text, lender text, loan_reference text, borrower_msp text, borrower_id text, currency text, status text,
          opened_at timestamptz, opened_by jsonb, deadline timestamptz, warning_ltv text, liquidation_ltv text, opened_ltv text, ltv text, value text,
          outstanding text, escalated_at timestamptz, escalation text, ended_at timestamptz, ended_by jsonb)
     ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, ltv = EXCLUDED.ltv, value = EXCLUDED.value, outstanding = EXCLUDED.outstanding,
       escalated_at = EXCLUDED.escalated_at, escalation = EXCLUDED.escalation, ended_at = EXCLUDED.ended_at, ended_by = EXCLUDED.ended_by,
       updated_at = GREATEST(margin_calls.updated_at, EXCLUDED.updated_at)`,
    [JSON.stringify(rows)],
  );
}

/** Escalates every open call whose deadline passed by `now`. */
export async function escalateDue(tx: Queryable, now: Date): Promise<number> {
  const due = parseCalls(await tx.query(`SELECT ${callColumns} FROM margin_calls WHERE status = 'OPEN' AND deadline <= $1 ORDER BY deadline, id FOR UPDATE`, [now]));
  if (due.length === 0) return 0;
  const rows = due.map((open): CallRow => ({ ...open, status: 'ESCALATED', escalated_at: open.deadline, escalation: 'DEADLINE_PASSED' }));
  await writeCalls(tx, rows.map(rowJson));
  await appendEvents(
    tx,
    rows.map((row) => ({
      id: `${row.id}-escalated`,
      type: 'margin-call.escalated',
      occurredAt: row.deadline,
      object: { type: 'margin-call', id: row.id },
      audience: loanAudience({ lender: row.lender, borrower: { mspId: row.borrower_msp, id: row.borrower_id } }),
      data: { marginCall: callView(row) },
    })),
  );
  return rows.length;
}

/** The stale-mark limit of a commodity, in hours. */
export const staleLimit = (config: Pick<CollateralConfig, 'staleHours' | 'staleLimits'>, commodity: string): number =>
  Object.hasOwn(config.staleLimits, commodity) ? (config.staleLimits[commodity] ?? config.staleHours) : config.staleHours;

const alarmRow = z.object({ id: z.string(), commodity: z.string(), as_of: timestamp, limit_hours: z.number().int(), raised_at: timestamp, cleared_at: timestamp.nullable(), cleared_by_as_of: timestamp.nullable() });
export const parseAlarms = (rows: readonly unknown[]): z.infer<typeof alarmRow>[] => parseRows(alarmRow, rows);
export const alarmView = (row: z.infer<typeof alarmRow>): Record<string, unknown> => ({
  id: row.id,
  commodity: row.commodity,
  asOf: row.as_of.toISOString(),
  limitHours: row.limit_hours,
  raisedAt: row.raised_at.toISOString(),
  clearedAt: row.cleared_at?.toISOString() ?? null,
  clearedByAsOf: row.cleared_by_as_of?.toISOString() ?? null,
});

/** Raises a stale-mark alarm for each commodity whose latest mark is older than its limit at `now`. */
export async function raiseStale(tx: Queryable, config: Pick<CollateralConfig, 'staleHours' | 'staleLimits'>, now: Date): Promise<number> {
  const heads = parseRows(
    z.object({ commodity: z.string(), as_of: timestamp }),
    await tx.query(
      `SELECT h.commodity, h.as_of FROM (SELECT DISTINCT ON (commodity) commodity, as_of FROM price_marks ORDER BY commodity, as_of DESC) h
       WHERE NOT EXISTS (SELECT 1 FROM price_alarms a WHERE a.commodity = h.commodity AND a.cleared_at IS NULL)`,
    ),
  );
  const stale = heads.filter((head) => now.getTime() - head.as_of.getTime() > hours(staleLimit(config, head.commodity)));
  if (stale.length === 0) return 0;
  const raised = stale.map((head) => ({
    id: `pa_${createHash('sha256').update(JSON.stringify([head.commodity, head.as_of.toISOString()])).digest('hex').slice(0, 32)}`,
    commodity: head.commodity,
    as_of: head.as_of,
    limit_hours: staleLimit(config, head.commodity),
    raised_at: now,
    cleared_at: null,
    cleared_by_as_of: null,
  }));
  await tx.query(
    `INSERT INTO price_alarms (id, commodity, as_of, limit_hours, raised_at)
     SELECT a.id, a.commodity, a.as_of, a.limit_hours, a.raised_at FROM jsonb_to_recordset($1::jsonb) AS a(id text, commodity text, as_of timestamptz, limit_hours int, raised_at timestamptz)
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(raised)],
  );
  await appendEvents(
    tx,
    raised.map((alarm) => ({ id: `${alarm.id}-raised`, type: 'price.stale', occurredAt: now, object: { type: 'price', id: alarm.commodity }, audience: [everyone], data: { alarm: alarmView(alarm) } })),
  );
  return raised.length;
}

/** Clears the open stale-mark alarm of the mark's commodity, which this new latest mark refreshed. */
async function clearStale(tx: Queryable, mark: PriceMark, at: Date): Promise<NewEvent[]> {
  const cleared = parseAlarms(
    await tx.query(
      `UPDATE price_alarms SET cleared_at = $2, cleared_by_as_of = $3 WHERE commodity = $1 AND cleared_at IS NULL AND as_of < $3
       RETURNING id, commodity, as_of, limit_hours, raised_at, cleared_at, cleared_by_as_of`,
      [mark.commodity, at, mark.asOf],
    ),
  );
  return cleared.map((alarm) => ({ id: `${alarm.id}-cleared`, type: 'price.stale-cleared', occurredAt: at, object: { type: 'price', id: alarm.commodity }, audience: [everyone], data: { alarm: alarmView(alarm) } }));
}

/** Marks every loan when the last full run is `dailyMs` old (or never ran); returns how many it marked. */
export async function markAllIfDue(tx: Queryable, now: Date, dailyMs: number): Promise<number> {
  const state = await lockState(tx);
  if (state.full_run_at !== null && now.getTime() - state.full_run_at.getTime() < dailyMs) return 0;
  const cause: Cause = { kind: 'DAILY', txId: null, at: now.toISOString() };
  const marked = await markLoans(tx, (await allLoans(tx)).map((key) => ({ key, cause })));
  await tx.query('UPDATE marking_state SET full_run_at = $2 WHERE name = $1', [CURSOR, now]);
  return marked;
}
