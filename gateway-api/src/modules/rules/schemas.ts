import { z } from 'zod';
import { refId } from '../../http/fields.js';
import { ruleDefinition } from './definition.js';

/** Request and response schemas of the rules module (the definition itself is definition.ts). */

export const exampleDefinition = {
  id: 'chilled-sustained-WH-QINGDAO-01',
  scope: { warehouseId: 'WH-QINGDAO-01' },
  kind: 'sustained',
  metric: 'temperature',
  severity: 'critical',
  raise: { op: 'gt', value: 4, forMs: 1800000 },
  clear: { op: 'lte', value: 3.5, forMs: 300000 },
};

export const ruleBody = ruleDefinition.openapi('RuleDefinition', { example: exampleDefinition });

export const exampleRule = {
  ruleId: 'chilled-sustained-WH-QINGDAO-01',
  version: 1,
  hash: '5d41402abc4b2a76b9719d911017c592ae2b7f10d1cb7a3ef6bd6ddc7e3a2c01',
  definition: exampleDefinition,
  owner: { mspId: 'CustodianMSP', userId: 'custodian.supervisor' },
  createdAt: '2026-11-20T02:00:00.000Z',
  retired: false,
  scope: { type: 'warehouse', value: 'WH-QINGDAO-01' },
  versions: 1,
};

const ruleVersionShape = {
  ruleId: z.string(),
  version: z.number().int(),
  hash: z.string().openapi({ description: "SHA-256 of the definition's JCS bytes: what alarms and ledger risk events cite" }),
  definition: z.record(z.string(), z.unknown()),
  owner: z.object({ mspId: z.string(), userId: z.string() }).openapi({ description: 'who set it: only this organisation may change or retire it' }),
  createdAt: z.string(),
  retired: z.boolean(),
  scope: z.object({ type: z.enum(['warehouse', 'lot', 'commodity']), value: z.string() }),
};

export const rule = z.object({ ...ruleVersionShape, versions: z.number().int() }).openapi('Rule', { example: exampleRule });

export const ruleList = z.array(rule).openapi('RuleList', { example: [exampleRule] });

export const ruleWithHistory = z
  .object({ ...ruleVersionShape, versions: z.number().int(), history: z.array(z.object(ruleVersionShape)) })
  .openapi('RuleWithHistory', { example: { ...exampleRule, history: [{ ...exampleRule, versions: undefined }] } });

export const ruleListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: refId.optional(),
});

export const replayResult = z
  .object({
    readings: z.number().int(),
    inputs: z.number().int(),
    changes: z.number().int(),
    storedChanges: z.number().int(),
    identical: z.boolean(),
    firstDifference: z.object({ index: z.number().int(), replayed: z.string().nullable(), stored: z.string().nullable() }).nullable(),
    digest: z.string(),
  })
  .openapi('RuleReplay', {
    example: { readings: 100000, inputs: 412, changes: 1840, storedChanges: 1840, identical: true, firstDifference: null, digest: '9f2c…' },
  });
