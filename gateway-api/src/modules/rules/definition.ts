import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { jcsBytes, sha256 } from '@wr/anchor';
import { IANAZone } from 'luxon';
import { z } from 'zod';

// zod 4 gives each schema its methods when it is made: `.openapi` (for the OpenAPI document) must be there first.
extendZodWithOpenApi(z);

/**
 * Rule definitions: the body of `POST /v1/rules` (docs/design.md section 9, docs/rules-engine.md).
 *
 * The schema has no defaults on purpose: what a client sent is what is hashed and stored, so `ruleHash` of the parsed
 * value equals `ruleHash` of the sent one. The engine applies the documented defaults (`defaultAllowedLatenessMs`,
 * `defaultGapMs`) itself.
 */

/** The reading kinds the product knows; a rule's `metric` is one of them. */
export const metrics = ['temperature', 'humidity', 'weight', 'door', 'gps', 'battery', 'shock', 'co2'] as const;
export type Metric = (typeof metrics)[number];

/** The severity ladder, lowest first. */
export const severities = ['info', 'warning', 'major', 'critical'] as const;
export type Severity = (typeof severities)[number];
/** A severity's place on the ladder (info 0 … critical 3), for comparisons such as "major or above". */
export const severityRank: Readonly<Record<Severity, number>> = { info: 0, warning: 1, major: 2, critical: 3 };

export const ruleKinds = ['threshold', 'sustained', 'cumulative', 'rate-of-change', 'stock-reconciliation', 'door-schedule', 'offline', 'geofence'] as const;
export type RuleKind = (typeof ruleKinds)[number];

/** Longest duration a rule may name (forMs, windowMs, …): 30 days. */
export const maxDurationMs = 30 * 24 * 60 * 60 * 1000;
/** Default `allowedLatenessMs`: how far behind a stream's watermark a reading may arrive and still be evaluated. */
export const defaultAllowedLatenessMs = 5 * 60 * 1000;
/** Default `gapMs`: a longer silence between two readings of a stream makes the state unknown. */
export const defaultGapMs = 15 * 60 * 1000;
/** Most positions a geofence ring may have, the closing one included. */
export const maxPolygonPositions = 1000;

const ruleIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const name = z.string().min(1).max(128);
const duration = z.number().int().positive().max(maxDurationMs);
const ops = ['gt', 'gte', 'lt', 'lte'] as const;
export type ComparisonOp = (typeof ops)[number];
const op = z.enum(ops);

/** Compares a value with a bound as a condition's op says. */
export function compare(which: ComparisonOp, value: number, bound: number): boolean {
  switch (which) {
    case 'gt':
      return value > bound;
    case 'gte':
      return value >= bound;
    case 'lt':
      return value < bound;
    case 'lte':
      return value <= bound;
  }
}

const condition = z.strictObject({ op, value: z.number(), forMs: duration.optional() });
const instantCondition = z.strictObject({ op, value: z.number() });
export type Condition = z.infer<typeof condition>;

const scope = z.union([
  z.strictObject({ warehouseId: name }),
  z.strictObject({ lotId: name }),
  z.strictObject({ commodity: name }),
]);
export type RuleScope = z.infer<typeof scope>;

const common = {
  id: z.string().regex(ruleIdPattern, 'a rule id is 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit'),
  scope,
  severity: z.enum(severities),
  title: z.string().min(1).max(200).optional(),
  allowedLatenessMs: z.number().int().nonnegative().max(maxDurationMs).optional(),
  gapMs: duration.optional(),
};
const metric = z.enum(metrics);

const hhmm = z.string().regex(/^(?:[01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/, 'a time of day is HH:MM, 00:00 to 24:00');
/** Minutes since local midnight of an `HH:MM` that passed the schema. */
export function minutesOfDay(time: string): number {
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}
const openingHours = z
  .strictObject({
    days: z.array(z.number().int().min(1).max(7)).min(1).max(7),
    from: hhmm,
    to: hhmm,
  })
  .superRefine((hours, ctx) => {
    if (new Set(hours.days).size !== hours.days.length) ctx.addIssue({ code: 'custom', path: ['days'], message: 'a weekday is listed twice' });
    if (minutesOfDay(hours.from) >= minutesOfDay(hours.to)) ctx.addIssue({ code: 'custom', path: ['to'], message: '`to` must be after `from` (split a night into two entries)' });
  });

const position = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]);

const threshold = z.strictObject({ ...common, kind: z.literal('threshold'), metric, raise: condition, clear: condition });
const sustained = z.strictObject({
  ...common,
  kind: z.literal('sustained'),
  metric,
  raise: z.strictObject({ op, value: z.number(), forMs: duration }),
  clear: condition,
});
const cumulative = z.strictObject({
  ...common,
  kind: z.literal('cumulative'),
  metric,
  raise: instantCondition,
  clear: instantCondition,
  windowMs: duration,
  budgetMs: duration,
});
const rateOfChange = z.strictObject({
  ...common,
  kind: z.literal('rate-of-change'),
  metric,
  raise: condition,
  clear: condition,
  perMs: duration,
});
const stockReconciliation = z.strictObject({
  ...common,
  kind: z.literal('stock-reconciliation'),
  metric: z.literal('weight'),
  tolerance: z
    .strictObject({ ratio: z.number().min(0).max(1).optional(), absolute: z.number().nonnegative().optional() })
    .refine((t) => t.ratio !== undefined || t.absolute !== undefined, 'give `ratio`, `absolute` or both'),
  forMs: duration,
  clearForMs: duration.optional(),
});
const doorSchedule = z.strictObject({
  ...common,
  kind: z.literal('door-schedule'),
  metric: z.literal('door'),
  timeZone: z.string().refine((zone) => IANAZone.isValidZone(zone), 'not an IANA time zone'),
  hours: z.array(openingHours).min(1).max(50),
  forMs: duration.optional(),
});
const offline = z
  .strictObject({ ...common, kind: z.literal('offline'), metric, forMs: duration.optional(), seqGap: z.boolean().optional() })
  .refine((rule) => rule.forMs !== undefined || rule.seqGap === true, { path: ['forMs'], message: 'an offline rule needs `forMs`, `seqGap: true` or both' });
