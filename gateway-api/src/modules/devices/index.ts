import { serve } from '../../http/operation.js';
import { defineModule } from '../../platform/module.js';
import { devices as deviceRegistry, type Devices } from './devices.js';
import { operations } from './operations.js';

export { type DeviceRegistration, type Devices } from './devices.js';
export { deviceAlgorithms, parseDeviceKey, verifyDeviceSignature, type DeviceAlgorithm, type DeviceKey } from './keys.js';
export { type DeviceRecord, type Placement } from './store.js';
export { operations as deviceOperations } from './operations.js';

declare module '../../platform/module.js' {
  interface ModuleApis {
    devices: Devices;
  }
}

/** Devices and the keys they sign their readings with: POST/GET /v1/devices, deactivation. */
export const devicesModule = defineModule('devices', { migrations: ['007_devices_placements'] }, (ctx) => {
  const devices = deviceRegistry(ctx.db);
  return { operations: serve(operations, { devices, registry: ctx.registry }), api: devices };
});
