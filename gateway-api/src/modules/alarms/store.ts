import { jcs } from '@wr/anchor';
import { z } from 'zod';
import type { Queryable } from '../../db/database.js';
import { parseOptionalRow, parseRows, timestamp } from '../../db/rows.js';
import type { Viewer } from '../receipts/index.js';
import { supervisionVisibility } from '../access.js';
import { alarmRecord, type AlarmChange, type AlarmRecord } from '../rules/engine/index.js';
import { appendEvents } from '../events/outbox.js';
import { alarmActionEvent, alarmChangeEvent } from './events.js';

/** An alarm as the gateway keeps it: the engine's record, and what people did with it. */
export interface StoredAlarm {
  readonly id: string;
  readonly record: AlarmRecord;
  readonly engineState: 'ACTIVE' | 'CLEARED' | 'WITHDRAWN';
  readonly acked: { readonly by: string; readonly at: Date; readonly note: string | null } | null;
  readonly shelved: { readonly by: string; readonly until: Date; readonly reason: string | null } | null;
  readonly raisedAt: Date;
  readonly updatedAt: Date;
}

export interface AlarmFilter {
  /** ACTIVE includes a critical alarm that cleared but is latched until acknowledged. */
  readonly status?: 'ACTIVE' | 'CLEARED' | 'WITHDRAWN' | undefined;
  readonly severity?: string | undefined;
  readonly lotId?: string | undefined;
  readonly receiptId?: string | undefined;
  readonly after?: string | undefined;
  readonly limit: number;
}

const alarmRow = z
  .object({
    id: z.string(),
    record: z.unknown(),
    engine_state: z.enum(['ACTIVE', 'CLEARED', 'WITHDRAWN']),
    acked_by: z.string().nullable(),
    acked_at: timestamp.nullable(),
    ack_note: z.string().nullable(),
    shelved_by: z.string().nullable(),
    shelved_until: timestamp.nullable(),
    shelve_reason: z.string().nullable(),
    raised_at: timestamp,
    updated_at: timestamp,
  })
  .transform(
    (row): StoredAlarm => ({
      id: row.id,
      record: alarmRecord.parse(row.record),
      engineState: row.engine_state,
      acked: row.acked_by === null || row.acked_at === null ? null : { by: row.acked_by, at: row.acked_at, note: row.ack_note },
      shelved: row.shelved_by === null || row.shelved_until === null ? null : { by: row.shelved_by, until: row.shelved_until, reason: row.shelve_reason },
      raisedAt: row.raised_at,
      updatedAt: row.updated_at,
    }),
  );

/** An alarm's status as people see it: a critical alarm stays ACTIVE (latched) until acknowledged. */
const statusSql = `(CASE WHEN engine_state = 'CLEARED' AND severity = 'critical' AND acked_by IS NULL THEN 'ACTIVE' ELSE engine_state END)`;

const columns = 'id, record, engine_state, acked_by, acked_at, ack_note, shelved_by, shelved_until, shelve_reason, raised_at, updated_at';

/** A ledger action an alarm owes (see alarm_actions). */
export interface AlarmAction {
  readonly alarmId: string;
  readonly action: 'risk-event' | 'stock-count';
  readonly args: Record<string, unknown>;
  readonly attempts: number;
}

export interface AlarmStore {
  /** Applies the engine's changes in order: the alarm rows, and the change log replay compares with. */
  applyChanges(changes: readonly AlarmChange[], leafCursor: number, now: Date): Promise<void>;
  get(id: string): Promise<StoredAlarm | undefined>;
  /** The alarm if `viewer` may see it. */
  visible(id: string, viewer: Viewer): Promise<StoredAlarm | undefined>;
  list(viewer: Viewer, filter: AlarmFilter): Promise<StoredAlarm[]>;
  /** Locks the alarm's row and reads it. */
  lock(id: string): Promise<StoredAlarm | undefined>;
  acknowledge(id: string, by: string, note: string | null, at: Date): Promise<StoredAlarm>;
  shelve(id: string, by: string, until: Date, reason: string | null, at: Date): Promise<StoredAlarm>;
  addAction(alarmId: string, action: AlarmAction['action'], args: Record<string, unknown>, at: Date): Promise<void>;
  pendingActions(limit: number): Promise<AlarmAction[]>;
  finishAction(alarmId: string, action: AlarmAction['action'], outcome: { readonly status: 'done' | 'skipped' | 'failed'; readonly txId?: string; readonly error?: string }, at: Date): Promise<void>;
  noteFailure(alarmId: string, action: AlarmAction['action'], error: string): Promise<void>;
  actions(alarmId: string): Promise<{ action: string; status: string; txId: string | null; lastError: string | null; attempts: number }[]>;
}

