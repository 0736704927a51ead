import { errorCodes as chaincodeErrorCodes } from '@wr/chaincode/errors';
import { z } from 'zod';

/**
 * Stable codes a ledger call can fail with: the chaincode's own refusal codes, then the ledger's. Append-only: banks
 * map these codes, so none is ever renamed or removed.
 */
export const ledgerErrorCodes = [
  ...chaincodeErrorCodes,
  'MVCC_READ_CONFLICT',
  'PHANTOM_READ_CONFLICT',
  'ACCESS_DENIED',
  'CHAINCODE_ERROR',
  'LEDGER_UNAVAILABLE',
  'DUPLICATE_TRANSACTION',
  'ENDORSEMENT_POLICY_FAILURE',
] as const;

export type LedgerErrorCode = (typeof ledgerErrorCodes)[number];

export interface LedgerErrorOptions {
  readonly code: LedgerErrorCode;
  readonly txId?: string;
  readonly cause?: unknown;
}

/** A refused or failed ledger call, with a stable code and, when one was created, the transaction id. */
export class LedgerError extends Error {
  readonly code: LedgerErrorCode;
  readonly txId: string | undefined;

  constructor(message: string, options: LedgerErrorOptions) {
    super(message, { cause: options.cause });
    this.name = 'LedgerError';
    this.code = options.code;
    this.txId = options.txId;
  }
}

const chaincodeErrorSchema = z.object({ code: z.string(), message: z.string() });

/**
 * Reads the structured error the chaincode puts in its response message (`{"code": ..., "message": ...}`), so that
 * callers never match message text. Anything else is an unexpected chaincode failure.
 */
export function parseChaincodeError(responseMessage: string, txId: string | undefined): LedgerError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(responseMessage);
  } catch {
    return new LedgerError(responseMessage, { code: 'CHAINCODE_ERROR', txId });
  }
  const result = chaincodeErrorSchema.safeParse(parsed);
  if (!result.success) {
    return new LedgerError(responseMessage, { code: 'CHAINCODE_ERROR', txId });
  }
  const { code, message } = result.data;
  return new LedgerError(message, { code: isLedgerErrorCode(code) ? code : 'CHAINCODE_ERROR', txId });
}

function isLedgerErrorCode(code: string): code is LedgerErrorCode {
  return (ledgerErrorCodes as readonly string[]).includes(code);
}
