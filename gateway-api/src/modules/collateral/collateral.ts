import { borrowerMspId, orgKindOf, rolesByOrg } from '@wr/chaincode/roles';
import { loan as loanSchema } from '@wr/chaincode/model';
import { Quantity } from '@wr/chaincode/quantity';
import { z } from 'zod';
import type { Database, Queryable } from '../../db/database.js';
import { parseOptionalRow, parseRows, timestamp } from '../../db/rows.js';
import { ApiError } from '../../http/problem.js';
import { LedgerError } from '../../ledger/errors.js';
import type { Identity } from '../../ledger/port.js';
import type { ReceiptRegistry } from '../../registry/receipt-registry.js';
import type { Viewer } from '../receipts/receipt-queries.js';
import { checkPrice, FeedError, type FeedMark } from './feed.js';
import { alarmView, callColumns, callView, markView, parseAlarms, parseCalls, staleLimit, storedValuation } from './marking.js';
import type { CollateralConfig } from '../../config.js';

/** Reads of loans, marks and margin calls, each over what the viewer may see; the oracle's imports. */

/**
 * Who sees a loan, as SQL over a table with lender, borrower_msp and borrower_id: the lender organisation (every
 * role), its borrower, the borrower organisation's auditor (canSeeLoan of the chaincode, as a predicate).
 */
export function loanVisibility(viewer: Viewer, param: (value: unknown) => string, alias = ''): string {
  const org = orgKindOf(viewer.mspId);
  const column = (name: string): string => (alias === '' ? name : `${alias}.${name}`);
  if (org === undefined || !(rolesByOrg[org] as readonly string[]).includes(viewer.role)) return 'false';
  if (org === 'lender') return `${column('lender')} = ${param(viewer.mspId)}`;
  if (org === 'borrower') {
    return viewer.role === 'auditor'
      ? `${column('borrower_msp')} = ${param(borrowerMspId)}`
      : `(${column('borrower_msp')} = ${param(viewer.mspId)} AND ${column('borrower_id')} = ${param(viewer.user)})`;
  }
  return 'false';
}

/** Builds `$n` placeholders for a statement's parameters. */
function params(): { values: unknown[]; param: (value: unknown) => string } {
  const values: unknown[] = [];
  return { values, param: (value) => `$${(values.push(value)).toString()}` };
}

const loanRow = z.object({
  document: loanSchema,
  defaulted_at: timestamp.nullable(),
  state: z.enum(['VALUED', 'UNPRICED']).nullable(),
  value: z.string().nullable(),
  ltv: z.string().nullable(),
  band: z.enum(['OK', 'WARNING', 'LIQUIDATION']).nullable(),
  valuation: storedValuation.nullable(),
  marked_at: timestamp.nullable(),
  call_id: z.string().nullable(),
  call_status: z.string().nullable(),
  call_deadline: timestamp.nullable(),
});

/** The latest mark of each commodity named (what the loans' figures were marked at). */
async function headMarks(db: Queryable, commodities: readonly string[]): Promise<Map<string, { price: string; currency: string; asOf: string }>> {
  if (commodities.length === 0) return new Map();
  const rows = parseRows(
    z.object({ commodity: z.string(), price: z.string(), currency: z.string(), as_of: timestamp }),
    await db.query('SELECT DISTINCT ON (commodity) commodity, price::text AS price, currency, as_of FROM price_marks WHERE commodity = ANY($1::text[]) ORDER BY commodity, as_of DESC', [[...new Set(commodities)]]),
  );
  return new Map(rows.map((row) => [row.commodity, { price: trimDecimal(row.price), currency: row.currency, asOf: row.as_of.toISOString() }]));
}

function loanSummary(row: z.infer<typeof loanRow>, marks: ReadonlyMap<string, { price: string; currency: string; asOf: string }>): Record<string, unknown> {
  const loan = row.document;
  const valuation = row.valuation;
  return {
    lender: loan.lender,
    loanReference: loan.loanReference,
    borrower: loan.borrower,
    currency: loan.currency,
    principal: loan.principal,
    repaid: loan.repaid,
    outstanding: loan.outstanding,
    terms: loan.terms,
    openedAt: loan.openedAt,
    defaultedAt: row.defaulted_at?.toISOString() ?? null,
    state: row.state,
    value: row.value,
    ltv: row.ltv,
    band: row.band,
    holdings: (valuation?.holdings ?? []).map((holding) => ({ ...holding, mark: marks.get(holding.commodity) ?? null })),
    problems: valuation?.problems ?? [],
    markedAt: row.marked_at?.toISOString() ?? null,
    marginCall: row.call_id === null ? null : { id: row.call_id, status: row.call_status, deadline: row.call_deadline?.toISOString() ?? null },
  };
}

