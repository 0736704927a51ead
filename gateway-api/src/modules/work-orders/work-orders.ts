import type { Database, Queryable } from '../../db/database.js';
import type { Clock } from '../../platform/clock.js';
import type { WriteContext } from '../../platform/write.js';
import type { Calendar } from './calendar.js';
import { WorkOrderError } from './errors.js';
import {
  actionOf,
  escalationActor,
  priorityOfSeverity,
  raised,
  scheduleActor,
  targetState,
  transitions,
  type HistoryEntry,
  type Priority,
  type Severity,
  type TransitionName,
} from './model.js';
import { occurrences, type ScheduleDefinition } from './schedules.js';
import { currentPriority, cycleStart, dueEscalations, slaOf, type Sla, type SlaPolicy } from './sla.js';
import { workOrderStore, type StoredSchedule, type WorkOrderFilter, type WorkOrderRecord } from './store.js';
import type { Viewer } from '../receipts/index.js';

/** A work order as the API shows it: its row, its whole history and its SLA clocks now. */
export interface WorkOrder extends WorkOrderRecord {
  readonly history: readonly HistoryEntry[];
  readonly sla: Sla;
}

/** What raises a work order from an alarm episode (the alarms module calls this inside its own transaction). */
export interface AlarmWorkOrder {
  readonly alarmId: string;
  readonly severity: Severity;
  readonly title: string;
  readonly description?: string | undefined;
  readonly warehouseId: string;
  readonly lotId?: string | undefined;
  readonly location?: string | undefined;
  readonly receiptIds?: readonly string[] | undefined;
}

/** A work order raised by hand (`POST /v1/work-orders`). */
export interface ManualWorkOrder {
  readonly title: string;
  readonly description?: string | undefined;
  readonly priority: Priority;
  readonly severity?: Severity | undefined;
  readonly warehouseId: string;
  readonly lotId?: string | undefined;
  readonly location?: string | undefined;
  readonly receiptIds?: readonly string[] | undefined;
  readonly note?: string | undefined;
  readonly evidenceIds?: readonly string[] | undefined;
}

/** What a transition's body carries besides the route's name. */
export interface TransitionInput {
  readonly note?: string | undefined;
  readonly evidenceIds?: readonly string[] | undefined;
  /** assignment: required; reopening: optional (default: the assignee it had). */
  readonly assignee?: string | undefined;
}

export interface WorkOrderPage {
  readonly items: WorkOrder[];
  readonly next: string | null;
}

/** What other modules get (`ctx.use('work-orders')`). */
export interface WorkOrdersApi {
  /**
   * The work order of an alarm episode, raised once: a second call with the same alarmId returns the first one
   * (`created: false`). Runs in the caller's transaction `tx`; the caller records its own audit entry.
   */
  raiseForAlarm(tx: Queryable, alarm: AlarmWorkOrder, context: Pick<WriteContext, 'submittedBy'>): Promise<{ readonly workOrder: WorkOrder; readonly created: boolean }>;
}

export interface WorkOrders extends WorkOrdersApi {
  create(input: ManualWorkOrder, context: WriteContext): Promise<WorkOrder>;
  /** WORK_ORDER_NOT_FOUND when there is none or `viewer` may not see it. */
  get(id: string, viewer: Viewer): Promise<WorkOrder>;
  list(viewer: Viewer, filter: WorkOrderFilter): Promise<WorkOrderPage>;
  transition(id: string, name: TransitionName, input: TransitionInput, context: WriteContext): Promise<WorkOrder>;
  createSchedule(definition: ScheduleDefinition, context: WriteContext): Promise<StoredSchedule>;
  schedules(): Promise<StoredSchedule[]>;
  /** Raises the work orders of schedule occurrences the clock has passed; how many were raised. */
  raiseScheduled(): Promise<number>;
  /** Appends the escalation steps that are due; how many were appended. */
  escalate(): Promise<number>;
}

export interface WorkOrderSettings {
  readonly calendar: Calendar;
  readonly policy: SlaPolicy;
}

