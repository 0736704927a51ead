import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { EvidenceError, type EvidenceErrorCode } from '../modules/errors.js';
import { LedgerError, type LedgerErrorCode } from '../ledger/errors.js';
import { WorkOrderError, workOrderErrorStatus, type WorkOrderErrorCode } from '../modules/work-orders/errors.js';
import './locals.js';
import { DatabaseError } from '../db/errors.js';

/** Problem codes of the HTTP layer itself (the ledger's and the chaincode's codes pass through unchanged). */
export type HttpProblemCode =
  | 'UNAUTHENTICATED'
  | 'VALIDATION_FAILED'
  | 'MALFORMED_JSON'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'ROUTE_NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'RATE_LIMITED'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'IDEMPOTENCY_IN_PROGRESS'
  | 'INVALID_HEADER'
  | 'INTERNAL_ERROR'
  | 'DATABASE_UNAVAILABLE'
  | 'SERVICE_UNAVAILABLE'
  | 'DEV_IDENTITIES_OFF'
  | 'CONSOLE_NOT_BUILT';

export type ProblemCode = HttpProblemCode | LedgerErrorCode | EvidenceErrorCode | WorkOrderErrorCode;

/** A refusal with its HTTP status and stable code, rendered as application/problem+json (RFC 9457). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    message: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** HTTP status of each ledger and chaincode code (docs/design.md section 7). */
const ledgerStatus: Readonly<Record<LedgerErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  FORBIDDEN: 403,
  FOUR_EYES: 403,
  ACCESS_DENIED: 403,
  NOT_FOUND: 404,
  INVALID_STATE: 409,
  ALREADY_PLEDGED: 409,
  ALREADY_EXISTS: 409,
  FROZEN: 409,
  MVCC_READ_CONFLICT: 409,
  PHANTOM_READ_CONFLICT: 409,
  DUPLICATE_TRANSACTION: 409,
  OVER_ISSUE: 422,
  LTV_COVENANT: 409,
  CURRENCY_MISMATCH: 422,
  INTERNAL: 500,
  CHAINCODE_ERROR: 500,
  LEDGER_UNAVAILABLE: 503,
  // The Gateway service plans endorsers from the policies current at simulation: a failure means a concurrent
  // transaction changed a key's policy first (e.g. two acceptances of one pledge), a conflict like MVCC.
  ENDORSEMENT_POLICY_FAILURE: 409,
};

/** HTTP status of each evidence code. */
const evidenceStatus: Readonly<Record<EvidenceErrorCode, number>> = {
  DEVICE_EXISTS: 409,
  DEVICE_NOT_FOUND: 404,
  INVALID_PUBLIC_KEY: 400,
  EVIDENCE_NOT_FOUND: 404,
  DOCUMENT_NOT_FOUND: 404,
  CONTENT_HASH_MISMATCH: 400,
  CONTENT_SIZE_MISMATCH: 400,
  BATCH_TOO_LARGE: 413,
  MALFORMED_BATCH: 400,
  NOT_YET_ANCHORED: 409,
  CHECKPOINT_NOT_FOUND: 404,
  DEVICE_INACTIVE: 409,
  RULE_EXISTS: 409,
  RULE_NOT_FOUND: 404,
  RULE_NOT_OWNED: 403,
  RULE_RETIRED: 409,
  RULE_UNCHANGED: 409,
  RULE_ID_MISMATCH: 400,
  RULE_SCOPE_FORBIDDEN: 403,
  ALARM_NOT_FOUND: 404,
  ALARM_ALREADY_ACKNOWLEDGED: 409,
  ALARM_NOT_SHELVABLE: 409,
  ALARM_NOT_ACTIVE: 409,
  PLACEMENT_WAREHOUSE_MISMATCH: 422,
  EVENT_NOT_FOUND: 404,
  // Webhooks
  WEBHOOK_NOT_FOUND: 404,
  WEBHOOK_TARGET_FORBIDDEN: 422,
  WEBHOOK_DELIVERY_NOT_FOUND: 404,
  WEBHOOK_LIMIT_REACHED: 409,
  // Collateral
  PRICE_NOT_FOUND: 404,
  PRICE_FEED_INVALID: 422,
  PRICE_FEED_UNREACHABLE: 502,
  PRICE_FEED_NOT_CONFIGURED: 409,
  LOAN_NOT_FOUND: 404,
  LOAN_AMBIGUOUS: 409,
  MARGIN_CALL_NOT_FOUND: 404,
};

