import { defineOperation } from '../../http/operation.js';
import { custodian } from '../access.js';
import type { ReadingIntake } from './intake.js';
import * as schemas from './schemas.js';

const operation = defineOperation<ReadingIntake>();

export const operations = [
  operation({
    operationId: 'submitEvidence',
    method: 'post',
    path: '/v1/evidence',
    summary:
      'Submit signed device envelopes; each item is accepted (stored as a Merkle leaf) or refused with its own code, ' +
      'and the accepted ones are committed together',
    tag: 'Evidence',
    allowed: custodian('device-gateway'),
    body: schemas.evidenceBatchBody,
    documentedBody: schemas.evidenceBatchDoc,
    response: schemas.evidenceBatchResult,
    audit: 'SubmitEvidence',
    successStatus: 200,
    run: async ({ body, write }, intake) => ({ data: await intake.submitBatch(body.items, write) }),
  }),
];
