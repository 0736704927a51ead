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
  /** Devices in id order after `after`, of one warehouse if given; `limit` of them. */
  list(query: { readonly warehouseId?: string | undefined; readonly after?: string | undefined; readonly limit: number }): Promise<DeviceRecord[]>;
  many(ids: readonly string[]): Promise<Map<string, DeviceRecord>>;
  /** Deactivates a device (under its row lock); an inactive one stays as it is. Undefined if unknown. */
  deactivate(id: string, by: string): Promise<DeviceRecord | undefined>;
  /**
   * Locks the devices' rows (in id order, so that concurrent batches cannot deadlock) and reads whether each is still
   * active: in a transaction, the answer holds until it commits.
   */
  lock(ids: readonly string[]): Promise<Map<string, { readonly active: boolean }>>;
  /** Records where a device now is; the placements before stay as its history. */
  place(placement: Omit<Placement, 'placedAt'>): Promise<Placement>;
  /** A device's placements, newest first. */
  placements(deviceId: string): Promise<Placement[]>;
  /** The current placement of each device named that has one. */
  currentPlacements(deviceIds: readonly string[]): Promise<Map<string, Placement>>;
}

/** Where a device is: a location in its warehouse and, optionally, a lot (so its readings concern that lot). */
export interface Placement {
  readonly deviceId: string;
  readonly lotId: string | null;
  readonly location: string | null;
  readonly placedBy: string;
  readonly placedAt: Date;
}

const placementColumns = 'device_id, lot_id, location, placed_by, placed_at';
const placementRow = z
  .object({ device_id: z.string(), lot_id: z.string().nullable(), location: z.string().nullable(), placed_by: z.string(), placed_at: timestamp })
  .transform((row): Placement => ({ deviceId: row.device_id, lotId: row.lot_id, location: row.location, placedBy: row.placed_by, placedAt: row.placed_at }));

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

    async list({ warehouseId, after, limit }) {
      return parseRows(
        deviceRow,
        await db.query(
          `SELECT ${columns} FROM devices WHERE ($1::text IS NULL OR warehouse_id = $1) AND ($2::text IS NULL OR id > $2) ORDER BY id LIMIT $3`,
          [warehouseId ?? null, after ?? null, limit],
        ),
      );
    },

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

    async place(placement) {
      const rows = await db.query(
        `INSERT INTO device_placements (device_id, lot_id, location, placed_by) VALUES ($1, $2, $3, $4) RETURNING ${placementColumns}`,
        [placement.deviceId, placement.lotId, placement.location, placement.placedBy],
      );
      return parseRow(placementRow, rows);
    },

    async placements(deviceId) {
      return parseRows(placementRow, await db.query(`SELECT ${placementColumns} FROM device_placements WHERE device_id = $1 ORDER BY id DESC`, [deviceId]));
    },

    async currentPlacements(deviceIds) {
      if (deviceIds.length === 0) return new Map();
      const rows = parseRows(
        placementRow,
        await db.query(
          `SELECT DISTINCT ON (device_id) ${placementColumns} FROM device_placements WHERE device_id = ANY($1::text[]) ORDER BY device_id, id DESC`,
          [[...new Set(deviceIds)]],
        ),
      );
      return new Map(rows.map((row) => [row.deviceId, row]));
    },
  };
}
