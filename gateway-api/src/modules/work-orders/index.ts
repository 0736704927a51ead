import { serve } from '../../http/operation.js';
import { startLoop } from '../../platform/loop.js';
import { defineModule, type GatewayModule } from '../../platform/module.js';
import { defaultCalendar, type Calendar } from './calendar.js';
import { operations } from './operations.js';
import { defaultPolicy, type SlaPolicy } from './sla.js';
import { workOrders as workOrderService, type WorkOrdersApi } from './work-orders.js';

export { addWorkingMs, alwaysCalendar, calendarSchema, defaultCalendar, isWorkingDay, workingMs, type Calendar, type WorkingSpan } from './calendar.js';
export { workOrderErrorCodes, WorkOrderError, type WorkOrderErrorCode } from './errors.js';
export { priorityOfSeverity, transitions, workOrderStates, type HistoryEntry, type Priority, type Severity, type WorkOrderState } from './model.js';
export { occurrences, type DayRule, type ScheduleDefinition } from './schedules.js';
export { defaultPolicy, dueEscalations, slaOf, type ClockReading, type EscalationStep, type Sla, type SlaGoal, type SlaPolicy } from './sla.js';
export { type Viewer } from '../receipts/index.js';
export { type AlarmWorkOrder, type WorkOrder, type WorkOrdersApi } from './work-orders.js';
export { operations as workOrderOperations } from './operations.js';

declare module '../../platform/module.js' {
  interface ModuleApis {
    'work-orders': WorkOrdersApi;
  }
}

export interface WorkOrdersOptions {
  /** Working hours and holidays the SLA clocks and the schedules' day rules count with. Default: {@link defaultCalendar}. */
  readonly calendar?: Calendar;
  /** Goals per priority and the escalation ladder. Default: {@link defaultPolicy}. */
  readonly policy?: SlaPolicy;
  /** How often the loop looks for due schedule occurrences and escalation steps. Default: one minute. */
  readonly intervalMs?: number;
}

/** The work-orders module with its calendar and policy (tests and deployments with their own holidays). */
export function workOrdersModuleWith(options: WorkOrdersOptions = {}): GatewayModule<'work-orders'> {
  const calendar = options.calendar ?? defaultCalendar;
  const policy = options.policy ?? defaultPolicy;
  return defineModule('work-orders', { migrations: ['009_work_orders_init'] }, (ctx) => {
    const workOrders = workOrderService(ctx.db, ctx.clock, { calendar, policy });
    // One loop raises scheduled work orders and appends escalation steps; both are safe to run on several gateways
    // at once (row locks and unique indexes), so it needs no lease.
    const loop = startLoop({
      name: 'work-orders',
      clock: ctx.clock,
      idleMs: options.intervalMs ?? 60_000,
      backoff: { initialMs: 1_000, maxMs: 60_000 },
      step: async () => {
        await workOrders.raiseScheduled();
        await workOrders.escalate();
        return 'idle';
      },
      onError: (error, failure) => ctx.logger.error({ err: error, failure }, 'work-order loop failed'),
    });
    return {
      operations: serve(operations, { workOrders, calendar, clock: ctx.clock }),
      api: { raiseForAlarm: (tx, alarm, context) => workOrders.raiseForAlarm(tx, alarm, context) },
      health: () => {
        const status = loop.status();
        return Promise.resolve({ workOrders: { status: status.state === 'failing' ? 'degraded' : 'up', loop: status.state, lastError: status.lastError ?? null } });
      },
      stop: () => loop.stop(),
    };
  });
}

/** Work orders from alarms, schedules and by hand: their lifecycle, SLA clocks, escalation (docs/work-orders.md). */
export const workOrdersModule = workOrdersModuleWith();