const geofence = z.strictObject({
  ...common,
  kind: z.literal('geofence'),
  metric: z.literal('gps'),
  polygon: z
    .array(position)
    .min(4)
    .max(maxPolygonPositions)
    .superRefine((ring, ctx) => {
      const first = ring[0];
      const last = ring[ring.length - 1];
      if (first === undefined || last === undefined) return;
      if (first[0] !== last[0] || first[1] !== last[1]) ctx.addIssue({ code: 'custom', path: [ring.length - 1], message: 'the ring is not closed: the last position must equal the first' });
      if (new Set(ring.map((p) => `${p[0]},${p[1]}`)).size < 3) ctx.addIssue({ code: 'custom', message: 'a ring needs at least 3 distinct positions' });
    }),
  forMs: duration.optional(),
});

/** Why a raise/clear pair is refused, or null when the clear region is non-empty and disjoint from the raise region. */
export function hysteresisProblem(raise: { op: ComparisonOp; value: number }, clear: { op: ComparisonOp; value: number }): string | null {
  const up = raise.op === 'gt' || raise.op === 'gte';
  const clearUp = clear.op === 'gt' || clear.op === 'gte';
  if (up === clearUp) return `clear ${clear.op} ${clear.value} points the same way as raise ${raise.op} ${raise.value}: the alarm could never clear`;
  // Half-lines pointing opposite ways: disjoint iff the clear bound is on the far side of the raise bound (equal
  // bounds only when at least one side is strict).
  const strictTouch = raise.op === 'gt' || raise.op === 'lt' || clear.op === 'gt' || clear.op === 'lt';
  const disjoint = up ? clear.value < raise.value || (clear.value === raise.value && strictTouch) : clear.value > raise.value || (clear.value === raise.value && strictTouch);
  return disjoint ? null : `clear ${clear.op} ${clear.value} overlaps raise ${raise.op} ${raise.value}: a value would both raise and clear`;
}

/** The schema of a rule definition; issues carry paths (`raise.value`, `hours.0.to`, `polygon.12`, …). */
export const ruleDefinition = z
  .discriminatedUnion('kind', [threshold, sustained, cumulative, rateOfChange, stockReconciliation, doorSchedule, offline, geofence])
  .superRefine((rule, ctx) => {
    if (rule.kind === 'threshold' || rule.kind === 'sustained' || rule.kind === 'cumulative' || rule.kind === 'rate-of-change') {
      if (rule.metric === 'door' || rule.metric === 'gps') ctx.addIssue({ code: 'custom', path: ['metric'], message: `a ${rule.kind} rule needs a numeric metric, not ${rule.metric}` });
      const problem = hysteresisProblem(rule.raise, rule.clear);
      if (problem !== null) ctx.addIssue({ code: 'custom', path: ['clear'], message: problem });
    }
    if (rule.kind === 'rate-of-change') {
      // The rate is an absolute value: only "faster than" raises make sense.
      if (rule.raise.op !== 'gt' && rule.raise.op !== 'gte') ctx.addIssue({ code: 'custom', path: ['raise', 'op'], message: 'a rate-of-change rule raises on gt or gte' });
      if (rule.raise.value <= 0) ctx.addIssue({ code: 'custom', path: ['raise', 'value'], message: 'a rate-of-change bound is positive' });
    }
    if (rule.kind === 'cumulative' && rule.budgetMs > rule.windowMs) ctx.addIssue({ code: 'custom', path: ['budgetMs'], message: 'the budget cannot exceed the window' });
  });

/** A rule definition that passed `ruleDefinition`. */
export type RuleDefinition = z.infer<typeof ruleDefinition>;
export type RuleDefinitionOf<K extends RuleKind> = Extract<RuleDefinition, { kind: K }>;

/** The same value without `undefined` members, as JSON would carry it (a definition built in code may have them). */
function asJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asJson);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, asJson(v)]));
}

/** The content hash of a definition: SHA-256 of its RFC 8785 (JCS) bytes, 64 lowercase hex digits. */
export function ruleHash(definition: RuleDefinition): string {
  return sha256(jcsBytes(asJson(definition))).toString('hex');
}

/** One immutable version of a rule; editing a rule makes version n+1 and never rewrites what n raised. */
export interface RuleVersion {
  readonly ruleId: string;
  readonly version: number;
  readonly hash: string;
  readonly definition: RuleDefinition;
  readonly owner: { readonly mspId: string; readonly userId: string };
  readonly createdAt: string;
  readonly retired: boolean;
}
