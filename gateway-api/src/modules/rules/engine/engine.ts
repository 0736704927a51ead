import { jcs } from '@wr/anchor';
import type { RuleVersion } from '../definition.js';
import { clearedRecord, cloneState, compileRule, initialState, iso, raisedRecord, stepOf, type CompiledRule, type KernelState, type Sample } from './kernels.js';
import type { AlarmChange, AlarmRecord, AlarmSubject, EngineInput, FactInput, ReadingInput, RulesInput, TickInput } from './types.js';

/**
 * The evaluation engine: a pure fold over the input log (docs/rules-engine.md). Streams are per (rule version,
 * device), or per (rule version, lot) for stock-reconciliation; each follows device time with a watermark and an
 * allowed lateness. In order, a reading costs one step on the current state and, once it leaves the lateness window,
 * one step on the window's base state; a late reading is inserted in its place and the window is re-folded from the
 * base, and what the re-fold changed is published as `withdrawn`, `updated`, `raised` or `cleared`.
 */

/** The last published version of an alarm a re-fold could still change, and the reading that produced it. */
interface Published {
  rec: AlarmRecord;
  first: AlarmRecord | null;
  ts: number;
  pos: number;
}

interface WindowStream {
  /** deviceId, or lotId for stock-reconciliation. */
  readonly key: string;
  wm: number | null;
  baseTs: number | null;
  basePos: number;
  base: KernelState;
  cur: KernelState;
  buf: Sample[];
  pub: Map<string, Published>;
}

interface OfflineStream {
  readonly key: string;
  last: number;
  lastE: string;
  lastL: string;
  subj: AlarmSubject;
  alarm: AlarmRecord | null;
  /** What the open alarm is about: silence (forMs via ticks) or a sequence gap. */
  cause: 'silence' | 'sequence' | null;
}

interface Active {
  readonly rule: CompiledRule;
  readonly streams: Map<string, WindowStream>;
  readonly offline: Map<string, OfflineStream>;
}

/** A snapshot of the engine: plain JSON, to persist and to hand back to `createEngine` to resume. */
export interface EngineState {
  readonly format: 'wr-rules-engine/1';
  readonly rules: readonly RuleVersion[];
  /** Receipted quantity per lot, from `fact` inputs. */
  readonly lots: readonly (readonly [string, number])[];
  readonly counters: EngineCounters;
  readonly streams: readonly {
    readonly rule: string;
    readonly key: string;
    readonly wm: number | null;
    readonly baseTs: number | null;
    readonly basePos: number;
    readonly base: KernelState;
    readonly cur: KernelState;
    readonly buf: readonly Sample[];
    readonly pub: readonly (readonly [string, Published])[];
  }[];
  readonly offline: readonly (OfflineStream & { readonly rule: string })[];
}

export interface EngineCounters {
  /** Readings older than their stream's watermark minus the allowed lateness: counted, not evaluated. */
  tooLate: number;
  /** Values that do not fit their metric (a string temperature, a door "ajar"), envelopes with a bad time, bad facts. */
  invalid: number;
}

/** The engine: apply one input, get the alarm changes it caused; snapshot at any point. */
export interface Engine {
  /** The changes the input caused, in a deterministic order (an empty, frozen array when none). */
  apply(input: EngineInput): readonly AlarmChange[];
  /** A deep copy of the whole state. */
  snapshot(): EngineState;
  readonly counters: Readonly<EngineCounters>;
}

const none: readonly AlarmChange[] = Object.freeze([]);

/**
 * At most this many readings a stream holds within its lateness window; older ones are folded into the base state
 * early, and a reading older than the base is too late. Without it a device whose clock is stuck (or that sends
 * thousands of readings within the window) would grow the state, each snapshot and each re-fold without bound.
 */
export const MAX_BUFFERED = 1000;
const maxTime = 8.64e15;
const decimal = /^[0-9]+(?:\.[0-9]+)?$/;

/** Normalises a value for its metric, or returns undefined when it does not fit. */
function normalise(metric: string, value: unknown): Sample['v'] | undefined {
  switch (metric) {
    case 'door':
      if (value === true || value === 1 || value === 'open') return true;
      if (value === false || value === 0 || value === 'closed') return false;
      return undefined;
    case 'gps': {
      if (typeof value !== 'object' || value === null) return undefined;
      const lat: unknown = (value as { lat?: unknown }).lat;
      const lon: unknown = (value as { lon?: unknown }).lon;
      if (typeof lat !== 'number' || typeof lon !== 'number' || !(Math.abs(lat) <= 90) || !(Math.abs(lon) <= 180)) return undefined;
      return [lon, lat];
    }
    default:
      return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  }
}

