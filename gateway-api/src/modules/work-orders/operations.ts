import type { z } from 'zod';
import type { Caller } from '../../http/auth.js';
import { idParams } from '../../http/fields.js';
import { defineOperation } from '../../http/operation.js';
import type { Clock } from '../../platform/clock.js';
import { custodian } from '../access.js';
import type { Calendar } from './calendar.js';
import { transitionActors, type TransitionName } from './model.js';
import { occurrences } from './schedules.js';
import * as schemas from './schemas.js';
import type { StoredSchedule } from './store.js';
import type { Viewer } from '../receipts/index.js';
import type { TransitionInput, WorkOrder, WorkOrders } from './work-orders.js';

/** What the work-orders module's operations are served by. */
export interface WorkOrderServices {
  readonly workOrders: WorkOrders;
  readonly calendar: Calendar;
  readonly clock: Clock;
}

const operation = defineOperation<WorkOrderServices>();

/** Who acts on work orders: the custodian's clerks and supervisors. */
const actors = custodian('clerk', 'supervisor');
const supervisors = custodian('supervisor');
const readers = 'anyone; the custodian sees every work order, a lender those on lots pledged to it, a borrower those on lots with its receipts';

const viewerOf = (caller: Caller): Viewer => ({ mspId: caller.record.mspId, user: caller.record.user, role: caller.record.role });

export const workOrderView = (order: WorkOrder): z.infer<typeof schemas.workOrder> => ({
  id: order.id,
  source: order.source,
  title: order.title,
  description: order.description,
  priority: order.priority,
  severity: order.severity,
  warehouseId: order.warehouseId,
  lotId: order.lotId,
  location: order.location,
  receiptIds: [...order.receiptIds],
  assignee: order.assignee,
  state: order.state,
  sla: order.sla,
  history: order.history.map(({ evidenceIds, ...entry }) => ({ ...entry, ...(evidenceIds === undefined ? {} : { evidenceIds: [...evidenceIds] }) })),
  createdBy: order.createdBy,
  createdAt: order.createdAt.toISOString(),
  updatedAt: order.updatedAt.toISOString(),
});

const YEAR_AND_A_HALF_MS = 550 * 86_400_000;

function scheduleView(stored: StoredSchedule, calendar: Calendar, now: Date): z.infer<typeof schemas.schedule> {
  const { due } = occurrences(stored.definition, calendar, now, new Date(now.getTime() + YEAR_AND_A_HALF_MS));
  return {
    ...stored.definition,
    scope: { ...stored.definition.scope },
    createdBy: stored.createdBy,
    createdAt: stored.createdAt.toISOString(),
    consideredUntil: stored.consideredUntil.toISOString(),
    nextOccurrences: due.slice(0, 3).map((time) => time.toISOString()),
  };
}

/** A transition's operation: `POST /v1/work-orders/{id}/<name>`, audited as `audit`. */
function transition<B extends z.ZodType<TransitionInput | undefined>>(name: TransitionName, operationId: string, audit: string, summary: string, body: B) {
  return operation({
    operationId,
    method: 'post',
    path: `/v1/work-orders/{id}/${name}`,
    summary,
    tag: 'Work orders',
    allowed: custodian(...transitionActors[name]),
    params: idParams,
    body,
    response: schemas.workOrder,
    audit,
    successStatus: 200,
    run: async ({ params, body: input, write }, { workOrders }) => ({ data: workOrderView(await workOrders.transition(params.id, name, input ?? {}, write)) }),
  });
}

export const operations = [
  operation({
    operationId: 'createWorkOrder',
    method: 'post',
    path: '/v1/work-orders',
    summary: 'Raise a work order by hand (alarms and schedules raise theirs themselves)',
    tag: 'Work orders',
    allowed: actors,
    body: schemas.workOrderBody,
    response: schemas.workOrder,
    audit: 'CreateWorkOrder',
    successStatus: 201,
    run: async ({ body, write }, { workOrders }) => ({ data: workOrderView(await workOrders.create(body, write)) }),
  }),
  operation({
    operationId: 'listWorkOrders',
    method: 'get',
    path: '/v1/work-orders',
    summary: 'Work orders the caller may see, in id order, filtered and paged (`next` is the `after` of the next page)',
    tag: 'Work orders',
    who: readers,
    query: schemas.workOrderListQuery,
    response: schemas.workOrderList,
    successStatus: 200,
    run: async ({ query, caller }, { workOrders }) => {
      const page = await workOrders.list(viewerOf(caller), query);
      return { data: page.items.map(workOrderView), extra: { next: page.next } };
    },
  }),
  operation({
    operationId: 'getWorkOrder',
    method: 'get',
    path: '/v1/work-orders/{id}',
    summary: 'A work order with its whole history and its SLA clocks now',
    tag: 'Work orders',
    who: readers,
    params: idParams,
    response: schemas.workOrder,
    successStatus: 200,
    run: async ({ params, caller }, { workOrders }) => ({ data: workOrderView(await workOrders.get(params.id, viewerOf(caller))) }),
  }),
  transition('assignment', 'assignWorkOrder', 'AssignWorkOrder', 'Assign a work order (from OPEN it becomes ASSIGNED; later it is handed on in its state)', schemas.assignmentBody),
  transition('start', 'startWorkOrder', 'StartWorkOrder', 'Start the work (ASSIGNED), or resume it after WAITING', schemas.progressBody.optional()),
  transition('waiting', 'holdWorkOrder', 'HoldWorkOrder', 'Wait for something outside (parts, a technician): the resolve clock pauses', schemas.waitingBody),
  transition('resolution', 'resolveWorkOrder', 'ResolveWorkOrder', 'Resolve the work order, saying what was done', schemas.resolutionBody),
  transition('closure', 'closeWorkOrder', 'CloseWorkOrder', 'Close a resolved work order; on a critical one, not by whoever resolved it (FOUR_EYES)', schemas.closureBody.optional()),
  transition('reopening', 'reopenWorkOrder', 'ReopenWorkOrder', 'Reopen a resolved or closed work order: back to ASSIGNED, its clocks start again', schemas.reopeningBody),
  operation({
    operationId: 'createWorkOrderSchedule',
    method: 'post',
    path: '/v1/work-order-schedules',
    summary: 'Schedule work orders (stock counts): one work order per occurrence of a cron expression, kept by a day rule',
    tag: 'Work orders',
    allowed: supervisors,
    body: schemas.scheduleBody,
    response: schemas.schedule,
    audit: 'CreateWorkOrderSchedule',
    successStatus: 201,
    run: async ({ body, write }, { workOrders, calendar, clock }) => ({ data: scheduleView(await workOrders.createSchedule(body, write), calendar, clock.now()) }),
  }),
  operation({
    operationId: 'listWorkOrderSchedules',
    method: 'get',
    path: '/v1/work-order-schedules',
    summary: 'The work-order schedules, with their next occurrences',
    tag: 'Work orders',
    allowed: custodian('clerk', 'supervisor', 'auditor'),
    response: schemas.scheduleList,
    successStatus: 200,
    run: async (_input, { workOrders, calendar, clock }) => ({ data: (await workOrders.schedules()).map((stored) => scheduleView(stored, calendar, clock.now())) }),
  }),
];
