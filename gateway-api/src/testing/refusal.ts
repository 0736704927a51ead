import { LedgerError } from '../ledger/errors.js';

/** The LedgerError a ledger call is refused with; fails when the call succeeds or throws anything else. */
export async function refusal(promise: Promise<unknown>): Promise<LedgerError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LedgerError) return error;
    throw error;
  }
  throw new Error('expected a LedgerError, but the call succeeded');
}
