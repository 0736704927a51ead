import { z } from 'zod';
import type { Queryable } from '../../db/database.js';
import { sqlState } from '../../db/errors.js';
import { parseOptionalRow, parseRow, parseRows, timestamp } from '../../db/rows.js';
import { EvidenceError } from '../errors.js';
import { deviceAlgorithms, type DeviceAlgorithm } from './keys.js';

/** A registered device as the gateway keeps it. */
export interface DeviceRecord {
  readonly id: string;
  readonly warehouseId: string;
  readonly kind: string;
  readonly algorithm: DeviceAlgorithm;
  /** SPKI PEM. */
  readonly publicKey: string;
  readonly active: boolean;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly deactivatedAt: Date | null;
}

/** The devices table. Made over the database or over an open transaction (`deviceStore(tx)`). */
export interface DeviceStore {
  /** DEVICE_EXISTS if the id is taken. */
  insert(device: Omit<DeviceRecord, 'active' | 'createdAt' | 'deactivatedAt'>): Promise<DeviceRecord>;
  get(id: string): Promise<DeviceRecord | undefined>;
  many(ids: readonly string[]): Promise<Map<string, DeviceRecord>>;
  /** Deactivates a device (under its row lock); an inactive one stays as it is. Undefined if unknown. */
  deactivate(id: string, by: string): Promise<DeviceRecord | undefined>;
  /**
   * Locks the devices' rows (in id order, so that concurrent batches cannot deadlock) and reads whether each is still
   * active: in a transaction, the answer holds until it commits.
   */
  lock(ids: readonly string[]): Promise<Map<string, { readonly active: boolean }>>;
}

const columns = 'id, warehouse_id, kind, algorithm, public_key, active, created_by, created_at, deactivated_at';
const deviceRow = z
  .object({
    id: z.string(),
    warehouse_id: z.string(),
    kind: z.string(),
    algorithm: z.enum(deviceAlgorithms),
    public_key: z.string(),
    active: z.boolean(),
    created_by: z.string(),
    created_at: timestamp,
    deactivated_at: timestamp.nullable(),
  })
  .transform(
    (row): DeviceRecord => ({
      id: row.id,
      warehouseId: row.warehouse_id,
      kind: row.kind,
      algorithm: row.algorithm,
      publicKey: row.public_key,
      active: row.active,
      createdBy: row.created_by,
      createdAt: row.created_at,
      deactivatedAt: row.deactivated_at,
    }),
  );

export function deviceStore(db: Queryable): DeviceStore {
  const get = async (id: string): Promise<DeviceRecord | undefined> =>
    parseOptionalRow(deviceRow, await db.query(`SELECT ${columns} FROM devices WHERE id = $1`, [id]));
  return {
    async insert(device) {
      try {
        const rows = await db.query(
          `INSERT INTO devices (id, warehouse_id, kind, algorithm, public_key, created_by) VALUES ($1, $2, $3, $4, $5, $6)
           RETURNING ${columns}`,
          [device.id, device.warehouseId, device.kind, device.algorithm, device.publicKey, device.createdBy],
        );
        return parseRow(deviceRow, rows);
      } catch (error) {
        if (sqlState(error) === '23505') throw new EvidenceError('DEVICE_EXISTS', `device ${device.id} is already registered`);
        throw error;
      }
    },

    get,

    async many(ids) {
      const rows = parseRows(deviceRow, await db.query(`SELECT ${columns} FROM devices WHERE id = ANY($1::text[])`, [[...ids]]));
      return new Map(rows.map((row) => [row.id, row]));
    },

    async deactivate(id, by) {
      const rows = await db.query(
        `UPDATE devices SET active = false, deactivated_at = now(), deactivated_by = $2 WHERE id = $1 AND active RETURNING ${columns}`,
        [id, by],
      );
      return parseOptionalRow(deviceRow, rows) ?? get(id);
    },

    async lock(ids) {
      const sorted = [...new Set(ids)].sort();
      const rows = parseRows(
        z.object({ id: z.string(), active: z.boolean() }),
        await db.query('SELECT id, active FROM devices WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [sorted]),
      );
      return new Map(rows.map((row) => [row.id, { active: row.active }]));
    },
  };
}
