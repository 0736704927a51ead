import pg from 'pg';

/**
 * Stable codes the database layer fails with. Append-only: the HTTP layer maps them to responses, so none is ever
 * renamed or removed.
 */
export const storeErrorCodes = [
  'ALREADY_EXISTS',
  'NOT_FOUND',
  'DATABASE_UNAVAILABLE',
  'MIGRATION_MISMATCH',
  'MIGRATION_FAILED',
  'INVALID_ARGUMENT',
  'PROJECTION_TIMEOUT',
  'PROJECTION_STOPPED',
] as const;

export type StoreErrorCode = (typeof storeErrorCodes)[number];

/** A refused or failed database operation with a stable code; messages never carry SQL text. */
export class StoreError extends Error {
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options: { readonly cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'StoreError';
    this.code = code;
  }
}

/** The database could not be reached or dropped the connection: retry later, the request itself may be fine. */
export class DatabaseError extends StoreError {
  declare readonly code: 'DATABASE_UNAVAILABLE';

  constructor(message: string, cause: unknown) {
    super('DATABASE_UNAVAILABLE', message, { cause });
    this.name = 'DatabaseError';
  }
}

/**
 * SQLSTATE classes and codes that mean "no usable connection" rather than "this statement is wrong": connection
 * exceptions (08), server shutting down or starting (57P01-57P03), too many connections (53300), unknown database
 * (3D000) and failed authentication (28000, 28P01).
 */
const unavailableStates = new Set(['57P01', '57P02', '57P03', '53300', '3D000', '28000', '28P01']);

/** SQLSTATE of an error the server reported, if it is one. */
export function sqlState(error: unknown): string | undefined {
  return error instanceof pg.DatabaseError ? error.code : undefined;
}

/**
 * Whether a driver error means the database is unavailable. Classified by type and code, never by message: a
 * server-reported error is a connection failure only for the states above; anything else the driver throws (socket
 * errors, a connection that ended, a pool wait that timed out) is one too, except the TypeErrors of a misused API.
 */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof pg.DatabaseError) {
    const code = error.code ?? '';
    return code.startsWith('08') || unavailableStates.has(code);
  }
  return !(error instanceof TypeError);
}

/** The error to throw for a driver failure: a DatabaseError when the database is unavailable, else the original. */
export function translateDriverError(error: unknown): unknown {
  if (error instanceof StoreError || !isUnavailable(error)) return error;
  return new DatabaseError('the database is unavailable', error);
}