class RuleEngine implements Engine {
  private rules: RuleVersion[] = [];
  private active: Active[] = [];
  private byMetric = new Map<string, Active[]>();
  private readonly lots = new Map<string, number>();
  readonly counters: EngineCounters = { tooLate: 0, invalid: 0 };
  private readonly out: AlarmChange[] = [];

  constructor(state?: EngineState) {
    if (state === undefined) return;
    if (state.format !== 'wr-rules-engine/1') throw new TypeError(`not an engine state: format ${String(state.format)}`);
    const copy = structuredClone(state);
    this.counters.tooLate = copy.counters.tooLate;
    this.counters.invalid = copy.counters.invalid;
    for (const [lot, quantity] of copy.lots) this.lots.set(lot, quantity);
    this.install(copy.rules);
    const byKey = new Map(this.active.map((a) => [a.rule.key, a]));
    for (const s of copy.streams) {
      byKey.get(s.rule)?.streams.set(s.key, { key: s.key, wm: s.wm, baseTs: s.baseTs, basePos: s.basePos, base: s.base, cur: s.cur, buf: [...s.buf], pub: new Map(s.pub) });
    }
    for (const o of copy.offline) {
      const { rule, ...stream } = o;
      byKey.get(rule)?.offline.set(o.key, stream);
    }
  }

  apply(input: EngineInput): readonly AlarmChange[] {
    switch (input.type) {
      case 'reading':
        this.reading(input);
        break;
      case 'tick':
        this.tick(input);
        break;
      case 'fact':
        this.fact(input);
        break;
      case 'rules':
        this.setRules(input);
        break;
    }
    if (this.out.length === 0) return none;
    const changes = this.out.slice();
    this.out.length = 0;
    return changes;
  }

  snapshot(): EngineState {
    const streams: EngineState['streams'][number][] = [];
    const offline: EngineState['offline'][number][] = [];
    for (const a of this.active) {
      for (const s of a.streams.values()) streams.push({ rule: a.rule.key, key: s.key, wm: s.wm, baseTs: s.baseTs, basePos: s.basePos, base: s.base, cur: s.cur, buf: s.buf, pub: [...s.pub] });
      for (const o of a.offline.values()) offline.push({ rule: a.rule.key, ...o });
    }
    return structuredClone({ format: 'wr-rules-engine/1', rules: this.rules, lots: [...this.lots], counters: this.counters, streams, offline });
  }

  private install(rules: readonly RuleVersion[]): void {
    this.rules = rules.filter((r) => !r.retired);
    this.active = this.rules.map((version) => ({ rule: compileRule(version), streams: new Map(), offline: new Map() }));
    this.index();
  }

  private index(): void {
    this.byMetric = new Map();
    for (const a of this.active) {
      const list = this.byMetric.get(a.rule.def.metric);
      if (list === undefined) this.byMetric.set(a.rule.def.metric, [a]);
      else list.push(a);
    }
  }

  private setRules(input: RulesInput): void {
    const next = input.rules.filter((r) => !r.retired);
    const kept = new Map(this.active.map((a) => [`${a.rule.key}#${a.rule.version.hash}`, a]));
    const active = next.map((version) => {
      const key = `${version.ruleId}@${version.version}#${version.hash}`;
      const existing = kept.get(key);
      kept.delete(key);
      return existing ?? { rule: compileRule(version), streams: new Map<string, WindowStream>(), offline: new Map<string, OfflineStream>() };
    });
    // A version no longer in force ends its open episodes: nothing would ever clear them.
    for (const gone of kept.values()) {
      for (const s of gone.streams.values()) {
        const open = s.cur.alarm;
        if (open !== null && s.wm !== null) this.out.push({ type: 'cleared', alarm: clearedRecord(open, s.wm, [], open.stats, `${open.detail}; ended: rule version no longer in force`) });
      }
      for (const o of gone.offline.values()) {
        if (o.alarm !== null) this.out.push({ type: 'cleared', alarm: clearedRecord(o.alarm, o.last, [], o.alarm.stats, `${o.alarm.detail}; ended: rule version no longer in force`) });
      }
    }
    this.rules = next;
    this.active = active;
    this.index();
  }