const loanSelect = `SELECT l.document, l.defaulted_at, l.state, l.value::text AS value, l.ltv::text AS ltv, l.band, l.valuation, l.marked_at, c.id AS call_id, c.status AS call_status, c.deadline AS call_deadline
  FROM loans l LEFT JOIN margin_calls c ON c.lender = l.lender AND c.loan_reference = l.loan_reference AND c.status IN ('OPEN', 'ESCALATED')`;

export interface LoanListQuery {
  readonly band?: 'OK' | 'WARNING' | 'LIQUIDATION' | undefined;
  readonly state?: 'VALUED' | 'UNPRICED' | undefined;
  readonly limit: number;
  readonly after?: string | undefined;
}

export interface CallListQuery {
  readonly status?: 'OPEN' | 'ESCALATED' | 'CURED' | 'CLOSED' | 'ACTIVE' | undefined;
  readonly loanReference?: string | undefined;
  readonly limit: number;
  readonly after?: string | undefined;
}

export interface ImportResult {
  readonly recorded: readonly Record<string, unknown>[];
  readonly skipped: number;
}

export interface Collateral {
  listLoans(viewer: Viewer, query: LoanListQuery): Promise<{ items: Record<string, unknown>[]; next: string | null }>;
  getLoan(viewer: Viewer, loanReference: string, lender: string | undefined): Promise<Record<string, unknown>>;
  listCalls(viewer: Viewer, query: CallListQuery): Promise<{ items: Record<string, unknown>[]; next: string | null }>;
  getCall(viewer: Viewer, id: string): Promise<Record<string, unknown>>;
  portfolio(viewer: Viewer): Promise<Record<string, unknown>>;
  listPrices(): Promise<Record<string, unknown>[]>;
  priceHistory(commodity: string, at: Date | undefined, limit: number): Promise<Record<string, unknown>>;
  /** Checks a whole feed against the ledger, then records its new marks in order (FeedError when any is bad). */
  importMarks(who: Identity, marks: readonly FeedMark[]): Promise<ImportResult>;
}

