import type { z } from 'zod';

/**
 * Stable refusal codes. The gateway maps them to HTTP without reading message text, and banks map them in their own
 * systems, so this list is append-only: never rename or remove a code.
 */
export const errorCodes = [
  'NOT_FOUND',
  'FORBIDDEN',
  'INVALID_STATE',
  'FOUR_EYES',
  'OVER_ISSUE',
  'ALREADY_PLEDGED',
  'ALREADY_EXISTS',
  'FROZEN',
  'INVALID_ARGUMENT',
  // Collateral value (docs/collateral.md): a release that would leave its loan at or above the warning line, and an
  // amount or mark in another currency than the loan's or the commodity's (never converted).
  'LTV_COVENANT',
  'CURRENCY_MISMATCH',
  // Not a refusal: an invariant of ours broke (corrupt state, a bug). Never expected in normal operation.
  'INTERNAL',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/**
 * A refusal with a stable code. Its `message` is the JSON text `{"code":...,"message":...}` because
 * fabric-contract-api hands only `error.message` to the client; `reason` keeps the human text.
 */
export class ChaincodeError extends Error {
  readonly code: ErrorCode;
  readonly reason: string;

  constructor(code: ErrorCode, reason: string, options?: { cause?: unknown }) {
    // Keys already in sorted order, so this is byte-identical to what marshal would produce.
    super(JSON.stringify({ code, message: reason }), options);
    this.name = 'ChaincodeError';
    this.code = code;
    this.reason = reason;
  }
}

/** Turns anything thrown inside a transaction into a ChaincodeError, so the client always receives our JSON. */
export function toChaincodeError(error: unknown): ChaincodeError {
  if (error instanceof ChaincodeError) {
    return error;
  }
  const text = error instanceof Error ? error.message : String(error);
  return new ChaincodeError('INTERNAL', `unexpected chaincode failure: ${text}`, { cause: error });
}

/** The caller asked about something it may not see, or that does not exist (the two are indistinguishable). */
export const notFound = (what: string): ChaincodeError => new ChaincodeError('NOT_FOUND', `${what} not found`);
/** The caller's organisation or role may not run this transaction. */
export const forbidden = (reason: string): ChaincodeError => new ChaincodeError('FORBIDDEN', reason);
/** The object is not in a state that allows the transaction. */
export const invalidState = (reason: string): ChaincodeError => new ChaincodeError('INVALID_STATE', reason);
/** The caller's input is malformed or inconsistent with the object. */
export const invalidArgument = (reason: string): ChaincodeError => new ChaincodeError('INVALID_ARGUMENT', reason);
/** One of our own invariants broke; a bug or corrupt state, never the caller's fault. */
export const internal = (reason: string): ChaincodeError => new ChaincodeError('INTERNAL', reason);

/** A short, path-level account of why a value failed its schema (first three issues). */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