export function workOrders(db: Database, clock: Clock, settings: WorkOrderSettings): WorkOrders {
  const { calendar, policy } = settings;
  const withSla = (record: WorkOrderRecord, history: readonly HistoryEntry[]): WorkOrder => ({ ...record, history, sla: slaOf(history, policy, calendar, clock.now()) });

  async function historyOf(tx: Queryable, id: string): Promise<HistoryEntry[]> {
    return (await workOrderStore(tx).histories([id])).get(id) ?? [];
  }

  async function checkEvidence(tx: Queryable, ids: readonly string[] | undefined): Promise<void> {
    if (ids === undefined || ids.length === 0) return;
    const found = await workOrderStore(tx).existingEvidence(ids);
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) {
      throw new WorkOrderError('WORK_ORDER_EVIDENCE_NOT_FOUND', `no stored evidence ${missing.join(', ')}: store it first (POST /v1/evidence or /v1/documents)`, { missing });
    }
  }

  async function insert(tx: Queryable, order: Parameters<ReturnType<typeof workOrderStore>['insert']>[0], note?: string, evidenceIds?: readonly string[]) {
    const created: HistoryEntry = {
      at: order.createdAt.toISOString(),
      actor: order.createdBy,
      action: 'create',
      from: null,
      to: 'OPEN',
      priority: order.priority,
      ...(note === undefined ? {} : { note }),
      ...(evidenceIds === undefined || evidenceIds.length === 0 ? {} : { evidenceIds: [...evidenceIds] }),
    };
    const record = await workOrderStore(tx).insert(order, created);
    return record === undefined ? undefined : withSla(record, [created]);
  }

  return {
    async raiseForAlarm(tx, alarm, context) {
      const created = await insert(tx, {
        source: { type: 'alarm', alarmId: alarm.alarmId },
        title: alarm.title,
        description: alarm.description ?? alarm.title,
        priority: priorityOfSeverity[alarm.severity],
        severity: alarm.severity,
        warehouseId: alarm.warehouseId,
        lotId: alarm.lotId ?? null,
        location: alarm.location ?? null,
        receiptIds: alarm.receiptIds ?? [],
        createdBy: context.submittedBy,
        createdAt: clock.now(),
      });
      if (created !== undefined) return { workOrder: created, created: true };
      const existing = await workOrderStore(tx).byAlarm(alarm.alarmId);
      if (existing === undefined) throw new Error(`the work order of alarm ${alarm.alarmId} conflicted on insert but cannot be read`);
      return { workOrder: withSla(existing, await historyOf(tx, existing.id)), created: false };
    },

    async create(input, context) {
      return db.transaction(async (tx) => {
        await checkEvidence(tx, input.evidenceIds);
        const created = await insert(
          tx,
          {
            source: { type: 'manual' },
            title: input.title,
            description: input.description ?? input.title,
            priority: input.priority,
            severity: input.severity ?? null,
            warehouseId: input.warehouseId,
            lotId: input.lotId ?? null,
            location: input.location ?? null,
            receiptIds: input.receiptIds ?? [],
            createdBy: context.submittedBy,
            createdAt: clock.now(),
          },
          input.note,
          input.evidenceIds,
        );
        if (created === undefined) throw new Error('a manual work order cannot conflict with another');
        await context.record(tx);
        return created;
      });
    },

    async get(id, viewer) {
      const store = workOrderStore(db);
      const record = await store.visible(id, viewer);
      if (record === undefined) throw new WorkOrderError('WORK_ORDER_NOT_FOUND', `no work order ${id}`);
      return withSla(record, (await store.histories([id])).get(id) ?? []);
    },

    async list(viewer, filter) {
      const store = workOrderStore(db);
      const rows = await store.list(viewer, filter);
      const page = rows.slice(0, filter.limit);
      const histories = await store.histories(page.map((row) => row.id));
      return { items: page.map((row) => withSla(row, histories.get(row.id) ?? [])), next: rows.length > filter.limit ? (page.at(-1)?.id ?? null) : null };
    },

    async transition(id, name, input, context) {
      return db.transaction(async (tx) => {
        const store = workOrderStore(tx);
        const record = await store.get(id, { lock: true });
        if (record === undefined) throw new WorkOrderError('WORK_ORDER_NOT_FOUND', `no work order ${id}`);
        const { from } = transitions[name];
        if (!from.includes(record.state)) {
          throw new WorkOrderError('WORK_ORDER_INVALID_TRANSITION', `a work order in ${record.state} cannot take ${name} (allowed from ${from.join(', ')})`, {
            state: record.state,
            allowedFrom: from,
          });
        }
        const history = await historyOf(tx, id);
        if (name === 'closure' && record.severity === 'critical') {
          const resolver = history.slice(cycleStart(history)).findLast((entry) => entry.action === 'resolve')?.actor;
          if (resolver === context.submittedBy) {
            throw new WorkOrderError('FOUR_EYES', `${context.submittedBy} resolved this critical work order, so someone else must close it`);
          }
        }
        await checkEvidence(tx, input.evidenceIds);
        let assignee = record.assignee;
        if (name === 'assignment' || (name === 'reopening' && input.assignee !== undefined)) {
          if (input.assignee === undefined || !(await store.assignable(input.assignee))) {
            throw new WorkOrderError('WORK_ORDER_ASSIGNEE_NOT_ELIGIBLE', `${input.assignee ?? 'nobody'} is not an enabled custodian clerk or supervisor`);
          }
          assignee = input.assignee;
        }
        const to = targetState(name, record.state);
        const now = clock.now();
        const entry: HistoryEntry = {
          at: now.toISOString(),
          actor: context.submittedBy,
          action: actionOf[name],
          from: record.state,
          to,
          ...(input.note === undefined ? {} : { note: input.note }),
          ...(input.evidenceIds === undefined || input.evidenceIds.length === 0 ? {} : { evidenceIds: [...input.evidenceIds] }),
          ...(assignee !== record.assignee || name === 'reopening' ? { assignee: assignee ?? undefined } : {}),
        };
        const updated = await store.append(id, history.length, entry, { state: to, priority: record.priority, assignee, updatedAt: now });
        await context.record(tx);
        return withSla(updated, [...history, entry]);
      });
    },

    async createSchedule(definition, context) {
      return db.transaction(async (tx) => {
        const stored = await workOrderStore(tx).insertSchedule(definition, context.submittedBy, clock.now());
        await context.record(tx);
        return stored;
      });
    },

    schedules: () => workOrderStore(db).schedules(),

    async raiseScheduled() {
      let raisedCount = 0;
      for (const { definition } of await workOrderStore(db).schedules()) {
        raisedCount += await db.transaction(async (tx) => {
          const store = workOrderStore(tx);
          const schedule = await store.lockSchedule(definition.id);
          if (schedule === undefined) return 0;
          const now = clock.now();
          if (schedule.consideredUntil.getTime() >= now.getTime()) return 0;
          const { due, consideredUntil } = occurrences(schedule.definition, calendar, schedule.consideredUntil, now);
          let count = 0;
          for (const occurrence of due) {
            const { scope } = schedule.definition;
            const created = await insert(tx, {
              source: { type: 'schedule', scheduleId: definition.id, occurrence: occurrence.toISOString() },
              title: schedule.definition.title,
              description: schedule.definition.description ?? schedule.definition.title,
              priority: schedule.definition.priority,
              severity: null,
              warehouseId: scope.warehouseId,
              lotId: null,
              location: scope.locationClass === undefined ? null : `every class ${scope.locationClass} location`,
              receiptIds: [],
              createdBy: scheduleActor,
              createdAt: now,
            });
            if (created !== undefined) count++;
          }
          await store.considered(definition.id, consideredUntil);
          return count;
        });
      }
      return raisedCount;
    },

    async escalate() {
      let appended = 0;
      for (const id of await workOrderStore(db).activeIds()) {
        appended += await db.transaction(async (tx) => {
          const store = workOrderStore(tx);
          // Under the row lock, the history read next is final: two rounds (or gateways) cannot both append a step.
          const record = await store.get(id, { lock: true });
          if (record === undefined) return 0;
          const history = await historyOf(tx, id);
          const now = clock.now();
          const due = dueEscalations(history, policy, calendar, now);
          let { assignee } = record;
          let priority = currentPriority(history);
          for (const { clock: slaClock, step } of due) {
            if (step.action === 'reassign') assignee = policy.escalateTo;
            if (step.action === 'raise-priority') priority = raised(priority);
            const entry: HistoryEntry = {
              at: now.toISOString(),
              actor: escalationActor,
              action: 'escalate',
              from: record.state,
              to: record.state,
              escalation: { clock: slaClock, percent: step.percent, action: step.action },
              ...(step.action === 'reassign' ? { assignee: policy.escalateTo } : {}),
              ...(step.action === 'raise-priority' ? { priority } : {}),
            };
            await store.append(id, history.length, entry, { state: record.state, priority, assignee, updatedAt: now });
            history.push(entry);
          }
          return due.length;
        });
      }
      return appended;
    },
  };
}
