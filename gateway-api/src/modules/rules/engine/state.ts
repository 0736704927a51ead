import { z } from 'zod';
import { ruleDefinition, ruleKinds, severities, type RuleVersion } from '../definition.js';
import type { AlarmRecord } from './types.js';
import type { EngineState } from './engine.js';

/**
 * The schema of a persisted engine state: the loop stores `snapshot()` as JSON and parses it back here before
 * `createEngine`, so that a damaged or foreign row is refused instead of cast.
 */

const ref = z.strictObject({ evidenceId: z.string(), leafHash: z.string() });
const subject = z.strictObject({ deviceId: z.string().nullable(), lotId: z.string().nullable(), warehouseId: z.string() });
/** An alarm record as the engine makes it (the alarms module parses stored ones with it). */
export const alarmRecord: z.ZodType<AlarmRecord> = z.strictObject({
  id: z.string(),
  ruleId: z.string(),
  ruleVersion: z.number(),
  ruleHash: z.string(),
  kind: z.enum(ruleKinds),
  metric: z.string(),
  severity: z.enum(severities),
  subject,
  state: z.enum(['ACTIVE', 'CLEARED']),
  startedAt: z.string(),
  clearedAt: z.string().nullable(),
  stats: z.strictObject({ count: z.number(), min: z.number().nullable(), max: z.number().nullable(), mean: z.number().nullable(), mktC: z.number().optional(), outOfRangeMs: z.number() }),
  raisedBy: z.array(ref),
  clearedBy: z.array(ref),
  detail: z.string(),
});
const mark = z.strictObject({ ts: z.number(), e: z.string(), l: z.string() });
const acc = z.strictObject({ n: z.number(), c: z.number(), min: z.number().nullable(), max: z.number().nullable(), sum: z.number(), ek: z.number(), kn: z.number(), out: z.number() });
const kernel = z.strictObject({
  pTs: z.number().nullable(),
  pOut: z.boolean(),
  pend: mark.nullable(),
  subj: subject.nullable(),
  acc: acc.nullable(),
  clr: mark.nullable(),
  tacc: acc.nullable(),
  alarm: alarmRecord.nullable(),
  pv: z.number().nullable(),
  cells: z.record(z.string(), z.tuple([z.number(), z.number()])).nullable(),
  iv: z.array(z.tuple([z.number(), z.number()])).nullable(),
  ivSum: z.number(),
});
const sample = z.strictObject({
  ts: z.number(),
  pos: z.number(),
  e: z.string(),
  l: z.string(),
  v: z.union([z.number(), z.boolean(), z.tuple([z.number(), z.number()])]),
  u: z.string().nullable(),
  d: z.string(),
  lot: z.string().nullable(),
  wh: z.string(),
  q: z.number().nullable(),
});
const published = z.strictObject({ rec: alarmRecord, first: alarmRecord.nullable(), ts: z.number(), pos: z.number() });
/** A rule version as the engine takes it (the rules loop's input log parses stored ones with it). */
export const ruleVersion: z.ZodType<RuleVersion> = z.strictObject({
  ruleId: z.string(),
  version: z.number().int().positive(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  definition: ruleDefinition,
  owner: z.strictObject({ mspId: z.string(), userId: z.string() }),
  createdAt: z.string(),
  retired: z.boolean(),
});

/** Parses what `JSON.parse` gave back of a persisted `snapshot()`. */
export const engineState: z.ZodType<EngineState> = z.strictObject({
  format: z.literal('wr-rules-engine/1'),
  rules: z.array(ruleVersion),
  lots: z.array(z.tuple([z.string(), z.number()])),
  counters: z.strictObject({ tooLate: z.number().int().nonnegative(), invalid: z.number().int().nonnegative() }),
  streams: z.array(
    z.strictObject({ rule: z.string(), key: z.string(), wm: z.number().nullable(), baseTs: z.number().nullable(), basePos: z.number(), base: kernel, cur: kernel, buf: z.array(sample), pub: z.array(z.tuple([z.string(), published])) }),
  ),
  offline: z.array(
    z.strictObject({ rule: z.string(), key: z.string(), last: z.number(), lastE: z.string(), lastL: z.string(), subj: subject, alarm: alarmRecord.nullable(), cause: z.enum(['silence', 'sequence']).nullable() }),
  ),
});
