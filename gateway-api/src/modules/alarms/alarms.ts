import { buildTree, toHex, type EvidenceBundle } from '@wr/anchor';
import { Buffer } from 'node:buffer';
import type { Database, Queryable } from '../../db/database.js';
import type { Caller } from '../../http/auth.js';
import type { Clock } from '../../platform/clock.js';
import type { WriteContext } from '../../platform/write.js';
import { viewerOf } from '../access.js';
import { EvidenceError } from '../errors.js';
import type { AlarmChange, AlarmRecord } from '../rules/engine/index.js';
import { severityRank } from '../rules/definition.js';
import type { AlarmWorkOrder } from '../work-orders/index.js';
import { alarmStore, type AlarmFilter, type StoredAlarm } from './store.js';

/** The format of GET /v1/alarms/{id}/bundle: the alarm, and every reading that raised or cleared it with its proof. */
export const ALARM_BUNDLE_FORMAT = 'wr-alarm-bundle/1';

/** An alarm as the API shows it. */
export interface AlarmView extends AlarmRecord {
  /** ACTIVE (also while a cleared critical alarm is latched), CLEARED, or WITHDRAWN (late readings showed it never happened). */
  readonly status: 'ACTIVE' | 'CLEARED' | 'WITHDRAWN';
  readonly latched: boolean;
  readonly acknowledgement: 'ACK' | 'UNACK';
  readonly acknowledged: { readonly by: string; readonly at: string; readonly note: string | null } | null;
  /** Set while shelved: until when, by whom and why. */
  readonly shelved: { readonly by: string; readonly until: string; readonly reason: string | null } | null;
  readonly raisedAt: string;
  readonly updatedAt: string;
  /** What the alarm owes the ledger, and how far that got. */
  readonly ledger: readonly { readonly action: string; readonly status: string; readonly txId: string | null; readonly lastError: string | null }[];
}

export interface AlarmBundle {
  readonly format: typeof ALARM_BUNDLE_FORMAT;
  readonly alarm: AlarmRecord;
  /** The RFC 6962 root over the leaf hashes of the readings that raised it, as its ledger risk event cites it. */
  readonly evidenceRoot: string;
  readonly evidence: readonly EvidenceBundle[];
}

export interface AlarmsOptions {
  readonly db: Database;
  readonly clock: Clock;
  /** The wr-evidence-bundle/1 of a reading; NOT_YET_ANCHORED until it is. */
  readonly evidenceBundle: (evidenceId: string) => Promise<EvidenceBundle>;
  /** Raises the work order of an alarm episode, once, in the caller's transaction. */
  readonly raiseWorkOrder?: (tx: Queryable, order: AlarmWorkOrder) => Promise<void>;
}

export interface Alarms {
  /** Records the engine's changes in the evaluation loop's transaction: alarms, their log, ledger actions, work orders. */
  record(tx: Queryable, changes: readonly AlarmChange[], leafCursor: number): Promise<void>;
  list(caller: Caller, filter: AlarmFilter): Promise<{ readonly items: AlarmView[]; readonly next: string | null }>;
  /** ALARM_NOT_FOUND when there is none or the caller may not see it. */
  get(id: string, caller: Caller): Promise<AlarmView>;
  acknowledge(id: string, note: string | undefined, caller: Caller, context: WriteContext): Promise<AlarmView>;
  shelve(id: string, shelving: { readonly forMs: number; readonly reason?: string | undefined }, caller: Caller, context: WriteContext): Promise<AlarmView>;
  bundle(id: string, caller: Caller): Promise<AlarmBundle>;
}

/** Alarms of this severity and above on a lot with live receipts are recorded on the ledger. */
const LEDGER_SEVERITY = severityRank.major;
/** Alarms of this severity and above raise a work order. */
const WORK_ORDER_SEVERITY = severityRank.warning;

/** Whether recording this change owes the ledger an action (a risk event or a stock count). */
export function owesLedger(change: AlarmChange): boolean {
  return change.type === 'raised' && severityRank[change.alarm.severity] >= LEDGER_SEVERITY && change.alarm.subject.lotId !== null;
}

/** The RFC 6962 root over the leaf hashes of the readings that raised an alarm (0x-prefixed hex). */
export function evidenceRootOf(alarm: AlarmRecord): string {
  return toHex(buildTree(alarm.raisedBy.map((reading) => Buffer.from(reading.leafHash, 'hex'))).root);
}