  private fact(input: FactInput): void {
    if (!decimal.test(input.receiptedQuantity)) {
      this.counters.invalid++;
      return;
    }
    this.lots.set(input.lotId, Number(input.receiptedQuantity));
  }

  private reading(r: ReadingInput): void {
    if (!Number.isInteger(r.ts) || Math.abs(r.ts) > maxTime) {
      this.counters.invalid++;
      return;
    }
    for (const value of r.readings) {
      const rules = this.byMetric.get(value.kind);
      if (rules === undefined) continue;
      let sample: Sample | null = null;
      let unfit = false;
      for (const a of rules) {
        const rule = a.rule;
        const scoped = rule.scopeField === 'warehouseId' ? r.warehouseId : rule.scopeField === 'lotId' ? r.lotId : r.commodity;
        if (scoped !== rule.scopeValue) continue;
        if (rule.def.kind === 'offline') {
          this.offlineReading(a, r);
          continue;
        }
        if (unfit) continue;
        if (sample === null) {
          const v = normalise(value.kind, value.value);
          if (v === undefined) {
            this.counters.invalid++;
            unfit = true;
            continue;
          }
          sample = { ts: r.ts, pos: r.position, e: r.evidenceId, l: r.leafHash, v, u: value.unit ?? null, d: r.deviceId, lot: r.lotId, wh: r.warehouseId, q: r.lotId === null ? null : (this.lots.get(r.lotId) ?? null) };
        }
        const key = rule.def.kind === 'stock-reconciliation' ? r.lotId : r.deviceId;
        if (key === null) continue;
        let stream = a.streams.get(key);
        if (stream === undefined) {
          stream = { key, wm: null, baseTs: null, basePos: -1, base: initialState(), cur: initialState(), buf: [], pub: new Map() };
          a.streams.set(key, stream);
        }
        this.ingest(rule, stream, sample);
      }
    }
  }

  private ingest(rule: CompiledRule, w: WindowStream, s: Sample): void {
    const step = stepOf(rule);
    if (w.wm === null || s.ts >= w.wm) {
      const change = step(rule, w.cur, s);
      if (change !== null) {
        this.out.push(change);
        w.pub.set(change.alarm.id, { rec: change.alarm, first: null, ts: s.ts, pos: s.pos });
      }
      w.buf.push(s);
      w.wm = s.ts;
      this.expire(rule, w, step);
      return;
    }
    if (s.ts < w.wm - rule.lateness || (w.baseTs !== null && s.ts < w.baseTs)) {
      this.counters.tooLate++;
      return;
    }
    // Late but within lateness: into its place by (device time, log position), then re-fold the window.
    let i = w.buf.length;
    while (i > 0) {
      const before = w.buf[i - 1];
      if (before === undefined || before.ts <= s.ts) break;
      i--;
    }
    w.buf.splice(i, 0, s);
    this.expire(rule, w, step);
    this.refold(rule, w, step);
  }

  /**
   * Folds the readings that left the lateness window into the base state, and the oldest beyond MAX_BUFFERED, and
   * forgets episodes they finished.
   */
  private expire(rule: CompiledRule, w: WindowStream, step: ReturnType<typeof stepOf>): void {
    const limit = (w.wm ?? 0) - rule.lateness;
    let head = w.buf[0];
    if (head === undefined || (head.ts >= limit && w.buf.length <= MAX_BUFFERED)) return;
    while (head !== undefined && (head.ts < limit || w.buf.length > MAX_BUFFERED)) {
      step(rule, w.base, head);
      w.baseTs = head.ts;
      w.basePos = head.pos;
      w.buf.shift();
      head = w.buf[0];
    }
    const baseTs = w.baseTs ?? 0;
    for (const [id, p] of w.pub) {
      if (p.rec.state === 'CLEARED' && (p.ts < baseTs || (p.ts === baseTs && p.pos <= w.basePos))) w.pub.delete(id);
    }
  }

