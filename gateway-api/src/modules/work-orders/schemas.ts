import { IANAZone } from 'luxon';
import { z } from 'zod';
import { id, refId, text, userId } from '../../http/fields.js';
import { timeZone } from './calendar.js';
import { historyEntrySchema, priorities, severities, workOrderStates } from './model.js';
import { cronProblem, dayRules } from './schedules.js';

/** Request and response schemas of the work-orders module. */

const note = text(4000).openapi({ description: 'what was done, found or waited for' });
const evidenceIds = z
  .array(refId)
  .max(50)
  .openapi({ description: 'ids of evidence already stored (POST /v1/evidence, POST /v1/documents): photos, count sheets, readings' });

export const workOrderBody = z
  .strictObject({
    title: text(200),
    description: text(4000).optional(),
    priority: z.enum(priorities),
    severity: z.enum(severities).optional().openapi({ description: 'critical: whoever resolves it may not close it (four eyes)' }),
    warehouseId: id,
    lotId: refId.optional(),
    location: text(200).optional(),
    receiptIds: z.array(refId).max(100).optional(),
    note: note.optional(),
    evidenceIds: evidenceIds.optional(),
  })
  .openapi('WorkOrderRequest', {
    example: {
      title: 'Re-stack bay 12: pallets leaning',
      priority: 'P3',
      warehouseId: 'WH-QINGDAO-01',
      lotId: 'LOT-QD-0001',
      location: 'Shed 3, bay 12',
      note: 'seen on the morning round',
      evidenceIds: ['ev_01JD3Q2Z7C8W1X9Y4V5T6S7R8P'],
    },
  });

const common = { note: note.optional(), evidenceIds: evidenceIds.optional() };

export const assignmentBody = z
  .strictObject({ assignee: userId.openapi({ description: 'identity id of a custodian clerk or supervisor', example: 'custodian.clerk' }), ...common })
  .openapi('WorkOrderAssignment', { example: { assignee: 'custodian.clerk', note: 'count it before noon' } });

export const progressBody = z.strictObject(common).openapi('WorkOrderProgress', { example: { note: 'on site', evidenceIds: ['ev_01JD3Q2Z7C8W1X9Y4V5T6S7R8P'] } });

export const waitingBody = z
  .strictObject({ note: note.openapi({ description: 'what the work waits for (the resolve clock is paused meanwhile)' }), evidenceIds: evidenceIds.optional() })
  .openapi('WorkOrderWaiting', { example: { note: 'waiting for the compressor technician' } });

export const resolutionBody = z
  .strictObject({ note, evidenceIds: evidenceIds.optional() })
  .openapi('WorkOrderResolution', { example: { note: 'compressor replaced; room back at -19 °C', evidenceIds: ['ev_01JD3Q2Z7C8W1X9Y4V5T6S7R8P'] } });

export const closureBody = z.strictObject(common).openapi('WorkOrderClosure', { example: { note: 'checked the readings since the repair' } });

export const reopeningBody = z
  .strictObject({ note, assignee: userId.optional().openapi({ description: 'who redoes it; default: the assignee it had' }), evidenceIds: evidenceIds.optional() })
  .openapi('WorkOrderReopening', { example: { note: 'temperature rising again', assignee: 'custodian.clerk' } });

export const workOrderListQuery = z.strictObject({
  state: z.enum(workOrderStates).optional(),
  priority: z.enum(priorities).optional(),
  warehouseId: refId.optional(),
  lotId: refId.optional(),
  alarmId: refId.optional(),
  scheduleId: refId.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after: refId.optional(),
});

const clockReading = z.object({
  goalMs: z.number(),
  elapsedMs: z.number(),
  remainingMs: z.number(),
  percent: z.number(),
  status: z.enum(['running', 'paused', 'stopped']),
  breached: z.boolean(),
  dueAt: z.string().nullable(),
  stoppedAt: z.string().nullable(),
});


const exampleWorkOrder = {
  id: 'WO-000042',
  source: { type: 'alarm', alarmId: 'alm_5f0c2a9e7b3d41c6a8e1f2d3c4b5a697' },
  title: 'Cold room 3 above -15 °C',
  description: 'Cold room 3 above -15 °C',
  priority: 'P1',
  severity: 'critical',
  warehouseId: 'WH-QINGDAO-01',
  lotId: 'LOT-QD-0001',
  location: 'Shed 3, cold room 3',
  receiptIds: ['WR-2026-0001'],
  assignee: 'custodian.clerk',
  state: 'IN_PROGRESS',
  sla: {
    priority: 'P1',
    cycleStartedAt: '2026-11-20T02:00:00.000Z',
    acknowledge: { goalMs: 1_800_000, elapsedMs: 600_000, remainingMs: 1_200_000, percent: 33.33, status: 'stopped', breached: false, dueAt: null, stoppedAt: '2026-11-20T02:10:00.000Z' },
    resolve: { goalMs: 14_400_000, elapsedMs: 1_800_000, remainingMs: 12_600_000, percent: 12.5, status: 'running', breached: false, dueAt: '2026-11-20T06:00:00.000Z', stoppedAt: null },
  },
  history: [
    { at: '2026-11-20T02:00:00.000Z', actor: 'custodian.device-gateway', action: 'create', from: null, to: 'OPEN', priority: 'P1' },
    { at: '2026-11-20T02:10:00.000Z', actor: 'custodian.supervisor', action: 'assign', from: 'OPEN', to: 'ASSIGNED', assignee: 'custodian.clerk' },
    { at: '2026-11-20T02:20:00.000Z', actor: 'custodian.clerk', action: 'start', from: 'ASSIGNED', to: 'IN_PROGRESS', note: 'on site', evidenceIds: ['ev_01JD3Q2Z7C8W1X9Y4V5T6S7R8P'] },
  ],
  createdBy: 'custodian.device-gateway',
  createdAt: '2026-11-20T02:00:00.000Z',
  updatedAt: '2026-11-20T02:20:00.000Z',
};