export function alarms(options: AlarmsOptions): Alarms {
  const { db, clock } = options;

  const view = async (alarm: StoredAlarm, tx: Queryable = db): Promise<AlarmView> => {
    const now = clock.now();
    const latched = alarm.engineState === 'CLEARED' && alarm.record.severity === 'critical' && alarm.acked === null;
    const shelved = alarm.shelved !== null && alarm.shelved.until > now ? alarm.shelved : null;
    return {
      ...alarm.record,
      status: latched ? 'ACTIVE' : alarm.engineState,
      latched,
      acknowledgement: alarm.acked === null ? 'UNACK' : 'ACK',
      acknowledged: alarm.acked === null ? null : { by: alarm.acked.by, at: alarm.acked.at.toISOString(), note: alarm.acked.note },
      shelved: shelved === null ? null : { by: shelved.by, until: shelved.until.toISOString(), reason: shelved.reason },
      raisedAt: alarm.raisedAt.toISOString(),
      updatedAt: alarm.updatedAt.toISOString(),
      ledger: (await alarmStore(tx).actions(alarm.id)).map(({ action, status, txId, lastError }) => ({ action, status, txId, lastError })),
    };
  };

  const visible = async (id: string, caller: Caller, tx: Queryable = db): Promise<StoredAlarm> => {
    const found = await alarmStore(tx).visible(id, viewerOf(caller));
    if (found === undefined) throw new EvidenceError('ALARM_NOT_FOUND', `no alarm ${id}`);
    return found;
  };

  return {
    async record(tx, changes, leafCursor) {
      if (changes.length === 0) return;
      const now = clock.now();
      const store = alarmStore(tx);
      await store.applyChanges(changes, leafCursor, now);
      for (const change of changes) {
        if (change.type !== 'raised') continue;
        const alarm = change.alarm;
        const rank = severityRank[alarm.severity];
        if (owesLedger(change) && alarm.subject.lotId !== null) {
          await store.addAction(alarm.id, alarm.kind === 'stock-reconciliation' ? 'stock-count' : 'risk-event', { lotId: alarm.subject.lotId }, now);
        }
        if (rank >= WORK_ORDER_SEVERITY) {
          await options.raiseWorkOrder?.(tx, {
            alarmId: alarm.id,
            severity: alarm.severity,
            title: alarm.detail.slice(0, 200),
            description: `${alarm.detail} (rule ${alarm.ruleId} v${alarm.ruleVersion.toString()}, alarm ${alarm.id})`,
            warehouseId: alarm.subject.warehouseId,
            ...(alarm.subject.lotId === null ? {} : { lotId: alarm.subject.lotId }),
          });
        }
      }
    },

    async list(caller, filter) {
      const found = await alarmStore(db).list(viewerOf(caller), { ...filter, limit: filter.limit + 1 });
      const page = found.slice(0, filter.limit);
      const items: AlarmView[] = [];
      for (const alarm of page) items.push(await view(alarm));
      return { items, next: found.length > filter.limit ? (page.at(-1)?.id ?? null) : null };
    },

    async get(id, caller) {
      return view(await visible(id, caller));
    },

    async acknowledge(id, note, caller, context) {
      await visible(id, caller);
      return db.transaction(async (tx) => {
        const store = alarmStore(tx);
        const alarm = await store.lock(id);
        if (alarm === undefined) throw new EvidenceError('ALARM_NOT_FOUND', `no alarm ${id}`);
        if (alarm.acked !== null) throw new EvidenceError('ALARM_ALREADY_ACKNOWLEDGED', `alarm ${id} was acknowledged by ${alarm.acked.by} at ${alarm.acked.at.toISOString()}`);
        const acked = await store.acknowledge(id, caller.id, note ?? null, clock.now());
        await context.record(tx);
        return view(acked, tx);
      });
    },

    async shelve(id, { forMs, reason }, caller, context) {
      await visible(id, caller);
      return db.transaction(async (tx) => {
        const store = alarmStore(tx);
        const alarm = await store.lock(id);
        if (alarm === undefined) throw new EvidenceError('ALARM_NOT_FOUND', `no alarm ${id}`);
        if (alarm.record.severity === 'critical') throw new EvidenceError('ALARM_NOT_SHELVABLE', `alarm ${id} is critical: critical alarms are never shelved`);
        if (alarm.engineState !== 'ACTIVE') throw new EvidenceError('ALARM_NOT_ACTIVE', `alarm ${id} is ${alarm.engineState}: only an active alarm is shelved`);
        const now = clock.now();
        const shelved = await store.shelve(id, caller.id, new Date(now.getTime() + forMs), reason ?? null, now);
        await context.record(tx);
        return view(shelved, tx);
      });
    },

    async bundle(id, caller) {
      const alarm = await visible(id, caller);
      const readings = [...alarm.record.raisedBy, ...alarm.record.clearedBy];
      const ids = [...new Set(readings.map((reading) => reading.evidenceId))];
      const evidence: EvidenceBundle[] = [];
      for (const evidenceId of ids) {
        try {
          evidence.push(await options.evidenceBundle(evidenceId));
        } catch (error) {
          if (error instanceof EvidenceError && error.code === 'NOT_YET_ANCHORED') {
            throw new EvidenceError('NOT_YET_ANCHORED', `alarm ${id}: evidence ${evidenceId} is not anchored yet; try again after the next checkpoint`);
          }
          throw error;
        }
      }
      return { format: ALARM_BUNDLE_FORMAT, alarm: alarm.record, evidenceRoot: evidenceRootOf(alarm.record), evidence };
    },
  };
}
