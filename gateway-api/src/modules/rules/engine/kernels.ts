import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import { polygon as turfPolygon } from '@turf/helpers';
import type { Feature, Polygon } from 'geojson';
import { jcs, sha256 } from '@wr/anchor';
import { DateTime, IANAZone } from 'luxon';
import { compare, defaultAllowedLatenessMs, defaultGapMs, minutesOfDay, type RuleDefinition, type RuleDefinitionOf, type RuleVersion } from '../definition.js';
import type { AlarmChange, AlarmRecord, AlarmStats, AlarmSubject, EvidenceRef } from './types.js';

/**
 * The per-stream evaluators. A stream's state (`KernelState`) is plain JSON so that it can be cloned for a re-fold and
 * persisted in a snapshot; a step mutates it in place and returns the one alarm change it caused, if any. Nothing here
 * reads a clock: every time is a reading's device time.
 */

/** One reading value as a stream sees it: already checked and normalised for its metric. */
export interface Sample {
  readonly ts: number;
  readonly pos: number;
  readonly e: string;
  readonly l: string;
  /** number (numeric metrics), boolean (door: open) or [lon, lat] (gps). */
  readonly v: number | boolean | readonly [number, number];
  readonly u: string | null;
  readonly d: string;
  readonly lot: string | null;
  readonly wh: string;
  /** stock-reconciliation: the lot's receipted quantity when the reading arrived, or null when none is known. */
  readonly q: number | null;
}

/** Start of a pending raise or clear. */
interface Mark {
  ts: number;
  e: string;
  l: string;
}

/** Running statistics of an episode. */
interface Acc {
  n: number;
  c: number;
  min: number | null;
  max: number | null;
  sum: number;
  ek: number;
  kn: number;
  out: number;
}

export interface KernelState {
  /** The previous reading's time, and whether it was in the raise region (for time out of range and gaps). */
  pTs: number | null;
  pOut: boolean;
  pend: Mark | null;
  subj: AlarmSubject | null;
  acc: Acc | null;
  clr: Mark | null;
  tacc: Acc | null;
  /** The open alarm as last published, or null. */
  alarm: AlarmRecord | null;
  /** rate-of-change: the previous value. */
  pv: number | null;
  /** stock-reconciliation: each load cell's latest [ts, value]. */
  cells: Record<string, [number, number]> | null;
  /** cumulative: out-of-range intervals [start, end] in the window, and the sum of their lengths. */
  iv: [number, number][] | null;
  ivSum: number;
}

const RAISE = 1;
const CLEAR = 2;
const BAND = 0;
const UNKNOWN = 3;
type Code = typeof RAISE | typeof CLEAR | typeof BAND | typeof UNKNOWN;

/** What the last classification derived, read by the step and the detail text (one object, no allocation per reading). */
const scratch = { val: null as number | null, x: 0, q: 0, tol: 0 };

type Classifier = (rule: CompiledRule, st: KernelState, s: Sample, gap: boolean) => Code;

/** A rule version prepared for evaluation. */
export interface CompiledRule {
  readonly version: RuleVersion;
  readonly def: RuleDefinition;
  readonly key: string;
  readonly lateness: number;
  readonly gapMs: number;
  readonly raiseFor: number;
  readonly clearFor: number;
  readonly mkt: boolean;
  readonly scopeField: 'warehouseId' | 'lotId' | 'commodity';
  readonly scopeValue: string;
  readonly classify: Classifier | null;
  readonly zone: IANAZone | null;
  /** door-schedule: for ISO weekday 1..7 (index 0 unused), the [from, to) minute ranges. */
  readonly hours: readonly (readonly [number, number])[][];
  readonly fence: Feature<Polygon> | null;
}

const units: Readonly<Record<string, string>> = { temperature: '°C', humidity: '%', weight: 'kg', battery: '%', shock: 'g', co2: 'ppm' };

const numberOf = (v: Sample['v']): number => (typeof v === 'number' ? v : Number.NaN);

function classifyValue(rule: CompiledRule, x: number): Code {
  const def = rule.def as RuleDefinitionOf<'threshold'>;
  if (compare(def.raise.op, x, def.raise.value)) return RAISE;
  return compare(def.clear.op, x, def.clear.value) ? CLEAR : BAND;
}

