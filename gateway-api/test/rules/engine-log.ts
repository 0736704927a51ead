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

/**
 * A seeded cold-chain log: four freezers reporting every minute (random walk around −21 °C), warm excursions of 20 to
 * 90 min, readings held back and sent up to 3 min late, silences of 20 to 40 min, sequence gaps, and a tick every 50
 * readings. Two calls with the same seed give the same log.
 */
export function generatedLog(random: { next(): number; int(bound: number): number }, count: number, rules: readonly RuleVersion[]): EngineInput[] {
  const log = new Log().rules(...rules);
  const devices = ['dev-1', 'dev-2', 'dev-3', 'dev-4'].map((deviceId) => ({ deviceId, ts: t0, temp: -19, excursion: 0, seq: 0, held: [] as { ts: number; temp: number; seq: number; due: number }[] }));
  let emitted = 0;
  let step = 0;
  while (emitted < count) {
    const device = devices[step % devices.length];
    step++;
    if (device === undefined) continue;
    device.ts += minute;
    if (random.next() < 0.0005) device.ts += (20 + random.int(21)) * minute;
    if (device.excursion === 0 && random.next() < 0.002) device.excursion = 20 + random.int(71);
    const target = device.excursion > 0 ? -10 : -21;
    if (device.excursion > 0) device.excursion--;
    device.temp = Math.round((device.temp + (target - device.temp) * 0.2 + (random.next() - 0.5) * 0.6) * 100) / 100;
    let seqGapFrom: number | null = null;
    if (random.next() < 0.001) {
      seqGapFrom = device.seq + 1;
      device.seq += 3;
    }
    device.seq++;
    const due = device.held.filter((h) => h.due <= device.seq);
    device.held = device.held.filter((h) => h.due > device.seq);
    if (random.next() < 0.01 && seqGapFrom === null) device.held.push({ ts: device.ts, temp: device.temp, seq: device.seq, due: device.seq + 1 + random.int(3) });
    else {
      log.reading(device.ts, 'temperature', device.temp, { deviceId: device.deviceId, seq: device.seq, seqGapFrom });
      emitted++;
    }
    for (const h of due) {
      log.reading(h.ts, 'temperature', h.temp, { deviceId: device.deviceId, seq: h.seq });
      emitted++;
    }
    if (step % 50 === 0) log.tick(Math.max(...devices.map((d) => d.ts)) + 30_000);
  }
  return log.items;
}
