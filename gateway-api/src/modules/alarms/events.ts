import type { Queryable } from '../../db/database.js';
import type { EventType } from '../events/catalogue.js';
import { custodianMspId, lotAudience, type NewEvent } from '../events/outbox.js';
import type { AlarmChangeType, AlarmRecord } from '../rules/engine/index.js';

/** What an event tells of an alarm: who, what, where and when in device time (the bundle has the readings). */
export const alarmSummary = (alarm: AlarmRecord, state: string = alarm.state) => ({
  id: alarm.id,
  ruleId: alarm.ruleId,
  ruleVersion: alarm.ruleVersion,
  ruleHash: alarm.ruleHash,
  kind: alarm.kind,
  metric: alarm.metric,
  severity: alarm.severity,
  subject: alarm.subject,
  state,
  startedAt: alarm.startedAt,
  clearedAt: alarm.clearedAt,
  detail: alarm.detail,
});

/** The engine's changes people hear of: an episode beginning, ending, or found never to have happened (not `updated`). */
const changeTypes: Partial<Record<AlarmChangeType, EventType>> = { raised: 'alarm.raised', cleared: 'alarm.cleared', withdrawn: 'alarm.withdrawn' };

/** The event of change `seq` of the alarm log, if people hear of that kind of change. */
export async function alarmChangeEvent(tx: Queryable, seq: string, type: AlarmChangeType, alarm: AlarmRecord, at: Date): Promise<NewEvent | undefined> {
  const eventType = changeTypes[type];
  if (eventType === undefined) return undefined;
  return {
    id: `alarm-${alarm.id}-${seq}`,
    type: eventType,
    occurredAt: at,
    object: { type: 'alarm', id: alarm.id },
    audience: await lotAudience(tx, alarm.subject.lotId, custodianMspId),
    data: { alarm: alarmSummary(alarm, type === 'withdrawn' ? 'WITHDRAWN' : alarm.state) },
  };
}

/** The event of a person's action on an alarm (acknowledgement, shelving). */
export async function alarmActionEvent(
  tx: Queryable,
  action: { readonly type: 'alarm.acknowledged' | 'alarm.shelved'; readonly id: string; readonly at: Date; readonly details: Readonly<Record<string, unknown>> },
  alarm: AlarmRecord,
  state: string,
): Promise<NewEvent> {
  return {
    id: action.id,
    type: action.type,
    occurredAt: action.at,
    object: { type: 'alarm', id: alarm.id },
    audience: await lotAudience(tx, alarm.subject.lotId, custodianMspId),
    data: { alarm: alarmSummary(alarm, state), ...action.details },
  };
}
