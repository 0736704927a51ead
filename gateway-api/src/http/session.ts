import { anyKnownCaller } from '@wr/chaincode/roles';
import { z } from 'zod';
import { identityOrgs } from '../db/identity-store.js';
import { defineOperation } from './operation.js';

const operation = defineOperation<void>();

/** An identity as a person signs in as it: its id (a dev-tokens.json key), organisation, user and role. */
export const identityFields = z.object({ id: z.string(), org: z.enum(identityOrgs), user: z.string(), role: z.string() });

/** Who a token signs in as: what the console asks first, to choose the views of the caller's organisation and role. */
export const session = identityFields
  .extend({ mspId: z.string() })
  .openapi('Session', { example: { id: 'lender.officer', org: 'lender', mspId: 'LenderMSP', user: 'officer', role: 'officer' } });

export const sessionOperations = [
  operation({
    operationId: 'getSession',
    method: 'get',
    path: '/v1/session',
    summary: 'Who the bearer token is: identity, organisation and role',
    tag: 'Session',
    allowed: anyKnownCaller,
    response: session,
    successStatus: 200,
    run: ({ caller }) => {
      const { id, org, mspId, user, role } = caller.record;
      return Promise.resolve({ data: { id, org, mspId, user, role } });
    },
  }),
];
