import { anyKnownCaller } from '@wr/chaincode/roles';
import { z } from 'zod';
import { emptyBody, idParams } from '../../http/fields.js';
import { defineOperation } from '../../http/operation.js';
import { custodian } from '../access.js';
import type { Queryable } from '../../db/database.js';
import type { Rules } from './rules.js';
import { replay } from './evaluation.js';
import * as schemas from './schemas.js';

/** What the rules module's operations are served by. */
export interface RuleServices {
  readonly rules: Rules;
  readonly db: Queryable;
}

const operation = defineOperation<RuleServices>();

/** Who may set rules, for the documentation (the use case checks the lender's pledge). */
const setters = [...custodian('supervisor'), { org: 'lender', roles: ['officer', 'approver'] }] as const;

export const operations = [
  operation({
    operationId: 'createRule',
    method: 'post',
    path: '/v1/rules',
    summary: "Set a supervision rule (监管策略) on a warehouse, a lot or a commodity: the custodian's supervisor anywhere, a lender only on a lot under its live pledge",
    tag: 'Rules',
    allowed: setters,
    body: schemas.ruleBody,
    response: schemas.rule,
    audit: 'CreateRule',
    successStatus: 201,
    run: async ({ body, caller, write }, { rules }) => ({ data: await rules.create(body, caller, write) }),
  }),
  operation({
    operationId: 'listRules',
    method: 'get',
    path: '/v1/rules',
    summary: 'The rules the caller may see, each at its latest version, in id order',
    tag: 'Rules',
    allowed: anyKnownCaller,
    query: schemas.ruleListQuery,
    response: schemas.ruleList,
    documentedResponse: {
      description: 'a page of rules; `next` is the `after` of the next page',
      schema: z.object({ data: schemas.ruleList, next: z.string().nullable() }),
      example: { data: [schemas.exampleRule], next: null },
    },
    successStatus: 200,
    run: async ({ query, caller }, { rules }) => {
      const page = await rules.list(caller, query);
      return { data: page.items, extra: { next: page.next } };
    },
  }),
  operation({
    operationId: 'getRule',
    method: 'get',
    path: '/v1/rules/{id}',
    summary: 'A rule at its latest version, with every version before it (alarms cite the version and hash that raised them)',
    tag: 'Rules',
    allowed: anyKnownCaller,
    params: idParams,
    response: schemas.ruleWithHistory,
    successStatus: 200,
    run: async ({ params, caller }, { rules }) => {
      const { rule, history } = await rules.get(params.id, caller);
      return { data: { ...rule, history: history.map(({ ...version }) => version) } };
    },
  }),
  operation({
    operationId: 'addRuleVersion',
    method: 'post',
    path: '/v1/rules/{id}/versions',
    summary: 'Edit a rule: a new version with a new hash; what older versions raised keeps their version (only the party that set the rule may)',
    tag: 'Rules',
    allowed: setters,
    params: idParams,
    body: schemas.ruleBody,
    response: schemas.rule,
    audit: 'AddRuleVersion',
    successStatus: 201,
    run: async ({ params, body, caller, write }, { rules }) => ({ data: await rules.addVersion(params.id, body, caller, write) }),
  }),
  operation({
    operationId: 'retireRule',
    method: 'post',
    path: '/v1/rules/{id}/retirement',
    summary: 'Retire a rule (a last version of its own; only the party that set the rule may)',
    tag: 'Rules',
    allowed: setters,
    params: idParams,
    body: emptyBody.optional(),
    response: schemas.rule,
    audit: 'RetireRule',
    successStatus: 201,
    run: async ({ params, caller, write }, { rules }) => ({ data: await rules.retire(params.id, caller, write) }),
  }),
  operation({
    operationId: 'replayRules',
    method: 'post',
    path: '/v1/rules/replay',
    summary: 'Replay the stored evidence through the rule versions that were in force, and compare the alarms with the stored alarm log byte for byte',
    tag: 'Rules',
    allowed: custodian('supervisor', 'auditor'),
    body: emptyBody.optional(),
    response: schemas.replayResult,
    successStatus: 200,
    run: async (_input, { db }) => ({ data: await replay(db) }),
  }),
];
