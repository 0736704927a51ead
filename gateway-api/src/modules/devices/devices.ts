import type { Database } from '../../db/database.js';
import type { WriteContext } from '../../platform/write.js';
import { EvidenceError } from '../errors.js';
import { parseDeviceKey, type DeviceAlgorithm, type DeviceKey } from './keys.js';
import { deviceStore, type DeviceRecord } from './store.js';

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
  /** The parsed keys of the devices named (one query); unknown devices are absent. */
  keys(ids: readonly string[]): Promise<Map<string, { readonly active: boolean; readonly key: DeviceKey }>>;
  /** The devices' rows locked in the caller's transaction `tx`: whether each is still active until it commits. */
  lock(tx: Parameters<typeof deviceStore>[0], ids: readonly string[]): Promise<Map<string, { readonly active: boolean }>>;
}

export function devices(db: Database): Devices {
  const store = deviceStore(db);
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
      return db.transaction(async (tx) => {
        const device = await deviceStore(tx).deactivate(id, context.submittedBy);
        if (device === undefined) throw new EvidenceError('DEVICE_NOT_FOUND', `no device ${id}`);
        await context.record(tx);
        return device;
      });
    },

    async get(id) {
      const device = await store.get(id);
      if (device === undefined) throw new EvidenceError('DEVICE_NOT_FOUND', `no device ${id}`);
      return device;
    },

    async keys(ids) {
      const found = await store.many([...new Set(ids)]);
      // Stored keys were parsed at registration; parsing again here is what turns them into KeyObjects.
      return new Map([...found].map(([id, device]) => [id, { active: device.active, key: parseDeviceKey(device.algorithm, device.publicKey) }]));
    },

    lock: (tx, ids) => deviceStore(tx).lock(ids),
  };
}