const classifyLevel: Classifier = (rule, _st, s) => {
  const v = numberOf(s.v);
  scratch.val = v;
  scratch.x = v;
  return classifyValue(rule, v);
};

const classifyRate: Classifier = (rule, st, s, gap) => {
  const v = numberOf(s.v);
  scratch.val = v;
  const previous = st.pv;
  const dt = st.pTs === null ? 0 : s.ts - st.pTs;
  st.pv = v;
  // No rate across a gap, from a first reading, or between two readings of the same instant.
  if (previous === null || gap || dt <= 0) return UNKNOWN;
  const rate = (Math.abs(v - previous) / dt) * (rule.def as RuleDefinitionOf<'rate-of-change'>).perMs;
  scratch.x = rate;
  return classifyValue(rule, rate);
};

const classifyStock: Classifier = (rule, st, s) => {
  const def = rule.def as RuleDefinitionOf<'stock-reconciliation'>;
  const cells = (st.cells ??= {});
  const cell = cells[s.d];
  if (cell === undefined) cells[s.d] = [s.ts, numberOf(s.v)];
  else {
    cell[0] = s.ts;
    cell[1] = numberOf(s.v);
  }
  let sum = 0;
  for (const id in cells) {
    const c = cells[id];
    if (c === undefined) continue;
    // A load cell silent for longer than gapMs makes the lot's total unknown, not lighter.
    if (s.ts - c[0] > rule.gapMs) {
      scratch.val = null;
      return UNKNOWN;
    }
    sum += c[1];
  }
  scratch.val = sum;
  scratch.x = sum;
  if (s.q === null) return UNKNOWN;
  const tol = Math.max(def.tolerance.ratio === undefined ? 0 : def.tolerance.ratio * s.q, def.tolerance.absolute ?? 0);
  scratch.q = s.q;
  scratch.tol = tol;
  return sum < s.q - tol ? RAISE : CLEAR;
};

const classifyDoor: Classifier = (rule, _st, s) => {
  scratch.val = null;
  if (s.v !== true) return CLEAR;
  const local = DateTime.fromMillis(s.ts, { zone: rule.zone ?? 'UTC' });
  const minutes = local.hour * 60 + local.minute;
  for (const range of rule.hours[local.weekday] ?? []) if (minutes >= range[0] && minutes < range[1]) return CLEAR;
  return RAISE;
};

const classifyFence: Classifier = (rule, _st, s) => {
  scratch.val = null;
  if (rule.fence === null || typeof s.v !== 'object') return UNKNOWN;
  return booleanPointInPolygon(s.v as [number, number], rule.fence) ? CLEAR : RAISE;
};

/** Prepares a rule version: defaults applied, zone and polygon built once. */
export function compileRule(version: RuleVersion): CompiledRule {
  const def = version.definition;
  const scope = def.scope;
  const scopeField = 'warehouseId' in scope ? 'warehouseId' : 'lotId' in scope ? 'lotId' : 'commodity';
  const scopeValue = 'warehouseId' in scope ? scope.warehouseId : 'lotId' in scope ? scope.lotId : scope.commodity;
  let raiseFor = 0;
  let clearFor = 0;
  let classify: Classifier | null = null;
  let zone: IANAZone | null = null;
  const hours: [number, number][][] = [[], [], [], [], [], [], [], []];
  let fence: Feature<Polygon> | null = null;
  switch (def.kind) {
    case 'threshold':
    case 'sustained':
      raiseFor = def.raise.forMs ?? 0;
      clearFor = def.clear.forMs ?? 0;
      classify = classifyLevel;
      break;
    case 'rate-of-change':
      raiseFor = def.raise.forMs ?? 0;
      clearFor = def.clear.forMs ?? 0;
      classify = classifyRate;
      break;
    case 'stock-reconciliation':
      raiseFor = def.forMs;
      clearFor = def.clearForMs ?? 0;
      classify = classifyStock;
      break;
    case 'door-schedule':
      raiseFor = def.forMs ?? 0;
      classify = classifyDoor;
      zone = IANAZone.create(def.timeZone);
      for (const entry of def.hours) for (const day of entry.days) hours[day]?.push([minutesOfDay(entry.from), minutesOfDay(entry.to)]);
      break;
    case 'geofence':
      raiseFor = def.forMs ?? 0;
      classify = classifyFence;
      fence = turfPolygon([def.polygon.map((p) => [p[0], p[1]])]);
      break;
    case 'cumulative':
    case 'offline':
      break;
  }
  return {
    version,
    def,
    key: `${version.ruleId}@${version.version}`,
    lateness: def.allowedLatenessMs ?? defaultAllowedLatenessMs,
    gapMs: def.gapMs ?? defaultGapMs,
    raiseFor,
    clearFor,
    mkt: def.metric === 'temperature',
    scopeField,
    scopeValue,
    classify,
    zone,
    hours,
    fence,
  };
}

