import { z } from 'zod';
import { refId, text } from '../../http/fields.js';

/** Request and response schemas of the alarms module. */

const readingRef = z.object({ evidenceId: z.string(), leafHash: z.string() });

export const exampleAlarm = {
  id: 'alm_3f9a1c2d4e5b6a7980f1e2d3c4b5a697',
  ruleId: 'chilled-sustained-WH-QINGDAO-01',
  ruleVersion: 1,
  ruleHash: '5d41402abc4b2a76b9719d911017c592ae2b7f10d1cb7a3ef6bd6ddc7e3a2c01',
  kind: 'sustained',
  metric: 'temperature',
  severity: 'critical',
  subject: { deviceId: 'TEMP-QD-03-01', lotId: 'LOT-QD-0001', warehouseId: 'WH-QINGDAO-01' },
  state: 'CLEARED',
  startedAt: '2026-11-21T02:10:00.000Z',
  clearedAt: '2026-11-21T03:05:00.000Z',
  stats: { count: 56, min: 4.6, max: 7.9, mean: 6.41, mktC: 6.52, outOfRangeMs: 3300000 },
  raisedBy: [{ evidenceId: 'ev_01JD3W6X7Y8Z9A0B1C2D3E4F5G', leafHash: '9c1185a5c5e9fc54612808977ee8f548b2258d31a0c1f1f5d2b4e8f0a1b2c3d4' }],
  clearedBy: [{ evidenceId: 'ev_01JD3WA1B2C3D4E5F6G7H8J9K0', leafHash: '1b4f0e9851971998e732078544c96b36c3d01cedf7caa332359d6f1d83567014' }],
  detail: 'temperature above 4 for 30 min (max 7.9)',
  status: 'ACTIVE',
  latched: true,
  acknowledgement: 'UNACK',
  acknowledged: null,
  shelved: null,
  raisedAt: '2026-11-21T02:40:01.120Z',
  updatedAt: '2026-11-21T03:05:02.310Z',
  ledger: [{ action: 'risk-event', status: 'done', txId: '7d3c5f0e8b2a41c69e0f1d2c3b4a59687766554433221100ffeeddccbbaa9988', lastError: null }],
};

export const alarm = z
  .object({
    id: z.string(),
    ruleId: z.string(),
    ruleVersion: z.number().int(),
    ruleHash: z.string(),
    kind: z.string(),
    metric: z.string(),
    severity: z.enum(['info', 'warning', 'major', 'critical']),
    subject: z.object({ deviceId: z.string().nullable(), lotId: z.string().nullable(), warehouseId: z.string() }),
    state: z.enum(['ACTIVE', 'CLEARED']).openapi({ description: "the engine's state of the episode" }),
    startedAt: z.string().openapi({ description: 'device time of the first triggering reading' }),
    clearedAt: z.string().nullable().openapi({ description: 'device time of the reading that cleared it' }),
    stats: z
      .object({ count: z.number(), min: z.number().nullable(), max: z.number().nullable(), mean: z.number().nullable(), mktC: z.number().optional(), outOfRangeMs: z.number() })
      .loose()
      .openapi({ description: 'over the episode; mktC is the mean kinetic temperature (temperature only)' }),
    raisedBy: z.array(readingRef),
    clearedBy: z.array(readingRef),
    detail: z.string(),
    status: z.enum(['ACTIVE', 'CLEARED', 'WITHDRAWN']).openapi({ description: 'ACTIVE also while a cleared critical alarm is latched until acknowledged' }),
    latched: z.boolean(),
    acknowledgement: z.enum(['ACK', 'UNACK']),
    acknowledged: z.object({ by: z.string(), at: z.string(), note: z.string().nullable() }).nullable(),
    shelved: z.object({ by: z.string(), until: z.string(), reason: z.string().nullable() }).nullable(),
    raisedAt: z.string(),
    updatedAt: z.string(),
    ledger: z.array(z.object({ action: z.string(), status: z.string(), txId: z.string().nullable(), lastError: z.string().nullable() })),
  })
  .loose()
  .openapi('Alarm', { example: exampleAlarm });

export const alarmList = z.array(alarm).openapi('AlarmList', { example: [exampleAlarm] });

export const alarmListQuery = z.strictObject({
  status: z.enum(['ACTIVE', 'CLEARED', 'WITHDRAWN']).optional(),
  severity: z.enum(['info', 'warning', 'major', 'critical']).optional(),
  lotId: refId.optional(),
  receiptId: refId.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: refId.optional(),
});

export const acknowledgementBody = z.strictObject({ note: text(1000).optional() }).openapi('AlarmAcknowledgement', { example: { note: 'door closed, compressor restarted' } });

/** Shelving is always for a time: at most 24 hours. */
export const MAX_SHELVING_MS = 24 * 60 * 60 * 1000;

export const shelvingBody = z
  .strictObject({
    forMs: z.number().int().min(60_000).max(MAX_SHELVING_MS).openapi({ description: 'how long, 1 minute to 24 hours; shelving is never permanent' }),
    reason: text(500).optional(),
  })
  .openapi('AlarmShelving', { example: { forMs: 3600000, reason: 'probe being recalibrated by the vendor' } });

export const alarmBundle = z
  .object({ format: z.literal('wr-alarm-bundle/1'), alarm: z.record(z.string(), z.unknown()), evidenceRoot: z.string(), evidence: z.array(z.record(z.string(), z.unknown())) })
  .openapi('AlarmBundle', {
    example: {
      format: 'wr-alarm-bundle/1',
      alarm: exampleAlarm,
      evidenceRoot: '0x5f2c1e0d9b8a7f6e5d4c3b2a190817f6e5d4c3b2a1908f7e6d5c4b3a29180716',
      evidence: [{ format: 'wr-evidence-bundle/1', evidence: { id: 'ev_01JD3W6X7Y8Z9A0B1C2D3E4F5G', kind: 'device-reading' } }],
    },
  });
