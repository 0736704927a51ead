import { custodianRoles } from '../access.js';
import { idParams } from '../../http/fields.js';
import { defineOperation } from '../../http/operation.js';
import type { Leaves } from './index.js';
import * as schemas from './schemas.js';
import type { StoredEvidence } from './store.js';

const operation = defineOperation<Leaves>();

/** A piece of evidence as GET /v1/evidence/{id} shows it. */
export function evidenceView(stored: StoredEvidence): ReturnType<typeof schemas.evidence.parse> {
  return {
    id: stored.id,
    kind: stored.kind,
    record: stored.record,
    leafHash: stored.leafHash,
    leafIndex: stored.leafIndex,
    deviceId: stored.deviceId,
    seqGap: stored.seqGap,
    lotId: stored.lotId,
    receiptId: stored.receiptId,
    submittedBy: stored.submittedBy,
    receivedAt: stored.receivedAt.toISOString(),
    checkpointSeq: stored.checkpointSeq,
  };
}

export const operations = [
  operation({
    operationId: 'getEvidence',
    method: 'get',
    path: '/v1/evidence/{id}',
    summary: 'A piece of evidence: its record exactly as hashed, its leaf hash and index, links, and its checkpoint once cut',
    tag: 'Evidence',
    allowed: custodianRoles,
    params: idParams,
    response: schemas.evidence,
    successStatus: 200,
    run: async ({ params }, leaves) => ({ data: evidenceView(await leaves.get(params.id)) }),
  }),
];
