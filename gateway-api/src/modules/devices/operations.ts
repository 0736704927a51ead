import { z } from 'zod';
import { emptyBody, idParams } from '../../http/fields.js';
import { defineOperation } from '../../http/operation.js';
import { custodian, custodianRoles } from '../access.js';
import type { ReceiptRegistry } from '../../registry/receipt-registry.js';
import type { Devices } from './devices.js';
import * as schemas from './schemas.js';
import type { DeviceRecord, Placement } from './store.js';

/** What the devices module's operations are served by (the registry reads the lot a device is placed on). */
export interface DeviceServices {
  readonly devices: Devices;
  readonly registry: ReceiptRegistry;
}

const operation = defineOperation<DeviceServices>();

const placementView = (placement: Placement): z.infer<typeof schemas.placement> => ({
  deviceId: placement.deviceId,
  lotId: placement.lotId,
  location: placement.location,
  placedBy: placement.placedBy,
  placedAt: placement.placedAt.toISOString(),
});

/** A device with its current placement, read in one query for both. */
async function deviceWithPlacement(devices: Devices, device: DeviceRecord): Promise<z.infer<typeof schemas.device>> {
  const placement = (await devices.currentPlacements([device.id])).get(device.id);
  return deviceView(device, placement);
}

const deviceView = (device: DeviceRecord, placement: Placement | undefined): z.infer<typeof schemas.device> => ({
  id: device.id,
  warehouseId: device.warehouseId,
  kind: device.kind,
  algorithm: device.algorithm,
  publicKey: device.publicKey,
  active: device.active,
  createdBy: device.createdBy,
  createdAt: device.createdAt.toISOString(),
  deactivatedAt: device.deactivatedAt?.toISOString() ?? null,
  placement: placement === undefined ? null : placementView(placement),
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
    run: async ({ body, write }, { devices }) => ({ data: deviceView(await devices.register(body, write), undefined) }),
  }),
  operation({
    operationId: 'listDevices',
    method: 'get',
    path: '/v1/devices',
    summary: 'Registered devices in id order, of one warehouse if asked, a page at a time, each with its current placement',
    tag: 'Devices',
    allowed: custodianRoles,
    query: schemas.deviceListQuery,
    response: z.array(schemas.device),
    documentedResponse: {
      description: 'a page of devices; `next` is the `after` of the next page',
      schema: z.object({ data: z.array(schemas.device), next: z.string().nullable() }),
      example: { data: [schemas.exampleDevice], next: null },
    },
    successStatus: 200,
    run: async ({ query }, { devices }) => {
      const page = await devices.list(query);
      const placements = await devices.currentPlacements(page.items.map((device) => device.id));
      return { data: page.items.map((device) => deviceView(device, placements.get(device.id))), extra: { next: page.next } };
    },
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
    run: async ({ params }, { devices }) => ({ data: await deviceWithPlacement(devices, await devices.get(params.id)) }),
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
    run: async ({ params, write }, { devices }) => ({ data: await deviceWithPlacement(devices, await devices.deactivate(params.id, write)) }),
  }),
  operation({
    operationId: 'placeDevice',
    method: 'post',
    path: '/v1/devices/{id}/placement',
    summary: "Place a device at a location and/or on a lot of its warehouse: its readings then concern that lot (the earlier placements stay as its history)",
    tag: 'Devices',
    allowed: custodian('supervisor'),
    params: idParams,
    body: schemas.placementBody,
    response: schemas.placement,
    audit: 'PlaceDevice',
    successStatus: 201,
    run: async ({ params, body, caller, write }, { devices, registry }) => {
      const placed = await devices.place(params.id, body, (lotId) => registry.getLot(caller.identity, lotId), write);
      return { data: placementView(placed.placement) };
    },
  }),
  operation({
    operationId: 'listDevicePlacements',
    method: 'get',
    path: '/v1/devices/{id}/placements',
    summary: "A device's placements, newest first: which lot and location its readings concerned, and since when",
    tag: 'Devices',
    allowed: custodianRoles,
    params: idParams,
    response: schemas.placementList,
    successStatus: 200,
    run: async ({ params }, { devices }) => ({ data: (await devices.placements(params.id)).map(placementView) }),
  }),
];
