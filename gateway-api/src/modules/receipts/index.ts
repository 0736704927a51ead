import { startProjection, type Projection } from './projection.js';
import { serve } from '../../http/operation.js';
import { orNothing } from '../../registry/receipt-registry.js';
import { defineModule } from '../../platform/module.js';
import { listReceipts, operations } from './operations.js';
import { receiptQueries } from './receipt-queries.js';

export { operations, listReceipts, type Operation, type ReceiptServices } from './operations.js';
export { receiptQueries, receiptVisibility, type ReceiptQueries, type ReceiptListFilter, type Viewer } from './receipt-queries.js';

/** What the receipts module offers the modules after it. */
export interface Receipts {
  /** Waits until the projection has applied every block this gateway committed, and everything else the ledger has. */
  caughtUp(timeoutMs?: number): Promise<void>;
  readonly projection: Projection;
}

declare module '../../platform/module.js' {
  interface ModuleApis {
    receipts: Receipts;
  }
}

/** The identity the projection reads receipts with: a custodian auditor sees every receipt of its warehouses. */
export const projectorSpec = { id: 'service.projector', org: 'custodian', user: 'projector', role: 'auditor' } as const;

/**
 * Lots, receipts and risk events: the chaincode's transactions as HTTP operations, and the projection of ledger
 * events into the database that GET /v1/receipts lists from.
 */
export const receiptsModule = defineModule('receipts', { migrations: ['004_ledger_projection'] }, async (ctx) => {
  const projector = await ctx.serviceIdentity(projectorSpec);
  const projection = startProjection({
    db: ctx.db,
    clock: ctx.clock,
    ledger: ctx.ledger,
    reader: {
      receipt: (id) => orNothing(ctx.registry.getReceipt(projector, id)),
      lot: (id) => orNothing(ctx.registry.getLot(projector, id)),
    },
    onError: (error) => ctx.logger.error({ err: error }, 'projection failed; retrying'),
  });
  const services = { registry: ctx.registry, receipts: receiptQueries(ctx.db) };
  return {
    operations: serve([...operations, listReceipts], services),
    api: {
      projection,
      async caughtUp(timeoutMs) {
        const last = ctx.lastCommittedBlock();
        if (last !== undefined) await projection.waitFor(last, timeoutMs);
        await projection.caughtUp(timeoutMs);
      },
    },
    async health({ ledgerHeight, databaseUp }) {
      const position = databaseUp ? await projection.position().catch(() => undefined) : undefined;
      const projected = position === undefined ? null : Number(position.blockNumber);
      return {
        projection: {
          status: databaseUp ? 'up' : 'down',
          block: projected,
          lagBlocks: projected === null || ledgerHeight === undefined ? null : Math.max(0, ledgerHeight - 1 - projected),
        },
      };
    },
    stop: () => projection.stop(),
  };
});
