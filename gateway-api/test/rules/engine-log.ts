import { ruleDefinition, ruleHash, type RuleVersion } from '../../src/modules/rules/definition.js';
import type { AlarmChange, AlarmRecord, EngineInput } from '../../src/modules/rules/engine/index.js';

/** Test helpers: rule versions from plain definitions, and an input log that numbers its positions. */

export const minute = 60_000;
export const t0 = Date.parse('2026-03-02T00:00:00.000Z');

/** Version 1 (or `version`) of a definition, parsed as the rules module would. */
export function versionOf(definition: unknown, version = 1): RuleVersion {
  const parsed = ruleDefinition.parse(definition);
  return { ruleId: parsed.id, version, hash: ruleHash(parsed), definition: parsed, owner: { mspId: 'Org1MSP', userId: 'supervisor' }, createdAt: '2026-03-01T00:00:00.000Z', retired: false };
}

export interface ReadingOptions {
  readonly deviceId?: string;
  readonly lotId?: string | null;
  readonly seq?: number;
  readonly seqGapFrom?: number | null;
  readonly unit?: string;
}

export class Log {
  readonly items: EngineInput[] = [];
  private position = 0;
  private readonly seqs = new Map<string, number>();

  rules(...rules: RuleVersion[]): this {
    this.items.push({ type: 'rules', position: this.position++, rules });
    return this;
  }

  reading(ts: number, kind: string, value: unknown, options: ReadingOptions = {}): this {
    const deviceId = options.deviceId ?? 'dev-1';
    const seq = options.seq ?? (this.seqs.get(deviceId) ?? 0) + 1;
    this.seqs.set(deviceId, seq);
    const position = this.position++;
    const readings = [options.unit === undefined ? { kind, value } : { kind, value, unit: options.unit }];
    this.items.push({ type: 'reading', position, evidenceId: `ev-${deviceId}-${seq}-${position}`, leafHash: `0x${position.toString(16).padStart(64, '0')}`, deviceId, seq, seqGapFrom: options.seqGapFrom ?? null, ts, lotId: options.lotId === undefined ? 'LOT-1' : options.lotId, warehouseId: 'WH-1', commodity: 'frozen shrimp', readings });
    return this;
  }

  tick(now: number): this {
    this.items.push({ type: 'tick', position: this.position++, now });
    return this;
  }

  fact(lotId: string, receiptedQuantity: string): this {
    this.items.push({ type: 'fact', position: this.position++, lotId, receiptedQuantity });
    return this;
  }
}

/** The alarms a change log leaves standing: the last record of every id, withdrawn ones removed. */
export function finalAlarms(changes: readonly AlarmChange[]): Map<string, AlarmRecord> {
  const alarms = new Map<string, AlarmRecord>();
  for (const change of changes) {
    if (change.type === 'withdrawn') alarms.delete(change.alarm.id);
    else alarms.set(change.alarm.id, change.alarm);
  }
  return new Map([...alarms].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export const scope = { warehouseId: 'WH-1' } as const;