export function initialState(): KernelState {
  return { pTs: null, pOut: false, pend: null, subj: null, acc: null, clr: null, tacc: null, alarm: null, pv: null, cells: null, iv: null, ivSum: 0 };
}

/** A deep copy of a stream state (plain JSON by construction). */
export function cloneState(st: KernelState): KernelState {
  return structuredClone(st);
}

const newAcc = (): Acc => ({ n: 0, c: 0, min: null, max: null, sum: 0, ek: 0, kn: 0, out: 0 });

function add(acc: Acc, val: number | null, mkt: boolean): void {
  acc.n++;
  if (val === null || !Number.isFinite(val)) return;
  acc.c++;
  acc.sum += val;
  if (acc.min === null || val < acc.min) acc.min = val;
  if (acc.max === null || val > acc.max) acc.max = val;
  if (mkt && val > -273.15) {
    acc.ek += Math.exp(-10000 / (val + 273.15));
    acc.kn++;
  }
}

function merge(into: Acc, from: Acc): void {
  into.n += from.n;
  into.c += from.c;
  into.sum += from.sum;
  if (from.min !== null && (into.min === null || from.min < into.min)) into.min = from.min;
  if (from.max !== null && (into.max === null || from.max > into.max)) into.max = from.max;
  into.ek += from.ek;
  into.kn += from.kn;
  into.out += from.out;
}

export function statsOf(acc: Acc | null, mkt: boolean): AlarmStats {
  if (acc === null) return { count: 0, min: null, max: null, mean: null, outOfRangeMs: 0 };
  const stats = { count: acc.n, min: acc.min, max: acc.max, mean: acc.c === 0 ? null : acc.sum / acc.c, outOfRangeMs: acc.out };
  // Mean kinetic temperature: ΔH/R / −ln(mean e^(−ΔH/RT)), in kelvin, back to °C.
  return mkt && acc.kn > 0 ? { ...stats, mktC: 10000 / -Math.log(acc.ek / acc.kn) - 273.15 } : stats;
}

/** ISO 8601 of a device time (UTC, no locale). */
export const iso = (ms: number): string => new Date(ms).toISOString();
const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100));
const mins = (ms: number): string => fmt(Math.round(ms / 6000) / 10);
const ref = (e: string, l: string): EvidenceRef => ({ evidenceId: e, leafHash: l });

/** The alarm id: `alm_` + the first 32 hex digits of SHA-256(JCS {ruleHash, subject, firstEvidenceId}). */
export function alarmId(ruleHash: string, subject: AlarmSubject, firstEvidenceId: string): string {
  return `alm_${sha256(Buffer.from(jcs({ ruleHash, subject, firstEvidenceId }), 'utf8')).toString('hex').slice(0, 32)}`;
}

export function subjectOf(rule: CompiledRule, s: { d: string; lot: string | null; wh: string }): AlarmSubject {
  return { deviceId: rule.def.kind === 'stock-reconciliation' ? null : s.d, lotId: s.lot, warehouseId: s.wh };
}

/** A new ACTIVE record. */
export function raisedRecord(rule: CompiledRule, subject: AlarmSubject, startedAt: number, raisedBy: EvidenceRef[], stats: AlarmStats, detail: string): AlarmRecord {
  const v = rule.version;
  const first = raisedBy[0];
  return {
    id: alarmId(v.hash, subject, first === undefined ? '' : first.evidenceId),
    ruleId: v.ruleId,
    ruleVersion: v.version,
    ruleHash: v.hash,
    kind: rule.def.kind,
    metric: rule.def.metric,
    severity: rule.def.severity,
    subject,
    state: 'ACTIVE',
    startedAt: iso(startedAt),
    clearedAt: null,
    stats,
    raisedBy,
    clearedBy: [],
    detail,
  };
}

