import type { z } from 'zod';
import { emptyBody, idParams } from '../../http/fields.js';
import { defineOperation } from '../../http/operation.js';
import { custodian, custodianRoles } from '../access.js';
import type { Devices } from './devices.js';
import * as schemas from './schemas.js';
import type { DeviceRecord } from './store.js';

const operation = defineOperation<Devices>();

const deviceView = (device: DeviceRecord): z.infer<typeof schemas.device> => ({
  id: device.id,
  warehouseId: device.warehouseId,
  kind: device.kind,
  algorithm: device.algorithm,
  publicKey: device.publicKey,
  active: device.active,
  createdBy: device.createdBy,
  createdAt: device.createdAt.toISOString(),
  deactivatedAt: device.deactivatedAt?.toISOString() ?? null,
});

export const operations = [
  operation({
    operationId: 'registerDevice',
    method: 'post',
    path: '/v1/devices',
    summary: 'Register a device and the public key it signs its readings with (Ed25519 or ECDSA P-256, SPKI PEM)',
    tag: 'Devices',
    allowed: custodian('supervisor'),
    body: schemas.deviceRegistrationBody,
    response: schemas.device,
    audit: 'RegisterDevice',
    successStatus: 201,
    run: async ({ body, write }, devices) => ({ data: deviceView(await devices.register(body, write)) }),
  }),
  operation({
    operationId: 'getDevice',
    method: 'get',
    path: '/v1/devices/{id}',
    summary: 'A registered device, its key and whether it is active',
    tag: 'Devices',
    allowed: custodianRoles,
    params: idParams,
    response: schemas.device,
    successStatus: 200,
    run: async ({ params }, devices) => ({ data: deviceView(await devices.get(params.id)) }),
  }),
  operation({
    operationId: 'deactivateDevice',
    method: 'post',
    path: '/v1/devices/{id}/deactivate',
    summary: 'Deactivate a device: its later submissions are refused with DEVICE_INACTIVE (its evidence stays)',
    tag: 'Devices',
    allowed: custodian('supervisor'),
    params: idParams,
    body: emptyBody.optional(),
    response: schemas.device,
    audit: 'DeactivateDevice',
    successStatus: 200,
    run: async ({ params, write }, devices) => ({ data: deviceView(await devices.deactivate(params.id, write)) }),
  }),
];
