import { anyKnownCaller } from '@wr/chaincode/roles';
import { z } from 'zod';
import type { Database } from '../../db/database.js';
import { defineOperation, serve } from '../../http/operation.js';
import type { Clock } from '../../platform/clock.js';
import { defineModule } from '../../platform/module.js';
import { viewerOf } from '../access.js';
import { dashboard, pledgeStatuses } from './queries.js';

const operation = defineOperation<{ readonly db: Database; readonly clock: Clock }>();

const dashboardQuery = z.strictObject({
  days: z.coerce.number().int().min(1).max(366).default(30).openapi({ description: 'how many days of alarms', example: 30 }),
});

const dashboardSchema = z
  .object({
    asOf: z.string(),
    pledged: z.array(z.object({ commodity: z.string(), unit: z.string(), warehouseId: z.string(), status: z.enum(pledgeStatuses), receipts: z.number().int(), quantity: z.string() })),
    alarms: z.array(z.object({ day: z.string(), warehouseId: z.string(), severity: z.string(), count: z.number().int() })),
    anchoring: z.object({
      lastAnchored: z.object({ seq: z.number().int(), anchoredAt: z.string(), leafCount: z.number().int() }).nullable(),
      ageSeconds: z.number().int().nullable(),
      leavesWaiting: z.number().int(),
    }),
  })
  .openapi('Dashboard', {
    example: {
      asOf: '2026-12-01T08:00:00.000Z',
      pledged: [{ commodity: 'aluminium ingot A00', unit: 't', warehouseId: 'WH-QINGDAO-01', status: 'PLEDGED', receipts: 12, quantity: '6000.5' }],
      alarms: [{ day: '2026-11-30', warehouseId: 'WH-QINGDAO-01', severity: 'major', count: 2 }],
      anchoring: { lastAnchored: { seq: 41, anchoredAt: '2026-12-01T07:59:50.000Z', leafCount: 180 }, ageSeconds: 10, leavesWaiting: 7 },
    },
  });

export const dashboardOperations = [
  operation({
    operationId: 'getDashboard',
    method: 'get',
    path: '/v1/dashboard',
    summary:
      "The dashboard's figures over what the caller may see: quantities under pledge by commodity and warehouse, alarms by " +
      'day, warehouse and severity, and how fresh the anchoring is',
    tag: 'Dashboard',
    allowed: anyKnownCaller,
    query: dashboardQuery,
    response: dashboardSchema,
    successStatus: 200,
    run: async ({ query, caller }, { db, clock }) => ({ data: await dashboard(db, viewerOf(caller), clock.now(), query.days) }),
  }),
];

/** The dashboards' (大屏) figures, read from the tables of the receipts, alarms and anchoring modules. */
export const dashboardModule = defineModule('dashboard', { migrations: [] }, (ctx) => ({ operations: serve(dashboardOperations, { db: ctx.db, clock: ctx.clock }) }));