  private refold(rule: CompiledRule, w: WindowStream, step: ReturnType<typeof stepOf>): void {
    const st = cloneState(w.base);
    const fresh = new Map<string, Published>();
    if (st.alarm !== null) fresh.set(st.alarm.id, { rec: st.alarm, first: null, ts: w.baseTs ?? 0, pos: w.basePos });
    for (const s of w.buf) {
      const change = step(rule, st, s);
      if (change === null) continue;
      const known = fresh.get(change.alarm.id);
      if (known === undefined) fresh.set(change.alarm.id, { rec: change.alarm, first: change.alarm, ts: s.ts, pos: s.pos });
      else {
        known.rec = change.alarm;
        known.ts = s.ts;
        known.pos = s.pos;
      }
    }
    for (const [id, old] of w.pub) if (!fresh.has(id)) this.out.push({ type: 'withdrawn', alarm: old.rec });
    for (const [id, now] of fresh) {
      const old = w.pub.get(id);
      if (old === undefined) {
        const first = now.first ?? now.rec;
        this.out.push({ type: 'raised', alarm: first });
        if (first !== now.rec) this.out.push({ type: now.rec.state === 'CLEARED' ? 'cleared' : 'updated', alarm: now.rec });
      } else if (old.rec !== now.rec && jcs(old.rec) !== jcs(now.rec)) {
        this.out.push({ type: old.rec.state === 'ACTIVE' && now.rec.state === 'CLEARED' ? 'cleared' : 'updated', alarm: now.rec });
      }
      now.first = null;
    }
    w.cur = st;
    w.pub = fresh;
  }

  private offlineReading(a: Active, r: ReadingInput): void {
    const rule = a.rule;
    const def = rule.def;
    if (def.kind !== 'offline') return;
    let o = a.offline.get(r.deviceId);
    const subj: AlarmSubject = o !== undefined && o.subj.lotId === r.lotId && o.subj.warehouseId === r.warehouseId ? o.subj : { deviceId: r.deviceId, lotId: r.lotId, warehouseId: r.warehouseId };
    if (o === undefined) {
      o = { key: r.deviceId, last: r.ts, lastE: r.evidenceId, lastL: r.leafHash, subj, alarm: null, cause: null };
      a.offline.set(r.deviceId, o);
    } else if (r.ts > o.last) {
      // Only a newer reading ends an episode, so the next one starts from a different last reading (a distinct id).
      if (o.alarm !== null) {
        const silent = r.ts - o.last;
        const stats = { ...o.alarm.stats, outOfRangeMs: o.cause === 'silence' ? silent : 0 };
        this.out.push({ type: 'cleared', alarm: clearedRecord(o.alarm, r.ts, [{ evidenceId: r.evidenceId, leafHash: r.leafHash }], stats, `${o.alarm.detail}; back at ${iso(r.ts)}`) });
        o.alarm = null;
        o.cause = null;
      }
      o.last = r.ts;
      o.lastE = r.evidenceId;
      o.lastL = r.leafHash;
      o.subj = subj;
    }
    if (def.seqGap === true && r.seqGapFrom !== null && o.alarm === null && r.seq > r.seqGapFrom) {
      const missing = r.seq - r.seqGapFrom;
      const detail = `sequence gap: ${missing} reading${missing === 1 ? '' : 's'} missing (seq ${r.seqGapFrom} to ${r.seq - 1})`;
      o.alarm = raisedRecord(rule, subj, r.ts, [{ evidenceId: r.evidenceId, leafHash: r.leafHash }], { count: 0, min: null, max: null, mean: null, outOfRangeMs: 0 }, detail);
      o.cause = 'sequence';
      this.out.push({ type: 'raised', alarm: o.alarm });
    }
  }

  private tick(t: TickInput): void {
    for (const a of this.active) {
      const def = a.rule.def;
      if (def.kind !== 'offline' || def.forMs === undefined) continue;
      for (const o of a.offline.values()) {
        if (o.alarm !== null || t.now - o.last < def.forMs) continue;
        const detail = `no ${def.metric} reading from ${o.key} since ${iso(o.last)} (${Math.round(def.forMs / 60000)} min)`;
        o.cause = 'silence';
        o.alarm = raisedRecord(a.rule, o.subj, o.last + def.forMs, [{ evidenceId: o.lastE, leafHash: o.lastL }], { count: 0, min: null, max: null, mean: null, outOfRangeMs: 0 }, detail);
        this.out.push({ type: 'raised', alarm: o.alarm });
      }
    }
  }
}

/** A new engine, or one resumed from a snapshot: it then gives the same output as an uninterrupted run. */
export function createEngine(state?: EngineState): Engine {
  return new RuleEngine(state);
}

/** Folds a whole input log; for replay checks and benchmarks. */
export function replay(inputs: Iterable<EngineInput>, state?: EngineState): { changes: AlarmChange[]; state: EngineState } {
  const engine = createEngine(state);
  const changes: AlarmChange[] = [];
  for (const input of inputs) for (const change of engine.apply(input)) changes.push(change);
  return { changes, state: engine.snapshot() };
}