/** The CLEARED version of a record (a new object: published records are never mutated). */
export function clearedRecord(alarm: AlarmRecord, clearedAt: number, clearedBy: EvidenceRef[], stats: AlarmStats, detail: string): AlarmRecord {
  return { ...alarm, state: 'CLEARED', clearedAt: iso(clearedAt), stats, clearedBy, detail };
}

function describe(rule: CompiledRule, raising: boolean, s: Sample, sinceTs: number): string {
  const def = rule.def;
  const unit = s.u ?? units[def.metric] ?? '';
  const u = unit === '' ? '' : ` ${unit}`;
  const took = mins(s.ts - sinceTs);
  switch (def.kind) {
    case 'threshold':
    case 'sustained': {
      const dir = def.raise.op === 'gt' || def.raise.op === 'gte' ? 'above' : 'below';
      return raising ? `${def.metric} ${fmt(scratch.x)}${u} ${dir} ${fmt(def.raise.value)} for ${took} min` : `${def.metric} back to ${fmt(scratch.x)}${u} (clear ${def.clear.op} ${fmt(def.clear.value)}) after ${took} min`;
    }
    case 'rate-of-change':
      return raising
        ? `${def.metric} changing ${fmt(scratch.x)}${u} per ${mins(def.perMs)} min, above ${fmt(def.raise.value)}, for ${took} min`
        : `${def.metric} rate back to ${fmt(scratch.x)}${u} per ${mins(def.perMs)} min after ${took} min`;
    case 'stock-reconciliation':
      return raising
        ? `measured ${def.metric} ${fmt(scratch.x)}${u} below receipted ${fmt(scratch.q)}${u} less tolerance ${fmt(scratch.tol)}${u} for ${took} min`
        : `measured ${def.metric} ${fmt(scratch.x)}${u} back within tolerance of receipted ${fmt(scratch.q)}${u} after ${took} min`;
    case 'door-schedule': {
      const local = DateTime.fromMillis(s.ts, { zone: rule.zone ?? 'UTC' }).toFormat('yyyy-LL-dd HH:mm');
      return raising ? `door open outside hours (${local} ${def.timeZone}) for ${took} min` : `door closed or within hours (${local} ${def.timeZone}) after ${took} min`;
    }
    case 'geofence': {
      const [lon, lat] = s.v as [number, number];
      return raising ? `position ${fmt(lat)}, ${fmt(lon)} outside the geofence for ${took} min` : `position ${fmt(lat)}, ${fmt(lon)} back inside the geofence after ${took} min`;
    }
    case 'cumulative':
    case 'offline':
      return '';
  }
}

/**
 * One reading of a level-like stream (threshold, sustained, rate-of-change, stock-reconciliation, door-schedule,
 * geofence): pending raise for `raiseFor`, active, pending clear for `clearFor`. A gap longer than `gapMs` before the
 * reading resets both pendings and adds no time out of range; an UNKNOWN reading does the same.
 */
export function stepLevel(rule: CompiledRule, st: KernelState, s: Sample): AlarmChange | null {
  const gap = st.pTs !== null && s.ts - st.pTs > rule.gapMs;
  if (gap) {
    st.pend = null;
    if (st.alarm === null) {
      st.acc = null;
      st.subj = null;
    } else if (st.clr !== null && st.tacc !== null && st.acc !== null) {
      merge(st.acc, st.tacc);
      st.clr = null;
      st.tacc = null;
    }
  }
  const code = (rule.classify as Classifier)(rule, st, s, gap);
  if (!gap && st.pOut && st.pTs !== null) {
    const target = st.tacc ?? st.acc;
    if (target !== null) target.out += s.ts - st.pTs;
  }
  st.pTs = s.ts;
  st.pOut = code === RAISE;
  const val = scratch.val;
  if (st.alarm === null) {
    if (code !== RAISE) {
      st.pend = null;
      st.acc = null;
      st.subj = null;
      return null;
    }
    if (st.pend === null || st.acc === null || st.subj === null) {
      st.pend = { ts: s.ts, e: s.e, l: s.l };
      st.subj = subjectOf(rule, s);
      st.acc = newAcc();
    }
    add(st.acc, val, rule.mkt);
    if (s.ts - st.pend.ts < rule.raiseFor) return null;
    const by = st.pend.e === s.e ? [ref(s.e, s.l)] : [ref(st.pend.e, st.pend.l), ref(s.e, s.l)];
    st.alarm = raisedRecord(rule, st.subj, st.pend.ts, by, statsOf(st.acc, rule.mkt), describe(rule, true, s, st.pend.ts));
    st.pend = null;
    return { type: 'raised', alarm: st.alarm };
  }
  const acc = (st.acc ??= newAcc());
  if (code !== CLEAR) {
    if (st.clr !== null && st.tacc !== null) merge(acc, st.tacc);
    st.clr = null;
    st.tacc = null;
    add(acc, val, rule.mkt);
    return null;
  }
  if (st.clr === null || st.tacc === null) {
    st.clr = { ts: s.ts, e: s.e, l: s.l };
    st.tacc = newAcc();
  }
  add(st.tacc, val, rule.mkt);
  if (s.ts - st.clr.ts < rule.clearFor) return null;
  const by = st.clr.e === s.e ? [ref(s.e, s.l)] : [ref(st.clr.e, st.clr.l), ref(s.e, s.l)];
  const started = Date.parse(st.alarm.startedAt);
  const cleared = clearedRecord(st.alarm, st.clr.ts, by, statsOf(acc, rule.mkt), describe(rule, false, s, started));
  st.alarm = null;
  st.acc = null;
  st.subj = null;
  st.clr = null;
  st.tacc = null;
  return { type: 'cleared', alarm: cleared };
}

