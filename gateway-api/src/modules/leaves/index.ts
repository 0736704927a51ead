import type { Queryable } from '../../db/database.js';
import { serve } from '../../http/operation.js';
import { defineModule } from '../../platform/module.js';
import { EvidenceError } from '../errors.js';
import { operations } from './operations.js';
import { leafStore, type LeafStore, type StoredEvidence } from './store.js';

export { evidenceKinds, type EvidenceKind, type NewLeaf, type StoredEvidence, type UnanchoredLeaf, type LeafStore } from './store.js';
export { leafHash, newEvidenceId, newEvidenceIds, sha256Of } from './leaf.js';
export { operations as leafOperations } from './operations.js';

/** The leaf log as the other evidence modules use it: readings and documents append, anchoring cuts checkpoints. */
export interface Leaves {
  /** The leaf log over the database, or over the caller's open transaction `tx`. */
  store(tx?: Queryable): LeafStore;
  /** EVIDENCE_NOT_FOUND when there is none. */
  get(id: string): Promise<StoredEvidence>;
}

declare module '../../platform/module.js' {
  interface ModuleApis {
    leaves: Leaves;
  }
}

/** The leaf log over `db`. */
export function leaves(db: Queryable): Leaves {
  return {
    store: (tx) => leafStore(tx ?? db),
    async get(id) {
      const found = await leafStore(db).evidenceById(id);
      if (found === undefined) throw new EvidenceError('EVIDENCE_NOT_FOUND', `no evidence ${id}`);
      return found;
    },
  };
}

/** Every accepted piece of evidence as a Merkle leaf, in one gap-free order; GET /v1/evidence/{id}. */
export const leavesModule = defineModule('leaves', { migrations: ['005_evidence'] }, (ctx) => {
  const log = leaves(ctx.db);
  return { operations: serve(operations, log), api: log };
});
