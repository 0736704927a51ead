/**
 * Stable codes the work-order use cases refuse a request with. Append-only: clients map them, so none is ever
 * renamed or removed. FOUR_EYES is the chaincode's code for the same rule, with the same status.
 */
export const workOrderErrorCodes = [
  'WORK_ORDER_NOT_FOUND',
  'WORK_ORDER_INVALID_TRANSITION',
  'FOUR_EYES',
  'WORK_ORDER_EVIDENCE_NOT_FOUND',
  'WORK_ORDER_ASSIGNEE_NOT_ELIGIBLE',
  'WORK_ORDER_SCHEDULE_EXISTS',
] as const;

export type WorkOrderErrorCode = (typeof workOrderErrorCodes)[number];

/** HTTP status of each code (docs/design.md section 7: 404 unknown or not visible, 409 wrong state, 422 rules). */
export const workOrderErrorStatus: Readonly<Record<WorkOrderErrorCode, number>> = {
  WORK_ORDER_NOT_FOUND: 404,
  WORK_ORDER_INVALID_TRANSITION: 409,
  FOUR_EYES: 403,
  WORK_ORDER_EVIDENCE_NOT_FOUND: 422,
  WORK_ORDER_ASSIGNEE_NOT_ELIGIBLE: 422,
  WORK_ORDER_SCHEDULE_EXISTS: 409,
};

/** A refused work-order request: the caller's mistake or a state conflict, with a stable code. Nothing was stored. */
export class WorkOrderError extends Error {
  override readonly name = 'WorkOrderError';

  constructor(
    readonly code: WorkOrderErrorCode,
    message: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}
