import { listFilterArgs } from '@wr/chaincode/args';
import { receiptView, type ReceiptView } from '@wr/chaincode/responses';
import { borrowerMspId, oracleRole, orgKindOf, rolesByOrg } from '@wr/chaincode/roles';
import { z } from 'zod';
import type { Queryable } from '../../db/database.js';
import { StoreError } from '../../db/errors.js';
import { PROJECTION_NAME } from './projection-store.js';
import { int8, parseRow } from '../../db/rows.js';

/** Who is asking, as their certificate says: MSP, CN and `role` attribute. */
export interface Viewer {
  readonly mspId: string;
  readonly user: string;
  readonly role: string;
}

/** ListReceipts' filter (`owner` is a BorrowerMSP user id); `limit` is 1-1000. */
export interface ReceiptListFilter {
  status?: string;
  owner?: string;
  lender?: string;
  warehouseId?: string;
  lotId?: string;
  limit: number;
  after?: string;
}

export interface ReceiptPage {
  /** The stored receipts, as GetReceipt returned them, in id order. */
  readonly items: ReceiptView[];
  /** The id to pass as `after` for the next page; null on the last page. */
  readonly next: string | null;
  /** The block the projection had reached when the page was read; null before it applied any event. */
  readonly asOfBlock: bigint | null;
}

export interface ReceiptQueries {
  /** ListReceipts from the projection: the same visibility, filter, order and paging as the chaincode's. */
  list(viewer: Viewer, filter: ReceiptListFilter): Promise<ReceiptPage>;
  /** How many projected receipts are in each status (for metrics; not scoped to a viewer). */
  countsByStatus(): Promise<Record<string, number>>;
}

const pageRow = z.object({ as_of_block: int8.nullable(), items: z.array(receiptView) });
const countRow = z.object({ status: z.string(), count: z.coerce.number().int() });

/**
 * The chaincode's object-level access (chaincode/src/visibility.ts, `canSeeReceipt`) as SQL over the projection:
 * custodian: its own receipts; lender: those whose pledge names it; borrower auditor: every borrower's; owner: its
 * own. A caller the chaincode would refuse (unknown MSP, a role its org does not issue) sees nothing.
 */
export function receiptVisibility(viewer: Viewer, param: (value: unknown) => string): string {
  const org = orgKindOf(viewer.mspId);
  if (org === undefined || !(rolesByOrg[org] as readonly string[]).includes(viewer.role)) return 'false';
  switch (org) {
    case 'custodian':
      // The oracle records prices and sees no receipt (canSeeReceipt).
      return viewer.role === oracleRole ? 'false' : `custodian_msp = ${param(viewer.mspId)}`;
    case 'lender':
      return `pledge_lender = ${param(viewer.mspId)}`;
    case 'borrower':
      return viewer.role === 'auditor'
        ? `owner_msp = ${param(borrowerMspId)}`
        : `owner_msp = ${param(viewer.mspId)} AND owner_id = ${param(viewer.user)}`;
  }
}

export function receiptQueries(db: Queryable): ReceiptQueries {
  return {
    async list(viewer, filter) {
      const parsed = listFilterArgs.safeParse(filter);
      if (!parsed.success) {
        throw new StoreError('INVALID_ARGUMENT', `invalid receipt filter: ${z.prettifyError(parsed.error)}`);
      }
      const { status, owner, lender, warehouseId, lotId, after } = parsed.data;
      // ListReceipts' default, for callers outside TypeScript that leave the limit out.
      const limit = parsed.data.limit ?? 100;
      const params: unknown[] = [PROJECTION_NAME];
      const param = (value: unknown): string => `$${params.push(value).toString()}`;
      // The same criteria as the chaincode's `matches`, each only when given.
      const conditions = [receiptVisibility(viewer, param)];
      if (status !== undefined) conditions.push(`status = ${param(status)}`);
      if (owner !== undefined) conditions.push(`owner_msp = ${param(borrowerMspId)} AND owner_id = ${param(owner)}`);
      if (lender !== undefined) conditions.push(`pledge_lender = ${param(lender)}`);
      if (warehouseId !== undefined) conditions.push(`warehouse_id = ${param(warehouseId)}`);
      if (lotId !== undefined) conditions.push(`lot_id = ${param(lotId)}`);
      if (after !== undefined) conditions.push(`id > ${param(after)}`);
      // One statement, so the page and the block it is as of come from one snapshot. One row more than the page
      // tells whether another page follows.
      const rows = await db.query(
        `SELECT (SELECT block_number FROM projection_checkpoints WHERE name = $1) AS as_of_block,
                COALESCE((SELECT jsonb_agg(page.document ORDER BY page.id)
                          FROM (SELECT id, document FROM receipts WHERE ${conditions.join(' AND ')}
                                ORDER BY id LIMIT ${param(limit + 1)}) page), '[]'::jsonb) AS items`,
        params,
      );
      const { as_of_block: asOfBlock, items } = parseRow(pageRow, rows);
      const page = items.slice(0, limit);
      const next = items.length > limit ? (page.at(-1)?.id ?? null) : null;
      return { items: page, next, asOfBlock };
    },

    async countsByStatus() {
      const rows = await db.query('SELECT status, count(*) AS count FROM receipts GROUP BY status ORDER BY status');
      return Object.fromEntries(rows.map((row) => countRow.parse(row)).map(({ status, count }) => [status, count]));
    },
  };
}
