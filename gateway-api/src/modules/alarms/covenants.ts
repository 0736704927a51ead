import { Quantity } from '@wr/chaincode/quantity';
import type { Logger } from 'pino';
import type { Database } from '../../db/database.js';
import { LedgerError } from '../../ledger/errors.js';
import type { Identity } from '../../ledger/port.js';
import type { Clock } from '../../platform/clock.js';
import type { StepOutcome } from '../../platform/loop.js';
import type { ReceiptRegistry } from '../../registry/receipt-registry.js';
import type { AlarmRecord } from '../rules/engine/index.js';
import { evidenceRootOf } from './alarms.js';
import { alarmStore, type AlarmAction } from './store.js';

/**
 * The ledger side of alarms (docs/supervision.md, "Risk on the ledger"): an alarm of severity major or above on a lot
 * with live receipts is recorded with RecordRiskEvent (a critical one puts the custodian's hold on the lot's receipts);
 * a stock-reconciliation shortfall is recorded through the stock-count path (RecordStockCount), which holds the lot's
 * receipts and caps new receipts at the measured stock. Each action is done at least once; the ledger makes it once.
 */

/** Ledger refusals that retrying does not change: the action is given up and its error kept. */
const permanent = new Set(['NOT_FOUND', 'FORBIDDEN', 'INVALID_STATE', 'INVALID_ARGUMENT', 'ACCESS_DENIED', 'FROZEN', 'OVER_ISSUE']);

/** The ledger risk event of an alarm: its id derives from the alarm's, so a second submission is ALREADY_EXISTS. */
export const riskEventIdOf = (alarmId: string): string => `alarm-${alarmId}`;

/** The stock count's reference: names the alarm and its evidence, and tells a recorded count from one still owed. */
export const stockCountReferenceOf = (alarm: AlarmRecord): string => `alarm:${alarm.id} root:${evidenceRootOf(alarm)}`;

/** A risk kind code for an alarm's rule kind (ALARM_SUSTAINED, ALARM_DOOR_SCHEDULE, …). */
export const riskKindOf = (alarm: AlarmRecord): string => `ALARM_${alarm.kind.toUpperCase().replace(/-/g, '_')}`;

export interface CovenantOptions {
  readonly db: Database;
  readonly registry: ReceiptRegistry;
  readonly identity: () => Promise<Identity>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The measured quantity a stock-reconciliation alarm counted. */
  readonly measuredOf: (alarm: AlarmRecord) => string;
}

/** One step of the covenant worker: the pending actions, oldest first. */
export function covenantStep(options: CovenantOptions): () => Promise<StepOutcome> {
  const { db, registry, clock } = options;

  async function perform(action: AlarmAction): Promise<{ status: 'done' | 'skipped' | 'failed'; txId?: string; error?: string }> {
    const store = alarmStore(db);
    const alarm = await store.get(action.alarmId);
    if (alarm === undefined) return { status: 'failed', error: `alarm ${action.alarmId} is missing` };
    const record = alarm.record;
    const lotId = record.subject.lotId;
    if (lotId === null) return { status: 'skipped', error: 'the alarm concerns no lot' };
    const who = await options.identity();
    // The ledger, not the projection, says whether the lot has receipts: a pledge accepted a moment ago may not be
    // projected yet, and an alarm on it must still reach the ledger.
    const lot = await registry.getLot(who, lotId);
    if (Quantity.parse(lot.receiptedQuantity).isZero()) return { status: 'skipped', error: `lot ${lotId} has no live receipts` };
    if (action.action === 'risk-event') {
      const committed = await registry.recordRiskEvent(who, {
        id: riskEventIdOf(record.id),
        lotId,
        kind: riskKindOf(record),
        severity: record.severity,
        detail: record.detail.slice(0, 1000),
        evidenceRef: `alarm:${record.id}`,
        alarm: { alarmId: record.id, ruleHash: record.ruleHash, evidenceRoot: evidenceRootOf(record) },
      });
      return { status: 'done', txId: committed.txId };
    }
    const reference = stockCountReferenceOf(record);
    // A count recorded before a crash cut this short is not recorded again (a second count would raise a second shortfall).
    if (lot.lastCount?.reference === reference) return { status: 'done' };
    const committed = await registry.recordStockCount(who, lotId, options.measuredOf(record), reference);
    return { status: 'done', txId: committed.txId };
  }

  return async () => {
    const pending = await alarmStore(db).pendingActions(20);
    for (const action of pending) {
      let outcome: Awaited<ReturnType<typeof perform>>;
      try {
        outcome = await perform(action);
      } catch (error) {
        if (error instanceof LedgerError && error.code === 'ALREADY_EXISTS') {
          outcome = { status: 'done' };
        } else if (error instanceof LedgerError && permanent.has(error.code)) {
          outcome = { status: 'failed', error: `${error.code}: ${error.message}` };
          options.logger.error({ err: error, alarmId: action.alarmId, action: action.action }, 'the ledger refused an alarm action');
        } else {
          await alarmStore(db).noteFailure(action.alarmId, action.action, error instanceof Error ? error.message : String(error));
          throw error;
        }
      }
      await alarmStore(db).finishAction(action.alarmId, action.action, outcome, clock.now());
    }
    return pending.length === 20 ? 'more' : 'idle';
  };
}
