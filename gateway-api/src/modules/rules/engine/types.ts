import type { RuleKind, RuleVersion, Severity } from '../definition.js';

/** One value of an envelope: its kind is what a rule's `metric` names. */
export interface ReadingValue {
  readonly kind: string;
  readonly value: unknown;
  readonly unit?: string;
}

/** One accepted device envelope: one device-time instant, possibly several values. */
export interface ReadingInput {
  readonly type: 'reading';
  readonly position: number;
  readonly evidenceId: string;
  readonly leafHash: string;
  readonly deviceId: string;
  readonly seq: number;
  readonly seqGapFrom: number | null;
  /** Device time, ms since the epoch. */
  readonly ts: number;
  readonly lotId: string | null;
  readonly warehouseId: string;
  readonly commodity: string | null;
  readonly readings: readonly ReadingValue[];
}

/** Wall-clock time, entered explicitly: the only clock the engine knows (for `offline`). */
export interface TickInput {
  readonly type: 'tick';
  readonly position: number;
  readonly now: number;
}

/** The quantity receipted on a lot (a decimal string), for `stock-reconciliation`. */
export interface FactInput {
  readonly type: 'fact';
  readonly position: number;
  readonly lotId: string;
  readonly receiptedQuantity: string;
}

/** The whole set of rule versions in force from this position on (retired ones are ignored). */
export interface RulesInput {
  readonly type: 'rules';
  readonly position: number;
  readonly rules: readonly RuleVersion[];
}

/** One item of the engine's totally ordered input log. */
export type EngineInput = ReadingInput | TickInput | FactInput | RulesInput;

export interface EvidenceRef {
  readonly evidenceId: string;
  readonly leafHash: string;
}

export interface AlarmSubject {
  readonly deviceId: string | null;
  readonly lotId: string | null;
  readonly warehouseId: string;
}

/**
 * Statistics of an episode's readings from `startedAt` up to (not including) the first clearing reading. min, max and
 * mean are null when the metric has no numeric value (door, gps) or the episode has no reading (offline).
 */
export interface AlarmStats {
  readonly count: number;
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number | null;
  /** Mean kinetic temperature, °C, ΔH/R = 10000 K; temperature only. */
  readonly mktC?: number;
  readonly outOfRangeMs: number;
}

export type AlarmState = 'ACTIVE' | 'CLEARED';

/** The engine's record of one alarm episode; every field derives from the input log, none from a clock. */
export interface AlarmRecord {
  /** `alm_` + the first 32 hex digits of SHA-256(JCS {ruleHash, subject, firstEvidenceId}). */
  readonly id: string;
  readonly ruleId: string;
  readonly ruleVersion: number;
  readonly ruleHash: string;
  readonly kind: RuleKind;
  readonly metric: string;
  readonly severity: Severity;
  readonly subject: AlarmSubject;
  readonly state: AlarmState;
  /** ISO 8601, device time. */
  readonly startedAt: string;
  readonly clearedAt: string | null;
  readonly stats: AlarmStats;
  /** The reading(s) that raised it; the first is the first triggering reading. */
  readonly raisedBy: readonly EvidenceRef[];
  readonly clearedBy: readonly EvidenceRef[];
  readonly detail: string;
}

export type AlarmChangeType = 'raised' | 'updated' | 'cleared' | 'withdrawn';

/** One change of an alarm, carrying its whole record as it now stands (for `withdrawn`: as it stood). */
export interface AlarmChange {
  readonly type: AlarmChangeType;
  readonly alarm: AlarmRecord;
}
