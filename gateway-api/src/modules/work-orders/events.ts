import type { Queryable } from '../../db/database.js';
import { custodianMspId, lotAudience, type NewEvent } from '../events/outbox.js';
import type { EventType } from '../events/catalogue.js';
import type { HistoryAction, HistoryEntry } from './model.js';
import type { WorkOrderRecord } from './store.js';

const typeOf: Readonly<Record<HistoryAction, EventType>> = {
  create: 'work-order.created',
  assign: 'work-order.assigned',
  start: 'work-order.started',
  wait: 'work-order.waiting',
  resolve: 'work-order.resolved',
  close: 'work-order.closed',
  reopen: 'work-order.reopened',
  escalate: 'work-order.escalated',
};

/** The event of history entry `seq` of a work order, told to whoever sees the work order (its lot's parties). */
export async function workOrderEvent(tx: Queryable, order: WorkOrderRecord, seq: number, entry: HistoryEntry): Promise<NewEvent> {
  return {
    id: `work-order-${order.id}-${seq.toString()}`,
    type: typeOf[entry.action],
    occurredAt: new Date(entry.at),
    object: { type: 'work-order', id: order.id },
    audience: await lotAudience(tx, order.lotId, custodianMspId),
    data: {
      workOrder: {
        id: order.id,
        state: order.state,
        priority: order.priority,
        severity: order.severity,
        source: order.source,
        title: order.title,
        warehouseId: order.warehouseId,
        lotId: order.lotId,
        assignee: order.assignee,
      },
      entry: { seq, ...entry },
    },
  };
}