const titles: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** The problem document for an error; unknown errors become a 500 that reveals nothing of the cause. */
export function toProblem(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof EvidenceError) return new ApiError(evidenceStatus[error.code], error.code, error.message);
  // The request may be fine: the database is unreachable or busy past the connection timeout (PGlite has one
  // connection, which a long transaction holds). Retry later; nothing was written.
  if (error instanceof DatabaseError) return new ApiError(503, 'DATABASE_UNAVAILABLE', 'the database is unavailable or busy; retry later');
  if (error instanceof WorkOrderError) return new ApiError(workOrderErrorStatus[error.code], error.code, error.message, error.extra);
  if (error instanceof LedgerError) {
    const status = ledgerStatus[error.code];
    const detail = status >= 500 ? 'the ledger could not complete the request' : error.message;
    // Only a transaction that was ordered (and then invalidated) is on the ledger for a client to look up.
    const ordered = error.code === 'MVCC_READ_CONFLICT' || error.code === 'PHANTOM_READ_CONFLICT';
    return new ApiError(status, error.code, detail, ordered && error.txId ? { txId: error.txId } : {});
  }
  return new ApiError(500, 'INTERNAL_ERROR', 'an unexpected error occurred; it has been logged');
}

export function sendProblem(res: Response, problem: ApiError, instance: string, requestId: string): void {
  if (problem.code === 'RATE_LIMITED' && typeof problem.extra.retryAfterSeconds === 'number') {
    res.setHeader('Retry-After', String(problem.extra.retryAfterSeconds));
  }
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({
      type: `urn:wr:problem:${problem.code.toLowerCase().replaceAll('_', '-')}`,
      title: titles[problem.status] ?? 'Error',
      status: problem.status,
      code: problem.code,
      detail: problem.message,
      instance,
      requestId,
      ...problem.extra,
    });
}

/** The one error middleware: every failure of every route goes through here. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const problem = toProblem(expressError(error) ?? error);
    const requestId = res.locals.requestId ?? '';
    if (problem.status >= 500) logger.error({ err: error, requestId, path: req.path }, 'request failed');
    sendProblem(res, problem, req.originalUrl.split('?')[0] ?? req.path, requestId);
  };
}

/** Body-parser failures carry a `type`; turn the ones a client can cause into their problems. */
function expressError(error: unknown): ApiError | undefined {
  // The router could not percent-decode a path parameter (`/v1/receipts/%ZZ`): the client's path is malformed.
  if (error instanceof URIError) {
    return new ApiError(400, 'VALIDATION_FAILED', 'path: not valid percent-encoding', {
      errors: [{ in: 'path', path: '', message: 'not valid percent-encoding' }],
    });
  }
  if (typeof error !== 'object' || error === null) return undefined;
  // A body whose Content-Encoding does not decode (gzip that is not gzip) is a client error without a `type`:
  // body-parser marks such errors status 400 and exposable.
  if (!('type' in error)) {
    const unreadable = 'status' in error && error.status === 400 && 'expose' in error && error.expose === true;
    return unreadable ? new ApiError(400, 'MALFORMED_JSON', 'the request body could not be decoded') : undefined;
  }
  switch (error.type) {
    case 'entity.too.large':
      return new ApiError(413, 'PAYLOAD_TOO_LARGE', 'the request body is larger than the service accepts');
    case 'entity.parse.failed':
      return new ApiError(400, 'MALFORMED_JSON', 'the request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'the request body must be UTF-8 JSON');
    case 'request.aborted':
    case 'request.size.invalid':
      return new ApiError(400, 'MALFORMED_JSON', 'the request body was incomplete');
    default:
      return undefined;
  }
}
