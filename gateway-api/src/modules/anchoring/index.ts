import type { AnchorRecord, Checkpoint, EvidenceBundle } from '@wr/anchor';
import { hostname } from 'node:os';
import { anchoringQueries } from './bundles.js';
import { openAnchorChain, type AnchorChain } from './chain.js';
import { checkpointStore } from './checkpoint-store.js';
import { startAnchoring, type AnchoringStatus } from './worker.js';
import { serve } from '../../http/operation.js';
import { LedgerError } from '../../ledger/errors.js';
import type { Identity } from '../../ledger/port.js';
import { defineModule, type HealthCheck } from '../../platform/module.js';
import type { ReceiptRegistry } from '../../registry/receipt-registry.js';
import { operations } from './operations.js';

export { operations as anchoringOperations } from './operations.js';

/** What the anchoring module offers: for tests and operators, waiting for anchors and where to check them. */
export interface Anchoring {
  /** Cuts and anchors a checkpoint over every leaf accepted so far, and waits until it is recorded on the ledger. */
  settled(timeoutMs?: number): Promise<void>;
  /** A JSON-RPC URL where anchors can be checked (the dev chain's), once the anchoring chain is open. */
  rpcUrl(): string | undefined;
  /** The wr-evidence-bundle/1 of a piece of evidence; EVIDENCE_NOT_FOUND, or NOT_YET_ANCHORED until it is anchored. */
  bundle(evidenceId: string): Promise<EvidenceBundle>;
}

declare module '../../platform/module.js' {
  interface ModuleApis {
    anchoring: Anchoring;
  }
}

/** The identity the anchoring worker records checkpoints on the ledger with (RecordCheckpoint is the device gateway's). */
export const anchorSpec = { id: 'service.anchor', org: 'custodian', user: 'anchor', role: 'device-gateway' } as const;

/**
 * Checkpoints over the leaf log anchored on an EVM chain and recorded on the ledger (the worker), and their read side:
 * GET /v1/checkpoints[/{seq}] and the court bundle GET /v1/evidence/{id}/bundle.
 */
export const anchoringModule = defineModule('anchoring', { migrations: ['006_checkpoints'] }, async (ctx) => {
  const leaves = ctx.use('leaves');
  const checkpoints = checkpointStore(ctx.db, leaves);
  const identity = await ctx.serviceIdentity(anchorSpec);
  let chain: AnchorChain | undefined;
  const worker = startAnchoring({
    store: checkpoints,
    client: async () => (chain ??= await openAnchorChain(ctx.config.anchor, ctx.config.dataDir, checkpoints)).client,
    record: (checkpoint, anchor) => recordCheckpoint(ctx.registry, identity, checkpoint, anchor),
    intervalMs: ctx.config.anchor.intervalMs,
    maxLeaves: ctx.config.anchor.maxLeaves,
    logger: ctx.logger,
    clock: ctx.clock,
    holder: `${hostname()}:${ctx.config.dataDir}`,
  });
  const queries = anchoringQueries(checkpoints, leaves, ctx.use('devices'));
  return {
    operations: serve(operations, queries),
    api: { settled: (timeoutMs) => worker.settled(timeoutMs), rpcUrl: () => chain?.rpcUrl, bundle: (evidenceId) => queries.bundle(evidenceId) },
    health: () => Promise.resolve({ anchor: anchorHealth(worker.status(), chain) }),
    async stop() {
      await worker.stop();
      await chain?.close();
    },
  };
});

function anchorHealth(status: AnchoringStatus, chain: AnchorChain | undefined): HealthCheck {
  const detail = {
    state: status.state,
    chain: chain?.kind ?? null,
    rpcUrl: chain?.rpcUrl ?? null,
    contract: chain?.client.contract() ?? null,
    lastAnchoredSeq: status.lastAnchoredSeq ?? null,
    waitingLeaves: status.waitingLeaves ?? null,
  };
  if (status.state === 'failing') return { status: 'degraded', ...detail, error: status.lastError };
  return { status: 'up', ...detail };
}

/**
 * RecordCheckpoint on the ledger, once: after a crash between the commit and noting its transaction id, the ledger
 * answers ALREADY_EXISTS and the recorded checkpoint (the same root and hash, or it is an error) gives the id.
 */
async function recordCheckpoint(registry: ReceiptRegistry, who: Identity, checkpoint: Checkpoint, anchor: AnchorRecord): Promise<string> {
  const { seq, root, hash, leafCount, firstLeafIndex } = checkpoint;
  try {
    const anchorRef = { chainId: anchor.chainId, contract: anchor.contract, txHash: anchor.txHash, blockNumber: anchor.blockNumber };
    return (await registry.recordCheckpoint(who, { seq, root, hash, leafCount, firstLeafIndex, anchor: anchorRef })).txId;
  } catch (error) {
    if (!(error instanceof LedgerError) || error.code !== 'ALREADY_EXISTS') throw error;
    const recorded = await registry.getCheckpoint(who, seq);
    if (recorded.root !== root || recorded.hash !== hash) {
      throw new Error(`the ledger holds another checkpoint ${seq.toString()} (root ${recorded.root}); refusing to anchor over it`);
    }
    return recorded.txId;
  }
}
