import { z } from 'zod';
import type { Queryable } from '../../db/database.js';
import { sqlState } from '../../db/errors.js';
import { parseOptionalRow, parseRow, parseRows, timestamp } from '../../db/rows.js';
import { WorkOrderError } from './errors.js';
import {
  historyEntrySchema,
  priorities,
  severities,
  workOrderStates,
  type HistoryEntry,
  type Priority,
  type Severity,
  type WorkOrderState,
} from './model.js';
import { dayRules, type ScheduleDefinition } from './schedules.js';
import { supervisionVisibility } from '../access.js';
import type { Viewer } from '../receipts/index.js';
import { appendEvents } from '../events/outbox.js';
import { workOrderEvent } from './events.js';

/** Where a work order came from. */
export type WorkOrderSource =
  | { readonly type: 'alarm'; readonly alarmId: string }
  | { readonly type: 'schedule'; readonly scheduleId: string; readonly occurrence: string }
  | { readonly type: 'manual' };

/** A work order's row: what its history leads to, kept for listing. */
export interface WorkOrderRecord {
  readonly id: string;
  readonly source: WorkOrderSource;
  readonly title: string;
  readonly description: string;
  readonly priority: Priority;
  readonly severity: Severity | null;
  readonly warehouseId: string;
  readonly lotId: string | null;
  readonly location: string | null;
  readonly receiptIds: readonly string[];
  readonly assignee: string | null;
  readonly state: WorkOrderState;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export type NewWorkOrder = Omit<WorkOrderRecord, 'id' | 'assignee' | 'state' | 'updatedAt'>;

export interface WorkOrderFilter {
  readonly state?: WorkOrderState | undefined;
  readonly priority?: Priority | undefined;
  readonly warehouseId?: string | undefined;
  readonly lotId?: string | undefined;
  readonly alarmId?: string | undefined;
  readonly scheduleId?: string | undefined;
  readonly after?: string | undefined;
  readonly limit: number;
}

export interface StoredSchedule {
  readonly definition: ScheduleDefinition;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly consideredUntil: Date;
}


const scheduleDefinitionSchema: z.ZodType<ScheduleDefinition> = z.object({
  id: z.string(),
  cron: z.string(),
  timeZone: z.string(),
  dayRule: z.enum(dayRules),
  title: z.string(),
  description: z.string().optional(),
  priority: z.enum(priorities),
  scope: z.object({ warehouseId: z.string(), locationClass: z.string().optional() }),
});

const columns =
  'id, source_type, alarm_id, schedule_id, occurrence, title, description, priority, severity, warehouse_id, lot_id, location, receipt_ids, assignee, state, created_by, created_at, updated_at';
const workOrderRow = z
  .object({
    id: z.string(),
    source_type: z.enum(['alarm', 'schedule', 'manual']),
    alarm_id: z.string().nullable(),
    schedule_id: z.string().nullable(),
    occurrence: timestamp.nullable(),
    title: z.string(),
    description: z.string(),
    priority: z.enum(priorities),
    severity: z.enum(severities).nullable(),
    warehouse_id: z.string(),
    lot_id: z.string().nullable(),
    location: z.string().nullable(),
    receipt_ids: z.array(z.string()),
    assignee: z.string().nullable(),
    state: z.enum(workOrderStates),
    created_by: z.string(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .transform(
    (row): WorkOrderRecord => ({
      id: row.id,
      source: sourceOf(row),
      title: row.title,
      description: row.description,
      priority: row.priority,
      severity: row.severity,
      warehouseId: row.warehouse_id,
      lotId: row.lot_id,
      location: row.location,
      receiptIds: row.receipt_ids,
      assignee: row.assignee,
      state: row.state,
      createdBy: row.created_by,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }),
  );

function sourceOf(row: { source_type: string; alarm_id: string | null; schedule_id: string | null; occurrence: Date | null }): WorkOrderSource {
  if (row.source_type === 'alarm' && row.alarm_id !== null) return { type: 'alarm', alarmId: row.alarm_id };
  if (row.source_type === 'schedule' && row.schedule_id !== null && row.occurrence !== null) {
    return { type: 'schedule', scheduleId: row.schedule_id, occurrence: row.occurrence.toISOString() };
  }
  return { type: 'manual' };
}

const historyRow = z.object({ work_order_id: z.string(), entry: historyEntrySchema });
const scheduleRow = z
  .object({ definition: scheduleDefinitionSchema, created_by: z.string(), created_at: timestamp, considered_until: timestamp })
  .transform((row): StoredSchedule => ({ definition: row.definition, createdBy: row.created_by, createdAt: row.created_at, consideredUntil: row.considered_until }));

/** The work-order tables, over the database or an open transaction. */
export function workOrderStore(db: Queryable) {
  return {
    /**
     * Inserts a work order and its creation entry. Undefined when one exists already for the same alarm or schedule
     * occurrence (the unique indexes decide, also between concurrent transactions).
     */
    async insert(order: NewWorkOrder, created: HistoryEntry): Promise<WorkOrderRecord | undefined> {
      const source = order.source;
      const rows = await db.query(
        `INSERT INTO work_orders (source_type, alarm_id, schedule_id, occurrence, title, description, priority, severity, warehouse_id, lot_id,
                                  location, receipt_ids, state, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'OPEN', $13, $14, $14)
         ON CONFLICT DO NOTHING RETURNING ${columns}`,
        [
          source.type,
          source.type === 'alarm' ? source.alarmId : null,
          source.type === 'schedule' ? source.scheduleId : null,
          source.type === 'schedule' ? source.occurrence : null,
          order.title,
          order.description,
          order.priority,
          order.severity,
          order.warehouseId,
          order.lotId,
          order.location,
          [...order.receiptIds],
          order.createdBy,
          order.createdAt,
        ],
      );
      const inserted = parseOptionalRow(workOrderRow, rows);
      if (inserted !== undefined) {
        await db.query('INSERT INTO work_order_history (work_order_id, seq, entry) VALUES ($1, 0, $2)', [inserted.id, created]);
        await appendEvents(db, [await workOrderEvent(db, inserted, 0, created)]);
      }
      return inserted;
    },

    async get(id: string, options: { readonly lock?: boolean } = {}): Promise<WorkOrderRecord | undefined> {
      return parseOptionalRow(workOrderRow, await db.query(`SELECT ${columns} FROM work_orders WHERE id = $1${options.lock === true ? ' FOR UPDATE' : ''}`, [id]));
    },

    async byAlarm(alarmId: string): Promise<WorkOrderRecord | undefined> {
      return parseOptionalRow(workOrderRow, await db.query(`SELECT ${columns} FROM work_orders WHERE alarm_id = $1`, [alarmId]));
    },

    /** The work order if `viewer` may see it; undefined when there is none or it may not. */
    async visible(id: string, viewer: Viewer): Promise<WorkOrderRecord | undefined> {
      const params: unknown[] = [id];
      const param = (value: unknown): string => `$${params.push(value).toString()}`;
      const condition = supervisionVisibility(viewer, 'work_orders.lot_id', param);
      return parseOptionalRow(workOrderRow, await db.query(`SELECT ${columns} FROM work_orders WHERE id = $1 AND (${condition})`, params));
    },

    /** A page of the work orders `viewer` may see, in id order, with one more row than the limit when more follow. */
    async list(viewer: Viewer, filter: WorkOrderFilter): Promise<WorkOrderRecord[]> {
      const params: unknown[] = [];
      const param = (value: unknown): string => `$${params.push(value).toString()}`;
      const conditions = [`(${supervisionVisibility(viewer, 'work_orders.lot_id', param)})`];
      if (filter.state !== undefined) conditions.push(`state = ${param(filter.state)}`);
      if (filter.priority !== undefined) conditions.push(`priority = ${param(filter.priority)}`);
      if (filter.warehouseId !== undefined) conditions.push(`warehouse_id = ${param(filter.warehouseId)}`);
      if (filter.lotId !== undefined) conditions.push(`lot_id = ${param(filter.lotId)}`);
      if (filter.alarmId !== undefined) conditions.push(`alarm_id = ${param(filter.alarmId)}`);
      if (filter.scheduleId !== undefined) conditions.push(`schedule_id = ${param(filter.scheduleId)}`);
      if (filter.after !== undefined) conditions.push(`id > ${param(filter.after)}`);
      return parseRows(
        workOrderRow,
        await db.query(`SELECT ${columns} FROM work_orders WHERE ${conditions.join(' AND ')} ORDER BY id LIMIT ${param(filter.limit + 1)}`, params),
      );
    },

    /** The ids of the work orders whose SLA clocks may still run. */
    async activeIds(): Promise<string[]> {
      const rows = parseRows(z.object({ id: z.string() }), await db.query("SELECT id FROM work_orders WHERE state NOT IN ('RESOLVED', 'CLOSED') ORDER BY id"));
      return rows.map((row) => row.id);
    },

    /** The histories of the work orders named, oldest entry first. */
    async histories(ids: readonly string[]): Promise<Map<string, HistoryEntry[]>> {
      const found = new Map<string, HistoryEntry[]>(ids.map((id) => [id, []]));
      if (ids.length === 0) return found;
      const rows = parseRows(
        historyRow,
        await db.query('SELECT work_order_id, entry FROM work_order_history WHERE work_order_id = ANY($1::text[]) ORDER BY work_order_id, seq', [[...new Set(ids)]]),
      );
      for (const row of rows) found.get(row.work_order_id)?.push(row.entry);
      return found;
    },

    /** Appends entry `seq` to a work order's history and sets its row to where the entry leads. */
    async append(
      id: string,
      seq: number,
      entry: HistoryEntry,
      now: { readonly state: WorkOrderState; readonly priority: Priority; readonly assignee: string | null; readonly updatedAt: Date },
    ): Promise<WorkOrderRecord> {
      await db.query('INSERT INTO work_order_history (work_order_id, seq, entry) VALUES ($1, $2, $3)', [id, seq, entry]);
      const updated = parseRow(
        workOrderRow,
        await db.query(`UPDATE work_orders SET state = $2, priority = $3, assignee = $4, updated_at = $5 WHERE id = $1 RETURNING ${columns}`, [
          id,
          now.state,
          now.priority,
          now.assignee,
          now.updatedAt,
        ]),
      );
      await appendEvents(db, [await workOrderEvent(db, updated, seq, entry)]);
      return updated;
    },

    /** The ids among those named that are stored evidence (device readings, documents, ledger events). */
    async existingEvidence(ids: readonly string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const rows = parseRows(z.object({ id: z.string() }), await db.query('SELECT id FROM evidence WHERE id = ANY($1::text[])', [[...new Set(ids)]]));
      return new Set(rows.map((row) => row.id));
    },

    /** Whether an identity may be given work orders: an enabled custodian clerk or supervisor. */
    async assignable(identityId: string): Promise<boolean> {
      const rows = await db.query(
        "SELECT 1 FROM identities WHERE id = $1 AND org = 'custodian' AND role IN ('clerk', 'supervisor') AND disabled_at IS NULL",
        [identityId],
      );
      return rows.length === 1;
    },

    async insertSchedule(definition: ScheduleDefinition, createdBy: string, createdAt: Date): Promise<StoredSchedule> {
      try {
        return parseRow(
          scheduleRow,
          await db.query(
            `INSERT INTO work_order_schedules (id, definition, created_by, created_at, considered_until) VALUES ($1, $2, $3, $4, $4)
             RETURNING definition, created_by, created_at, considered_until`,
            [definition.id, definition, createdBy, createdAt],
          ),
        );
      } catch (error) {
        if (sqlState(error) === '23505') throw new WorkOrderError('WORK_ORDER_SCHEDULE_EXISTS', `schedule ${definition.id} exists already`);
        throw error;
      }
    },

    async schedules(): Promise<StoredSchedule[]> {
      return parseRows(scheduleRow, await db.query('SELECT definition, created_by, created_at, considered_until FROM work_order_schedules ORDER BY id'));
    },

    /** A schedule under its row lock (so two gateways do not look at the same occurrences at once). */
    async lockSchedule(id: string): Promise<StoredSchedule | undefined> {
      return parseOptionalRow(
        scheduleRow,
        await db.query('SELECT definition, created_by, created_at, considered_until FROM work_order_schedules WHERE id = $1 FOR UPDATE', [id]),
      );
    },

    async considered(id: string, until: Date): Promise<void> {
      await db.query('UPDATE work_order_schedules SET considered_until = $2 WHERE id = $1', [id, until]);
    },
  };
}

export type WorkOrderStore = ReturnType<typeof workOrderStore>;
