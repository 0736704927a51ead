import { z } from 'zod';
import { id } from '../../http/fields.js';
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
  })
  .openapi('Device', {
    example: {
      id: 'TEMP-QD-03-01',
      warehouseId: 'WH-QINGDAO-01',
      kind: 'temperature',
      algorithm: 'Ed25519',
      publicKey: examplePem,
      active: true,
      createdBy: 'custodian.supervisor',
      createdAt: '2026-11-01T02:00:00.000Z',
      deactivatedAt: null,
    },
  });

