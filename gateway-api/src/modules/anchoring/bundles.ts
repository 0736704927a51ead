import {
  BUNDLE_FORMAT,
  buildTree,
  evidenceBundleSchema,
  explainBundle,
  toHex,
  type AnchorRecord,
  type Checkpoint,
  type EvidenceBundle,
} from '@wr/anchor';
import type { Devices } from '../devices/index.js';
import { EvidenceError } from '../errors.js';
import type { Leaves } from '../leaves/index.js';
import type { CheckpointStore, StoredCheckpoint } from './checkpoint-store.js';

/** A checkpoint as GET /v1/checkpoints shows it. */
export interface CheckpointView extends Checkpoint {
  readonly anchor: AnchorRecord | null;
  /** The ledger's RecordCheckpoint transaction, once recorded. */
  readonly ledgerTxId: string | null;
}

/** The read side of anchoring: checkpoints and court bundles. */
export interface AnchoringQueries {
  checkpoints(limit: number, beforeSeq?: number): Promise<CheckpointView[]>;
  /** CHECKPOINT_NOT_FOUND when there is none. */
  checkpoint(seq: number): Promise<CheckpointView>;
  /** The wr-evidence-bundle/1 of a piece of evidence; EVIDENCE_NOT_FOUND, or NOT_YET_ANCHORED until its checkpoint is. */
  bundle(evidenceId: string): Promise<EvidenceBundle>;
}

const view = (stored: StoredCheckpoint): CheckpointView => ({ ...stored.checkpoint, anchor: stored.anchor, ledgerTxId: stored.ledgerTxId });

export function anchoringQueries(checkpoints: CheckpointStore, leaves: Leaves, devices: Devices): AnchoringQueries {
  return {
    async checkpoints(limit, beforeSeq) {
      return (await checkpoints.list(limit, beforeSeq)).map(view);
    },
    async checkpoint(seq) {
      const found = await checkpoints.get(seq);
      if (!found) throw new EvidenceError('CHECKPOINT_NOT_FOUND', `no checkpoint ${seq.toString()}`);
      return view(found);
    },
    async bundle(evidenceId) {
      const stored = await leaves.get(evidenceId);
      const cut = stored.checkpointSeq === null ? undefined : await checkpoints.get(stored.checkpointSeq);
      if (!cut?.anchor) {
        throw new EvidenceError('NOT_YET_ANCHORED', `evidence ${evidenceId} is not anchored yet${cut ? ` (checkpoint ${cut.checkpoint.seq.toString()} is being anchored)` : ''}; try again after the next checkpoint`);
      }
      const index = stored.leafIndex - cut.checkpoint.firstLeafIndex;
      const tree = buildTree(await checkpoints.leafHashes(cut.checkpoint.seq));
      if (tree.size !== cut.checkpoint.leafCount || toHex(tree.root) !== cut.checkpoint.root) {
        throw new Error(`checkpoint ${cut.checkpoint.seq.toString()} does not match its stored leaves`);
      }
      const device = stored.deviceId === null ? undefined : await devices.get(stored.deviceId);
      const body = {
        format: BUNDLE_FORMAT,
        evidence: { id: stored.id, kind: stored.kind, record: stored.record },
        device: device ? { id: device.id, algorithm: device.algorithm, publicKey: device.publicKey } : null,
        leaf: { index, hash: stored.leafHash },
        proof: { treeSize: cut.checkpoint.leafCount, path: tree.auditPath(index).map((node) => toHex(node)) },
        checkpoint: cut.checkpoint,
        anchor: cut.anchor,
        ledger: cut.ledgerTxId === null ? null : { receiptId: stored.receiptId, lotId: stored.lotId, txId: cut.ledgerTxId },
      };
      // Parsed, not cast: a bundle that would not verify is our bug, and must not reach a court.
      return evidenceBundleSchema.parse({ ...body, explanation: explainBundle(evidenceBundleSchema.omit({ explanation: true }).parse(body)) });
    },
  };
}