export function alarmStore(db: Queryable): AlarmStore {
  return {
    async applyChanges(changes, leafCursor, now) {
      for (const change of changes) {
        const { alarm } = change;
        const state = change.type === 'withdrawn' ? 'WITHDRAWN' : alarm.state;
        const recordJcs = jcs(alarm);
        await db.query(
          `INSERT INTO alarms (id, record_jcs, record, rule_id, rule_version, rule_hash, kind, severity, warehouse_id, lot_id, device_id,
                               engine_state, started_at, cleared_at, raised_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)
           ON CONFLICT (id) DO UPDATE SET record_jcs = EXCLUDED.record_jcs, record = EXCLUDED.record, engine_state = EXCLUDED.engine_state,
             started_at = EXCLUDED.started_at, cleared_at = EXCLUDED.cleared_at, updated_at = EXCLUDED.updated_at`,
          [
            alarm.id,
            recordJcs,
            recordJcs,
            alarm.ruleId,
            alarm.ruleVersion,
            alarm.ruleHash,
            alarm.kind,
            alarm.severity,
            alarm.subject.warehouseId,
            alarm.subject.lotId,
            alarm.subject.deviceId,
            state,
            alarm.startedAt,
            alarm.clearedAt,
            now,
          ],
        );
        const [logged] = parseRows(
          z.object({ seq: z.string() }),
          await db.query('INSERT INTO alarm_changes (alarm_id, type, change_jcs, leaf_cursor) VALUES ($1, $2, $3, $4) RETURNING seq::text AS seq', [
            alarm.id,
            change.type,
            jcs(change),
            leafCursor,
          ]),
        );
        const event = logged && (await alarmChangeEvent(db, logged.seq, change.type, alarm, now));
        if (event !== undefined) await appendEvents(db, [event]);
      }
    },

    async get(id) {
      return parseOptionalRow(alarmRow, await db.query(`SELECT ${columns} FROM alarms WHERE id = $1`, [id]));
    },

    async visible(id, viewer) {
      const params: unknown[] = [id];
      const param = (value: unknown): string => `$${params.push(value).toString()}`;
      return parseOptionalRow(alarmRow, await db.query(`SELECT ${columns} FROM alarms WHERE id = $1 AND ${supervisionVisibility(viewer, 'alarms.lot_id', param)}`, params));
    },

    async list(viewer, filter) {
      const params: unknown[] = [];
      const param = (value: unknown): string => `$${params.push(value).toString()}`;
      const conditions = [supervisionVisibility(viewer, 'alarms.lot_id', param)];
      if (filter.status !== undefined) conditions.push(`${statusSql} = ${param(filter.status)}`);
      if (filter.severity !== undefined) conditions.push(`severity = ${param(filter.severity)}`);
      if (filter.lotId !== undefined) conditions.push(`lot_id = ${param(filter.lotId)}`);
      if (filter.receiptId !== undefined) conditions.push(`lot_id = (SELECT r.lot_id FROM receipts r WHERE r.id = ${param(filter.receiptId)})`);
      if (filter.after !== undefined) conditions.push(`id > ${param(filter.after)}`);
      return parseRows(alarmRow, await db.query(`SELECT ${columns} FROM alarms WHERE ${conditions.join(' AND ')} ORDER BY id LIMIT ${param(filter.limit)}`, params));
    },

    async lock(id) {
      return parseOptionalRow(alarmRow, await db.query(`SELECT ${columns} FROM alarms WHERE id = $1 FOR UPDATE`, [id]));
    },

    async acknowledge(id, by, note, at) {
      const rows = await db.query(`UPDATE alarms SET acked_by = $2, acked_at = $3, ack_note = $4, updated_at = $3 WHERE id = $1 RETURNING ${columns}`, [id, by, at, note]);
      const acked = alarmRow.parse(rows[0]);
      const action = { type: 'alarm.acknowledged', id: `alarm-${id}-acknowledged`, at, details: { by, note } } as const;
      await appendEvents(db, [await alarmActionEvent(db, action, acked.record, acked.engineState)]);
      return acked;
    },

    async shelve(id, by, until, reason, at) {
      const rows = await db.query(`UPDATE alarms SET shelved_by = $2, shelved_until = $3, shelve_reason = $4, updated_at = $5 WHERE id = $1 RETURNING ${columns}`, [id, by, until, reason, at]);
      const shelved = alarmRow.parse(rows[0]);
      const action = { type: 'alarm.shelved', id: `alarm-${id}-shelved-${at.getTime().toString()}`, at, details: { by, until: until.toISOString(), reason } } as const;
      await appendEvents(db, [await alarmActionEvent(db, action, shelved.record, shelved.engineState)]);
      return shelved;
    },

    async addAction(alarmId, action, args, at) {
      await db.query(
        `INSERT INTO alarm_actions (alarm_id, action, args, status, created_at) VALUES ($1, $2, $3, 'pending', $4) ON CONFLICT (alarm_id, action) DO NOTHING`,
        [alarmId, action, JSON.stringify(args), at],
      );
    },

    async pendingActions(limit) {
      const rows = await db.query(`SELECT alarm_id, action, args, attempts FROM alarm_actions WHERE status = 'pending' ORDER BY created_at, alarm_id LIMIT $1`, [limit]);
      return parseRows(z.object({ alarm_id: z.string(), action: z.enum(['risk-event', 'stock-count']), args: z.record(z.string(), z.unknown()), attempts: z.number().int() }), rows).map((row) => ({
        alarmId: row.alarm_id,
        action: row.action,
        args: row.args,
        attempts: row.attempts,
      }));
    },

    async finishAction(alarmId, action, outcome, at) {
      await db.query(`UPDATE alarm_actions SET status = $3, tx_id = $4, last_error = $5, done_at = $6, attempts = attempts + 1 WHERE alarm_id = $1 AND action = $2`, [
        alarmId,
        action,
        outcome.status,
        outcome.txId ?? null,
        outcome.error ?? null,
        at,
      ]);
    },

    async noteFailure(alarmId, action, error) {
      await db.query('UPDATE alarm_actions SET attempts = attempts + 1, last_error = $3 WHERE alarm_id = $1 AND action = $2', [alarmId, action, error]);
    },

    async actions(alarmId) {
      const rows = await db.query('SELECT action, status, tx_id, last_error, attempts FROM alarm_actions WHERE alarm_id = $1 ORDER BY action', [alarmId]);
      return parseRows(z.object({ action: z.string(), status: z.string(), tx_id: z.string().nullable(), last_error: z.string().nullable(), attempts: z.number().int() }), rows).map((row) => ({
        action: row.action,
        status: row.status,
        txId: row.tx_id,
        lastError: row.last_error,
        attempts: row.attempts,
      }));
    },
  };
}