export function collateral(db: Database, registry: ReceiptRegistry, config: CollateralConfig, now: () => Date): Collateral {
  /** Loans the viewer may see, and the latest marks of their goods. */
  async function loanRows(viewer: Viewer, where: (param: (value: unknown) => string) => string[], limit: number): Promise<{ rows: z.infer<typeof loanRow>[]; marks: Map<string, { price: string; currency: string; asOf: string }> }> {
    const { values, param } = params();
    const conditions = [loanVisibility(viewer, param, 'l'), ...where(param)];
    const rows = parseRows(loanRow, await db.query(`${loanSelect} WHERE ${conditions.join(' AND ')} ORDER BY l.lender, l.loan_reference LIMIT ${param(limit)}`, values));
    return { rows, marks: await headMarks(db, rows.flatMap((row) => (row.valuation?.holdings ?? []).map((holding) => holding.commodity))) };
  }

  return {
    async listLoans(viewer, query) {
      const { rows, marks } = await loanRows(
        viewer,
        (param) => [
          ...(query.band === undefined ? [] : [`l.band = ${param(query.band)}`]),
          ...(query.state === undefined ? [] : [`l.state = ${param(query.state)}`]),
          ...(query.after === undefined ? [] : [`l.loan_reference > ${param(query.after)}`]),
        ],
        query.limit + 1,
      );
      const page = rows.slice(0, query.limit);
      return { items: page.map((row) => loanSummary(row, marks)), next: rows.length > query.limit ? (page[page.length - 1]?.document.loanReference ?? null) : null };
    },

    async getLoan(viewer, loanReference, lender) {
      const { rows, marks } = await loanRows(viewer, (param) => [`l.loan_reference = ${param(loanReference)}`, ...(lender === undefined ? [] : [`l.lender = ${param(lender)}`])], 2);
      const [row, second] = rows;
      if (row === undefined) throw new ApiError(404, 'LOAN_NOT_FOUND', `loan ${loanReference} not found`);
      if (second !== undefined) throw new ApiError(409, 'LOAN_AMBIGUOUS', `more than one lender has a loan ${loanReference}: name the lender (?lender=)`);
      const key = [row.document.lender, row.document.loanReference];
      const receipts = parseRows(
        z.object({ id: z.string(), status: z.string(), commodity: z.string(), unit: z.string(), quantity: z.string(), warehouse_id: z.string() }),
        await db.query(
          `SELECT id, status, commodity, unit, quantity::text AS quantity, warehouse_id FROM receipts
           WHERE pledge_lender = $1 AND document->'pledge'->>'loanReference' = $2 AND status IN ('PLEDGED', 'DEFAULTED') ORDER BY id`,
          key,
        ),
      );
      const history = parseRows(
        z.object({ at: timestamp, cause: z.string(), state: z.string(), value: z.string().nullable(), ltv: z.string().nullable(), band: z.string().nullable(), outstanding: z.string() }),
        await db.query(
          `SELECT at, cause, state, value::text AS value, ltv::text AS ltv, band, outstanding::text AS outstanding FROM (
             SELECT * FROM loan_valuations WHERE lender = $1 AND loan_reference = $2 ORDER BY seq DESC LIMIT 500) recent ORDER BY seq`,
          key,
        ),
      );
      const repayments = parseRows(
        z.object({ reference: z.string(), amount: z.string(), currency: z.string(), outstanding_after: z.string(), recorded_by: z.string(), recorded_at: timestamp, tx_id: z.string() }),
        await db.query(
          `SELECT reference, amount::text AS amount, currency, outstanding_after::text AS outstanding_after, recorded_by, recorded_at, tx_id FROM loan_repayments
           WHERE lender = $1 AND loan_reference = $2 ORDER BY recorded_at, reference`,
          key,
        ),
      );
      const calls = parseCalls(await db.query(`SELECT ${callColumns} FROM margin_calls WHERE lender = $1 AND loan_reference = $2 ORDER BY opened_at, id`, key));
      return {
        ...loanSummary(row, marks),
        receipts: receipts.map((receipt) => ({ id: receipt.id, status: receipt.status, commodity: receipt.commodity, unit: receipt.unit, quantity: receipt.quantity, warehouseId: receipt.warehouse_id })),
        history: history.map((entry) => ({ ...entry, at: entry.at.toISOString() })),
        repayments: repayments.map((entry) => ({ reference: entry.reference, amount: entry.amount, currency: entry.currency, outstandingAfter: entry.outstanding_after, recordedBy: entry.recorded_by, recordedAt: entry.recorded_at.toISOString(), txId: entry.tx_id })),
        marginCalls: calls.map(callView),
      };
    },

    async listCalls(viewer, query) {
      const { values, param } = params();
      const conditions = [loanVisibility(viewer, param)];
      if (query.status === 'ACTIVE') conditions.push(`status IN ('OPEN', 'ESCALATED')`);
      else if (query.status !== undefined) conditions.push(`status = ${param(query.status)}`);
      if (query.loanReference !== undefined) conditions.push(`loan_reference = ${param(query.loanReference)}`);
      if (query.after !== undefined) conditions.push(`id > ${param(query.after)}`);
      const rows = parseCalls(await db.query(`SELECT ${callColumns} FROM margin_calls WHERE ${conditions.join(' AND ')} ORDER BY id LIMIT ${param(query.limit + 1)}`, values));
      const page = rows.slice(0, query.limit);
      return { items: page.map(callView), next: rows.length > query.limit ? (page[page.length - 1]?.id ?? null) : null };
    },

    async getCall(viewer, id) {
      const { values, param } = params();
      const row = parseCalls(await db.query(`SELECT ${callColumns} FROM margin_calls WHERE id = ${param(id)} AND ${loanVisibility(viewer, param)}`, values))[0];
      if (row === undefined) throw new ApiError(404, 'MARGIN_CALL_NOT_FOUND', `margin call ${id} not found`);
      return callView(row);
    },

    async portfolio(viewer) {
      const { values, param } = params();
      const visible = loanVisibility(viewer, param);
      const currencies = parseRows(
        z.object({ currency: z.string(), loans: z.string(), value: z.string().nullable(), outstanding: z.string() }),
        await db.query(
          `SELECT currency, count(*)::text AS loans, sum(value)::text AS value, sum((document->>'outstanding')::numeric)::text AS outstanding
           FROM loans WHERE ${visible} GROUP BY currency ORDER BY currency`,
          values,
        ),
      );
      const bands = parseRows(
        z.object({ band: z.string(), loans: z.string() }),
        await db.query(`SELECT COALESCE(CASE WHEN state = 'UNPRICED' THEN 'UNPRICED' ELSE band END, 'UNMARKED') AS band, count(*)::text AS loans FROM loans WHERE ${visible} GROUP BY 1 ORDER BY 1`, values),
      );
      const calls = parseRows(
        z.object({ status: z.string(), calls: z.string() }),
        await db.query(`SELECT status, count(*)::text AS calls FROM margin_calls WHERE ${visible} AND status IN ('OPEN', 'ESCALATED') GROUP BY status ORDER BY status`, values),
      );
      return {
        asOf: now().toISOString(),
        currencies: currencies.map((row) => ({ currency: row.currency, loans: Number(row.loans), value: row.value === null ? '0' : trimDecimal(row.value), outstanding: trimDecimal(row.outstanding) })),
        bands: bands.map((row) => ({ band: row.band, loans: Number(row.loans) })),
        marginCalls: calls.map((row) => ({ status: row.status, calls: Number(row.calls) })),
      };
    },

    async listPrices() {
      const heads = parseRows(
        z.object({ commodity: z.string(), unit: z.string(), price: z.string(), currency: z.string(), source: z.string(), as_of: timestamp, recorded_by: z.string(), recorded_at: timestamp, tx_id: z.string(), marks: z.string() }),
        await db.query(
          `SELECT DISTINCT ON (commodity) commodity, unit, price::text AS price, currency, source, as_of, recorded_by, recorded_at, tx_id,
                  (count(*) OVER (PARTITION BY commodity))::text AS marks
           FROM price_marks ORDER BY commodity, as_of DESC`,
        ),
      );
      const alarms = new Map(parseAlarms(await db.query('SELECT id, commodity, as_of, limit_hours, raised_at, cleared_at, cleared_by_as_of FROM price_alarms WHERE cleared_at IS NULL')).map((alarm) => [alarm.commodity, alarm]));
      return heads.map((head) => {
        const alarm = alarms.get(head.commodity);
        return {
          commodity: head.commodity,
          latest: markRowView(head),
          marks: Number(head.marks),
          staleAfterHours: staleLimit(config, head.commodity),
          staleAlarm: alarm === undefined ? null : alarmView(alarm),
        };
      });
    },

    async priceHistory(commodity, at, limit) {
      const rows = parseRows(
        markRow,
        await db.query(
          `SELECT commodity, unit, price::text AS price, currency, source, as_of, recorded_by, recorded_at, tx_id FROM price_marks
           WHERE commodity = $1 AND ($2::timestamptz IS NULL OR as_of <= $2) ORDER BY as_of DESC LIMIT $3`,
          [commodity, at ?? null, limit],
        ),
      );
      const [inForce] = rows;
      if (inForce === undefined) {
        throw new ApiError(404, 'PRICE_NOT_FOUND', at === undefined ? `no price mark for ${commodity}` : `no price mark for ${commodity} at or before ${at.toISOString()}`);
      }
      return { commodity, at: (at ?? now()).toISOString(), inForce: markRowView(inForce), items: rows.map(markRowView) };
    },

    async importMarks(who, marks) {
      const problems = await checkAgainstLedger(registry, who, marks);
      if (problems.rejected.length > 0) {
        throw new FeedError('PRICE_FEED_INVALID', `the feed has ${problems.rejected.length.toString()} bad mark(s); nothing was recorded`, problems.rejected);
      }
      const recorded: Record<string, unknown>[] = [];
      for (const mark of problems.fresh) {
        recorded.push(markView((await registry.recordPrice(who, mark)).data));
      }
      return { recorded, skipped: marks.length - problems.fresh.length };
    },
  };
}

