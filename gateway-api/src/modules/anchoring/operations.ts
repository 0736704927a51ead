import { anyKnownCaller } from '@wr/chaincode/roles';
import { idParams } from '../../http/fields.js';
import { defineOperation } from '../../http/operation.js';
import type { AnchoringQueries } from './bundles.js';
import { custodianRoles } from '../access.js';
import * as schemas from './schemas.js';

const operation = defineOperation<AnchoringQueries>();

export const operations = [
  operation({
    operationId: 'getEvidenceBundle',
    method: 'get',
    path: '/v1/evidence/{id}/bundle',
    summary:
      'The court bundle (wr-evidence-bundle/1) of a piece of evidence: record, device key, inclusion proof, checkpoint, anchor; 409 NOT_YET_ANCHORED until anchored',
    tag: 'Evidence',
    allowed: custodianRoles,
    params: idParams,
    response: schemas.evidenceBundle,
    successStatus: 200,
    run: async ({ params }, anchoring) => ({ data: await anchoring.bundle(params.id) }),
  }),
  operation({
    operationId: 'listCheckpoints',
    method: 'get',
    path: '/v1/checkpoints',
    summary: 'Checkpoints, newest first (`limit`, default 100; `before` a seq to page), each with its anchor once confirmed',
    tag: 'Checkpoints',
    allowed: anyKnownCaller,
    query: schemas.checkpointListQuery,
    response: schemas.checkpointList,
    successStatus: 200,
    run: async ({ query }, anchoring) => ({
      data: await anchoring.checkpoints(query.limit === undefined ? 100 : Number(query.limit), query.before === undefined ? undefined : Number(query.before)),
    }),
  }),
  operation({
    operationId: 'getCheckpoint',
    method: 'get',
    path: '/v1/checkpoints/{seq}',
    summary: 'One checkpoint: its root and hash, where it is anchored and its RecordCheckpoint transaction on the ledger',
    tag: 'Checkpoints',
    allowed: anyKnownCaller,
    params: schemas.checkpointSeqParams,
    response: schemas.checkpointView,
    successStatus: 200,
    run: async ({ params }, anchoring) => ({ data: await anchoring.checkpoint(Number(params.seq)) }),
  }),
];
