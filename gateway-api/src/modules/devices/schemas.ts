import { z } from 'zod';
import { id, refId, text } from '../../http/fields.js';
import { examplePem } from '../evidence-examples.js';
import { deviceId, label } from '../readings/envelope.js';
import { deviceAlgorithms } from './keys.js';

/** Request and response schemas of the devices module. */

export const deviceRegistrationBody = z
  .strictObject({
    id: deviceId,
    warehouseId: id,
    kind: label(64).openapi({ description: 'what the device measures, e.g. temperature, humidity, load-cell, door, gps, camera' }),
    algorithm: z.enum(deviceAlgorithms),
    publicKey: z.string().max(4096).openapi({ description: 'SPKI PEM (-----BEGIN PUBLIC KEY-----) of the stated algorithm' }),
  })
  .openapi('DeviceRegistration', {
    example: { id: 'TEMP-QD-03-01', warehouseId: 'WH-QINGDAO-01', kind: 'temperature', algorithm: 'Ed25519', publicKey: examplePem },
  });

const examplePlacement = {
  deviceId: 'TEMP-QD-03-01',
  lotId: 'LOT-QD-0001',
  location: 'Shed 3, bay 12, probe at pallet height',
  placedBy: 'custodian.supervisor',
  placedAt: '2026-11-01T02:05:00.000Z',
};

export const placementBody = z
  .strictObject({
    lotId: refId.optional().openapi({ description: "the lot the device watches (in the device's warehouse): its readings concern this lot" }),
    location: text(200).optional().openapi({ description: 'where in the warehouse the device is' }),
  })
  .refine((placement) => placement.lotId !== undefined || placement.location !== undefined, 'a placement names a lotId, a location, or both')
  .openapi('DevicePlacementRequest', { example: { lotId: 'LOT-QD-0001', location: 'Shed 3, bay 12, probe at pallet height' } });

export const placement = z
  .object({ deviceId: z.string(), lotId: z.string().nullable(), location: z.string().nullable(), placedBy: z.string(), placedAt: z.string() })
  .openapi('DevicePlacement', { example: examplePlacement });

export const placementList = z.array(placement).openapi('DevicePlacementList', { example: [examplePlacement] });

export const deviceListQuery = z.strictObject({
  warehouseId: refId.optional().openapi({ description: "only this warehouse's devices" }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: z.string().min(1).max(256).optional().openapi({ description: 'the `next` of the page before' }),
});

export const exampleDevice = {
  id: 'TEMP-QD-03-01',
  warehouseId: 'WH-QINGDAO-01',
  kind: 'temperature',
  algorithm: 'Ed25519' as const,
  publicKey: examplePem,
  active: true,
  createdBy: 'custodian.supervisor',
  createdAt: '2026-11-01T02:00:00.000Z',
  deactivatedAt: null,
  placement: examplePlacement,
};

export const device = z
  .object({
    id: z.string(),
    warehouseId: z.string(),
    kind: z.string(),
    algorithm: z.enum(deviceAlgorithms),
    publicKey: z.string(),
    active: z.boolean(),
    createdBy: z.string(),
    createdAt: z.string(),
    deactivatedAt: z.string().nullable(),
    placement: placement.nullable().openapi({ description: 'where the device is now; null until it is placed' }),
  })
  .openapi('Device', { example: exampleDevice });