const markRow = z.object({ commodity: z.string(), unit: z.string(), price: z.string(), currency: z.string(), source: z.string(), as_of: timestamp, recorded_by: z.string(), recorded_at: timestamp, tx_id: z.string() });

function markRowView(row: z.infer<typeof markRow>): Record<string, unknown> {
  return {
    commodity: row.commodity,
    unit: row.unit,
    price: trimDecimal(row.price),
    currency: row.currency,
    source: row.source,
    asOf: row.as_of.toISOString(),
    recordedBy: row.recorded_by,
    recordedAt: row.recorded_at.toISOString(),
    txId: row.tx_id,
  };
}

/** Decimal text from numeric arithmetic in canonical form ("12.500" -> "12.5", "3.000" -> "3"). */
export function trimDecimal(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

/**
 * The whole feed against the ledger's committed marks, before anything is recorded: per commodity one unit and one
 * currency, the ledger's if it has marks; a mark already recorded with the same price is skipped (a feed pulled
 * twice), with another price it is a CONFLICT; two marks of one commodity at one time are a CONFLICT.
 */
async function checkAgainstLedger(registry: ReceiptRegistry, who: Identity, marks: readonly FeedMark[]): Promise<{ fresh: FeedMark[]; rejected: FeedError['problems'] }> {
  const rejected: { row: number; field: string | null; code: FeedError['problems'][number]['code']; message: string }[] = [];
  const heads = new Map<string, { unit: string; currency: string }>();
  const seen = new Map<string, number>();
  const fresh: FeedMark[] = [];
  for (const [index, mark] of marks.entries()) {
    const row = index + 1;
    const problem = checkPrice(mark.price);
    if (problem !== undefined) {
      rejected.push({ row, field: 'price', code: 'INVALID_PRICE', message: problem });
      continue;
    }
    let established = heads.get(mark.commodity);
    if (established === undefined) {
      // The ledger's marks set the commodity's unit and currency; a commodity's first feed sets them by its first row.
      const head = await markAt(registry, who, mark.commodity, undefined);
      established = { unit: head?.unit ?? mark.unit, currency: head?.currency ?? mark.currency };
      heads.set(mark.commodity, established);
    }
    if (mark.currency !== established.currency) {
      rejected.push({ row, field: 'currency', code: 'CURRENCY_MISMATCH', message: `${mark.commodity} is marked in ${established.currency}, not ${mark.currency} (currencies are never converted)` });
      continue;
    }
    if (mark.unit !== established.unit) {
      rejected.push({ row, field: 'unit', code: 'UNIT_MISMATCH', message: `${mark.commodity} is marked per ${established.unit}, not ${mark.unit}` });
      continue;
    }
    const key = JSON.stringify([mark.commodity, mark.asOf]);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      rejected.push({ row, field: 'asOf', code: 'CONFLICT', message: `row ${earlier.toString()} marks ${mark.commodity} as of ${mark.asOf} too` });
      continue;
    }
    seen.set(key, row);
    const existing = await markAt(registry, who, mark.commodity, mark.asOf);
    if (existing !== undefined && existing.asOf === mark.asOf) {
      if (existing.price !== Quantity.parse(mark.price).toString()) {
        rejected.push({ row, field: 'price', code: 'CONFLICT', message: `${mark.commodity} as of ${mark.asOf} is recorded at ${existing.price}, the feed says ${mark.price}` });
      }
      continue;
    }
    fresh.push(mark);
  }
  return { fresh, rejected };
}

/** The ledger's mark in force for a commodity (at a time), or undefined when it has none. */
async function markAt(registry: ReceiptRegistry, who: Identity, commodity: string, at: string | undefined): Promise<{ unit: string; currency: string; price: string; asOf: string } | undefined> {
  try {
    return await registry.getPrice(who, commodity, at);
  } catch (error) {
    if (error instanceof LedgerError && error.code === 'NOT_FOUND') return undefined;
    throw error;
  }
}

/** The margin calls due by `now` (for tests and health), and the open stale alarms. */
export async function openCounts(db: Queryable): Promise<{ calls: number; staleAlarms: number }> {
  const row = parseOptionalRow(
    z.object({ calls: z.string(), alarms: z.string() }),
    await db.query(`SELECT (SELECT count(*) FROM margin_calls WHERE status IN ('OPEN', 'ESCALATED'))::text AS calls, (SELECT count(*) FROM price_alarms WHERE cleared_at IS NULL)::text AS alarms`),
  );
  return { calls: Number(row?.calls ?? 0), staleAlarms: Number(row?.alarms ?? 0) };
}
