import type { Database } from '../../db/database.js';
import type { WriteContext } from '../../platform/write.js';
import { EvidenceError } from '../errors.js';
import { parseDeviceKey, type DeviceAlgorithm, type DeviceKey } from './keys.js';
import { deviceStore, type DeviceRecord, type Placement } from './store.js';

export interface DeviceRegistration {
  readonly id: string;
  readonly warehouseId: string;
  readonly kind: string;
  readonly algorithm: DeviceAlgorithm;
  readonly publicKey: string;
}

/** The device registry: devices, the keys they sign with, and whether they may still submit. */
export interface Devices {
  register(registration: DeviceRegistration, context: WriteContext): Promise<DeviceRecord>;
  deactivate(id: string, context: WriteContext): Promise<DeviceRecord>;
  /** DEVICE_NOT_FOUND when there is none. */
  get(id: string): Promise<DeviceRecord>;
  /** A page of devices in id order (of one warehouse if given), and the `after` of the next page (null at the end). */
  list(query: { readonly warehouseId?: string | undefined; readonly after?: string | undefined; readonly limit: number }): Promise<{ items: DeviceRecord[]; next: string | null }>;
  /** The warehouse of each device named (one query); unknown devices are absent. */
  warehouses(ids: readonly string[]): Promise<Map<string, string>>;
  /** The parsed keys of the devices named (one query); unknown devices are absent. */
  keys(ids: readonly string[]): Promise<Map<string, { readonly active: boolean; readonly key: DeviceKey }>>;
  /**
   * Places an active device at a location and/or on a lot of its own warehouse (`lotOf` reads the lot as the caller
   * may see it: NOT_FOUND when it may not); the earlier placements stay as its history.
   */
  place(
    id: string,
    placement: { readonly lotId?: string | undefined; readonly location?: string | undefined },
    lotOf: (lotId: string) => Promise<{ readonly warehouseId: string }>,
    context: WriteContext,
  ): Promise<{ readonly device: DeviceRecord; readonly placement: Placement }>;
  /** A device's placements, newest first; DEVICE_NOT_FOUND when there is no such device. */
  placements(id: string): Promise<Placement[]>;
  /** The current placement of each device named that has one (the lot its readings concern). */
  currentPlacements(ids: readonly string[]): Promise<Map<string, Placement>>;
  /** The devices' rows locked in the caller's transaction `tx`: whether each is still active until it commits. */
  lock(tx: Parameters<typeof deviceStore>[0], ids: readonly string[]): Promise<Map<string, { readonly active: boolean }>>;
}

export function devices(db: Database): Devices {
  const store = deviceStore(db);
  /**
   * What never changes of a registered device, once read: its warehouse and its key (a device is never deleted, and is
   * only ever deactivated, never back). Intake asks for both before every batch, ahead of its transaction; on PGlite's
   * one connection that query waited behind the commit of the batch before, so batches were checked one after the
   * other instead of while another commits. `active` here may be stale (another gateway on the database may have
   * deactivated the device): intake reads it again under the device's lock, which is the answer that counts.
   */
  const known = new Map<string, { readonly warehouseId: string; readonly key: DeviceKey; active: boolean }>();
  const lookUp = async (ids: readonly string[]) => {
    const unknown = [...new Set(ids)].filter((id) => !known.has(id));
    if (unknown.length > 0) {
      for (const [id, device] of await store.many(unknown)) {
        known.set(id, { warehouseId: device.warehouseId, key: parseDeviceKey(device.algorithm, device.publicKey), active: device.active });
      }
    }
    return new Map(ids.flatMap((id) => {
      const device = known.get(id);
      return device === undefined ? [] : [[id, device] as const];
    }));
  };
  return {
    async register(registration, context) {
      const key = parseDeviceKey(registration.algorithm, registration.publicKey);
      return db.transaction(async (tx) => {
        const device = await deviceStore(tx).insert({ ...registration, publicKey: key.pem, createdBy: context.submittedBy });
        await context.record(tx);
        return device;
      });
    },

    async deactivate(id, context) {
      const device = await db.transaction(async (tx) => {
        const found = await deviceStore(tx).deactivate(id, context.submittedBy);
        if (found === undefined) throw new EvidenceError('DEVICE_NOT_FOUND', `no device ${id}`);
        await context.record(tx);
        return found;
      });
      // Once committed: a rolled-back deactivation must not refuse the device's readings.
      const cached = known.get(id);
      if (cached !== undefined) cached.active = device.active;
      return device;
    },

    async get(id) {
      const device = await store.get(id);
      if (device === undefined) throw new EvidenceError('DEVICE_NOT_FOUND', `no device ${id}`);
      return device;
    },

    async list(query) {
      // One more than asked for says whether there is a next page.
      const rows = await store.list({ ...query, limit: query.limit + 1 });
      const items = rows.slice(0, query.limit);
      return { items, next: rows.length > query.limit ? (items.at(-1)?.id ?? null) : null };
    },

    async warehouses(ids) {
      return new Map([...(await lookUp(ids))].map(([id, device]) => [id, device.warehouseId]));
    },

    async keys(ids) {
      return new Map([...(await lookUp(ids))].map(([id, device]) => [id, { active: device.active, key: device.key }]));
    },

    async place(id, placement, lotOf, context) {
      const device = await store.get(id);
      if (device === undefined) throw new EvidenceError('DEVICE_NOT_FOUND', `no device ${id}`);
      if (placement.lotId !== undefined) {
        const lot = await lotOf(placement.lotId);
        if (lot.warehouseId !== device.warehouseId) {
          throw new EvidenceError('PLACEMENT_WAREHOUSE_MISMATCH', `lot ${placement.lotId} is in warehouse ${lot.warehouseId}, device ${id} in ${device.warehouseId}`);
        }
      }
      return db.transaction(async (tx) => {
        const locked = await deviceStore(tx).lock([id]);
        // Deactivated since the first look: the row lock makes this answer final.
        if (locked.get(id)?.active !== true) throw new EvidenceError('DEVICE_INACTIVE', `device ${id} is deactivated; a deactivated device is not placed`);
        const placed = await deviceStore(tx).place({ deviceId: id, lotId: placement.lotId ?? null, location: placement.location ?? null, placedBy: context.submittedBy });
        await context.record(tx);
        return { device, placement: placed };
      });
    },

    async placements(id) {
      if ((await store.get(id)) === undefined) throw new EvidenceError('DEVICE_NOT_FOUND', `no device ${id}`);
      return store.placements(id);
    },

    currentPlacements: (ids) => store.currentPlacements(ids),

    lock: (tx, ids) => deviceStore(tx).lock(ids),
  };
}
