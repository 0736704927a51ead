/** The rules engine's public surface: pure, deterministic, no I/O (docs/rules-engine.md). */
export { createEngine, replay, type Engine, type EngineCounters, type EngineState } from './engine.js';
export { alarmId } from './kernels.js';
export { alarmRecord, engineState, ruleVersion } from './state.js';
export type { AlarmChange, AlarmChangeType, AlarmRecord, AlarmState, AlarmStats, AlarmSubject, EngineInput, EvidenceRef, FactInput, ReadingInput, ReadingValue, RulesInput, TickInput } from './types.js';