const workOrderShape = z.object({
  id: z.string(),
  source: z.discriminatedUnion('type', [
    z.object({ type: z.literal('alarm'), alarmId: z.string() }),
    z.object({ type: z.literal('schedule'), scheduleId: z.string(), occurrence: z.string() }),
    z.object({ type: z.literal('manual') }),
  ]),
  title: z.string(),
  description: z.string(),
  priority: z.enum(priorities),
  severity: z.enum(severities).nullable(),
  warehouseId: z.string(),
  lotId: z.string().nullable(),
  location: z.string().nullable(),
  receiptIds: z.array(z.string()),
  assignee: z.string().nullable(),
  state: z.enum(workOrderStates),
  sla: z.object({ priority: z.enum(priorities), cycleStartedAt: z.string(), acknowledge: clockReading, resolve: clockReading }),
  history: z.array(historyEntrySchema),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const workOrder = workOrderShape.openapi('WorkOrder', { example: exampleWorkOrder });
export const workOrderList = z.array(workOrderShape).openapi('WorkOrderList', { example: [exampleWorkOrder] });

/** "First working day of each quarter: count every A-class location" (docs/design.md section 9). */
const exampleScheduleRequest = {
  id: 'QUARTERLY-COUNT-A',
  cron: '0 8 * 1,4,7,10 *',
  timeZone: 'Asia/Shanghai',
  dayRule: 'first-working-day',
  title: 'Quarterly full count of every A-class location',
  priority: 'P2',
  scope: { warehouseId: 'WH-QINGDAO-01', locationClass: 'A' },
} as const;

export const scheduleBody = z
  .strictObject({
    id,
    cron: z.string().max(200).openapi({ description: '5-field cron (minute hour day-of-month month day-of-week), read in timeZone' }),
    timeZone: timeZone.openapi({ example: 'Asia/Shanghai' }),
    dayRule: z
      .enum(dayRules)
      .default('any')
      .openapi({ description: 'any: every cron time; working-day: only on working days of the calendar; first-working-day: the first of those in each month' }),
    title: text(200),
    description: text(4000).optional(),
    priority: z.enum(priorities).default('P3'),
    scope: z.strictObject({ warehouseId: id, locationClass: text(32).optional().openapi({ example: 'A' }) }),
  })
  .superRefine((schedule, issues) => {
    // A bad zone is reported on timeZone; the cron expression is checked on its own then.
    const problem = cronProblem(schedule.cron, IANAZone.isValidZone(schedule.timeZone) ? schedule.timeZone : 'UTC');
    if (problem !== undefined) issues.addIssue({ code: 'custom', path: ['cron'], message: `not a cron expression croner accepts: ${problem}` });
  })
  .openapi('WorkOrderScheduleRequest', { example: exampleScheduleRequest });

const exampleSchedule = {
  ...exampleScheduleRequest,
  createdBy: 'custodian.supervisor',
  createdAt: '2026-11-20T02:00:00.000Z',
  consideredUntil: '2026-11-20T02:00:00.000Z',
  nextOccurrences: ['2027-01-04T00:00:00.000Z', '2027-04-01T00:00:00.000Z'],
};

const scheduleShape = z.object({
  id: z.string(),
  cron: z.string(),
  timeZone: z.string(),
  dayRule: z.enum(dayRules),
  title: z.string(),
  description: z.string().optional(),
  priority: z.enum(priorities),
  scope: z.object({ warehouseId: z.string(), locationClass: z.string().optional() }),
  createdBy: z.string(),
  createdAt: z.string(),
  consideredUntil: z.string(),
  nextOccurrences: z.array(z.string()).openapi({ description: 'the next occurrences that will raise a work order (up to 3, within a year and a half)' }),
});

export const schedule = scheduleShape.openapi('WorkOrderSchedule', { example: exampleSchedule });
export const scheduleList = z.array(scheduleShape).openapi('WorkOrderScheduleList', { example: [exampleSchedule] });