/**
 * One reading of a cumulative stream: the time out of range (raise region) within the sliding window, counted only
 * between two readings not separated by a gap, raises once it reaches `budgetMs`; the alarm clears when the total is
 * back under budget and the value is in the clear region.
 */
export function stepCumulative(rule: CompiledRule, st: KernelState, s: Sample): AlarmChange | null {
  const def = rule.def as RuleDefinitionOf<'cumulative'>;
  const v = numberOf(s.v);
  const iv = (st.iv ??= []);
  const gap = st.pTs !== null && s.ts - st.pTs > rule.gapMs;
  if (!gap && st.pOut && st.pTs !== null) {
    const last = iv[iv.length - 1];
    if (last !== undefined && last[1] === st.pTs) last[1] = s.ts;
    else iv.push([st.pTs, s.ts]);
    st.ivSum += s.ts - st.pTs;
    if (st.acc !== null) st.acc.out += s.ts - st.pTs;
  }
  const lo = s.ts - def.windowMs;
  let head = iv[0];
  while (head !== undefined && head[1] <= lo) {
    st.ivSum -= head[1] - head[0];
    iv.shift();
    head = iv[0];
  }
  const total = head === undefined ? 0 : st.ivSum - Math.max(0, lo - head[0]);
  const out = compare(def.raise.op, v, def.raise.value);
  st.pTs = s.ts;
  st.pOut = out;
  const dir = def.raise.op === 'gt' || def.raise.op === 'gte' ? 'above' : 'below';
  if (st.alarm === null) {
    if (total < def.budgetMs) return null;
    const acc = newAcc();
    acc.out = total;
    add(acc, v, rule.mkt);
    st.acc = acc;
    const subject = subjectOf(rule, s);
    st.alarm = raisedRecord(rule, subject, s.ts, [ref(s.e, s.l)], statsOf(acc, rule.mkt), `${def.metric} ${dir} ${fmt(def.raise.value)} for ${mins(total)} min within ${mins(def.windowMs)} min (budget ${mins(def.budgetMs)} min)`);
    return { type: 'raised', alarm: st.alarm };
  }
  if (total < def.budgetMs && compare(def.clear.op, v, def.clear.value)) {
    const cleared = clearedRecord(st.alarm, s.ts, [ref(s.e, s.l)], statsOf(st.acc, rule.mkt), `${def.metric} ${dir} ${fmt(def.raise.value)} back under budget: ${mins(total)} min within ${mins(def.windowMs)} min`);
    st.alarm = null;
    st.acc = null;
    return { type: 'cleared', alarm: cleared };
  }
  add((st.acc ??= newAcc()), v, rule.mkt);
  return null;
}

/** The step of a windowed rule's kind. */
export function stepOf(rule: CompiledRule): (rule: CompiledRule, st: KernelState, s: Sample) => AlarmChange | null {
  return rule.def.kind === 'cumulative' ? stepCumulative : stepLevel;
}
